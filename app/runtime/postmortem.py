"""Post-mortem data of a failed run, captured in the child while the frames still exist: each
script frame's locals (capped reprs, secrets masked), the source line of every frame, and the
`__cause__` / `__context__` chain of the exception.

Only failures pay for this: `describe_failure` is called for an uncaught exception and for an
exception the script passes to `callback`; `add_sources` once per failed run. The result extends
the run result's `error` object additively (docs/runner.md "Run result JSON"):
`traceback[i].source`, `traceback[i].locals` (script frames only) and `chain`.
"""

from __future__ import annotations

import linecache
import os
import reprlib
from collections.abc import Iterable
from types import FrameType, FunctionType, ModuleType, TracebackType
from typing import Any

from app.runtime.answer import RUNTIME_DIR, Callback, describe_exception
from app.runtime.api import INJECTED_NAMES
from app.runtime.masking import Masker

REPR_CAP = 200  # characters per value
MAX_NAMES = 50  # names per frame
MAX_FRAMES_WITH_LOCALS = 20  # over the error and its chain; a deep recursion keeps the innermost
MAX_CHAIN = 10  # chained exceptions reported behind the error
SOURCE_CAP = 300
CAUSE = "cause"  # `raise ... from ...`: "The above exception was the direct cause of the following exception"
CONTEXT = "context"  # "During handling of the above exception, another exception occurred"
_MODULE_HIDDEN = frozenset(INJECTED_NAMES) | {"__builtins__"}


class _Repr(reprlib.Repr):
    """reprlib that masks every string before shortening it (a cut secret is still a secret)."""

    def __init__(self, masker: Masker):
        super().__init__()
        self.masker = masker
        self.maxstring = self.maxother = REPR_CAP
        # a value is cut at REPR_CAP anyway: rendering more items than fit only costs time
        self.maxlist = self.maxtuple = self.maxdict = self.maxset = self.maxfrozenset = self.maxdeque = 10
        self.maxlevel = 3

    def repr_str(self, x: str, level: int) -> str:
        return super().repr_str(self.masker.text(x), level)

    def repr_instance(self, x: Any, level: int) -> str:  # reprlib's signature
        return _cut(self.masker.text(repr(x)))


def _cut(text: str) -> str:
    return text if len(text) <= REPR_CAP else text[: REPR_CAP - 1] + "…"


def safe_repr(value: Any, masker: Masker, repr_: _Repr | None = None) -> str:
    """The value's repr, masked and at most REPR_CAP characters; a broken __repr__ becomes a note."""
    try:
        text = (repr_ or _Repr(masker)).repr(value)
    except Exception as e:  # noqa: BLE001 - the script's __repr__ must not spoil the run's report
        text = f"<{type(value).__name__} object (repr failed: {type(e).__name__})>"
    return _cut(masker.text(text))


def frame_locals(frame: FrameType, masker: Masker, seen: dict[int, str] | None = None) -> dict[str, str]:
    """{name: repr} of one script frame, without `callback` and the injected globals. `seen` (id →
    repr) shares the work for a value that several frames hold (rows passed down to a helper)."""
    seen = {} if seen is None else seen
    repr_ = _Repr(masker)
    g = frame.f_globals
    injected = {id(g[n]) for n in INJECTED_NAMES if n in g}
    module_level = frame.f_code.co_name == "<module>"
    out: dict[str, str] = {}
    for name, value in list(frame.f_locals.items()):
        if len(out) >= MAX_NAMES:
            break
        if isinstance(value, Callback) or id(value) in injected:
            continue
        if module_level and (name in _MODULE_HIDDEN or name.startswith("__")
                             or isinstance(value, ModuleType | FunctionType | type)):
            continue
        text = seen.get(id(value))
        if text is None:
            text = seen[id(value)] = safe_repr(value, masker, repr_)
        out[masker.text(str(name))] = text
    return out


def _runtime(path: str) -> bool:
    return os.path.abspath(path).startswith(RUNTIME_DIR + os.sep)


def _raw_frames(tb: TracebackType | None) -> list[tuple[FrameType, int]]:
    """(frame, line) of every traceback entry `answer.frames` may report (the runtime's left out)."""
    out = []
    while tb is not None:
        if not _runtime(tb.tb_frame.f_code.co_filename):
            out.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    return out


def _attach_locals(error: dict[str, Any], exc: BaseException, script_file: str, masker: Masker,
                   budget: list[int], seen: dict[int, str]) -> None:
    """Set `locals` on the script frames of `error["traceback"]`, innermost first, within budget."""
    raw = _raw_frames(exc.__traceback__)
    matched: list[tuple[dict[str, Any], FrameType]] = []
    i = 0
    for f in error.get("traceback") or ():
        if not f.get("file"):
            continue  # the "... N more frames ..." marker of a long recursion
        while i < len(raw):
            frame, line = raw[i]
            i += 1
            code = frame.f_code
            if (code.co_filename, code.co_name, line) == (f["file"], f["function"], f["line"]):
                if not f.get("library") and code.co_filename == script_file:
                    matched.append((f, frame))
                break
    for f, frame in reversed(matched):
        if budget[0] <= 0:
            break
        budget[0] -= 1
        f["locals"] = frame_locals(frame, masker, seen)


def _chain(exc: BaseException) -> list[tuple[BaseException, str]]:
    """(exception, relation to the one after it) behind `exc`, nearest first, as Python prints them."""
    out: list[tuple[BaseException, str]] = []
    seen = {id(exc)}
    current = exc
    while len(out) < MAX_CHAIN:
        if current.__cause__ is not None:
            nxt, relation = current.__cause__, CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            nxt, relation = current.__context__, CONTEXT
        else:
            break
        if id(nxt) in seen:
            break
        seen.add(id(nxt))
        out.append((nxt, relation))
        current = nxt
    return out


def describe_failure(exc: BaseException, script_file: str, masker: Masker,
                     passwords: Iterable[str] = ()) -> dict[str, Any]:
    """`describe_exception` plus the post-mortem: locals of the script frames (typed passwords
    masked too) and `chain`, the exceptions behind this one, earliest first (Python's print order),
    each with `relation` (`cause` or `context`) to the exception printed after it."""
    error = describe_exception(exc, script_file, masker)
    values_masker = Masker([*masker.values, *(p for p in passwords if p)])
    budget = [MAX_FRAMES_WITH_LOCALS]
    seen: dict[int, str] = {}  # the frames are done or paused: a value's repr cannot change meanwhile
    try:
        _attach_locals(error, exc, script_file, values_masker, budget, seen)
        chain = []
        for behind, relation in _chain(exc):
            entry = describe_exception(behind, script_file, masker)
            entry = {"type": entry["type"], "message": entry["message"], "traceback": entry["traceback"],
                     "relation": relation}
            _attach_locals(entry, behind, script_file, values_masker, budget, seen)
            chain.append(entry)
        if chain:
            error["chain"] = chain[::-1]
    except Exception:  # noqa: BLE001 - post-mortem is a bonus: never let it replace the real error
        pass
    return error


def add_sources(error: dict[str, Any] | None, script_file: str, script_source: str, masker: Masker) -> None:
    """Give every frame (of the error and its chain) `source`, its stripped line: the script's from
    the text that ran (an unsaved editor buffer may differ from the file), libraries' from disk."""
    if not error:
        return
    script_lines = script_source.splitlines()
    for f in [*(error.get("traceback") or ()), *(t for c in error.get("chain") or () for t in c.get("traceback") or ())]:
        if "source" in f or not f.get("file") or not isinstance(f.get("line"), int):
            continue
        line = f["line"]
        if f["file"] == script_file:
            text = script_lines[line - 1] if 1 <= line <= len(script_lines) else ""
        else:
            try:
                text = linecache.getline(f["file"], line)
            except Exception:  # noqa: BLE001 - an unreadable library file just has no line
                text = ""
        text = text.strip()
        if text:
            f["source"] = masker.text(text if len(text) <= SOURCE_CAP else text[: SOURCE_CAP - 1] + "…")
