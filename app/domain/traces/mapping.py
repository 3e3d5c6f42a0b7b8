"""Which script each frame belongs to, and what its entry function should be called."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from app.domain.platforms import AUTH0
from app.domain.traces.model import PYTHON, Frame, Suggestion, Trace

_SCRIPT_EXTENSIONS = {"py", "pyw", "js", "mjs", "cjs", "ts"}
_SEP = re.compile(r"[\\/]")


@lru_cache(maxsize=1024)
def key_for_file(file: str | None) -> str | None:
    """The script a file name stands for: `login.py`, `get_user.js`, `getUser.js`, `getByEmail.js`…"""
    if not file:
        return None
    base = _SEP.split(file)[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot or ext.lower() not in _SCRIPT_EXTENSIONS or not stem:
        return None
    if stem in AUTH0.kinds:
        return stem
    return _key_for_name(stem)


@lru_cache(maxsize=1024)
def _key_for_name(name: str) -> str | None:
    k = AUTH0.kind_for_function_name(name)
    return k.key if k else None


def key_for_function(frame: Frame) -> str | None:
    return None if frame.anonymous else _key_for_function_name(frame.function)


@lru_cache(maxsize=4096)
def _key_for_function_name(function: str | None) -> str | None:
    if not function or function.startswith("<"):
        return None
    return _key_for_name(function.rsplit(".", 1)[-1])


@lru_cache(maxsize=4096)
def _frame_key(file: str | None, function: str | None) -> str | None:
    """The script of a frame by its file name, else by its (non-anonymous) function name."""
    return key_for_file(file) or _key_for_function_name(function)


def assign_scripts(trace: Trace, script: str | None = None,
                   sources: Mapping[str, str] | None = None) -> None:
    """Set `frame.script` (and `frame.source` for project files) on every frame of the trace.

    `script`: the user says every non-library frame belongs to this script.
    `sources`: a project's scripts, key → current source text.
    """
    frames = [f for f in trace.frames if not f.library]
    if script is not None:
        for f in frames:
            f.script = script
    else:
        by_file: dict[str, str | None] = {}  # file -> its one script (None when several)
        unmapped = []
        for f in frames:
            key = f.script = _frame_key(f.file, None if f.anonymous else f.function)
            if key is None:
                unmapped.append(f)
            elif f.file:
                by_file[f.file] = key if by_file.get(f.file, key) == key else None
        if by_file:
            for f in unmapped:
                if f.file:
                    f.script = by_file.get(f.file)
    if sources:
        lines_of: dict[str, list[str]] = {}
        for f in frames:
            key = key_for_file(f.file)
            if key is None or key not in sources:
                continue
            if script is None:
                f.script = key
            if trace.language == PYTHON and f.line:
                if key not in lines_of:
                    lines_of[key] = sources[key].splitlines()
                lines = lines_of[key]
                if 1 <= f.line <= len(lines):
                    f.source = lines[f.line - 1]


def suggest(trace: Trace) -> list[Suggestion]:
    """One suggestion per script whose entry frame (its outermost) is anonymous or misnamed."""
    seen: set[str] = set()
    out: list[Suggestion] = []
    for i, f in enumerate(trace.frames):
        key = f.script  # most frames have none: test that first
        if key is None or f.library or key in seen or key not in AUTH0.kinds:
            continue
        if not f.anonymous and (not f.function or f.function == "<module>"):
            continue  # module-level code or a SyntaxError location: not a function to name
        seen.add(key)
        k = AUTH0.kinds[key]
        recommended = k.python_name if trace.language == PYTHON else k.js_name
        if f.anonymous:
            out.append(Suggestion(key, recommended, "anonymous", i))
        elif f.base_name != recommended:
            out.append(Suggestion(key, recommended, "non_recommended_name", i))
    return out
