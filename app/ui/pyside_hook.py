"""A cheaper answer to the question PySide6 asks of every module imported after it.

PySide6's `__feature__` support (shibokensupport.feature) checks each newly imported module for the
string "PySide6" with `inspect.getsource()`, whose module lookup walks `sys.modules` every time:
~80 µs a module, ~7 ms over the ~90 modules the IDE imports before its first paint. Reading the
file's bytes answers the same question in a few µs. Anything that is not a readable `.py` file
goes to PySide6's own check, and a PySide6 without that function is left as it is.
"""

from __future__ import annotations

import sys
from types import ModuleType


def install() -> bool:
    """Swap in the byte search; True when PySide6's check was found and replaced."""
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if original is None or getattr(original, "byte_search", False):
        return False

    def mod_uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as source:
                    return b"PySide6" in source.read()
            except OSError:
                pass
        return original(module)

    mod_uses_pyside.byte_search = True  # type: ignore[attr-defined]
    mod_uses_pyside.original = original  # type: ignore[attr-defined]
    feature._mod_uses_pyside = mod_uses_pyside
    return True
