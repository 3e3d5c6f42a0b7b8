"""Python tracebacks: `Traceback (most recent call last):` blocks, SyntaxError blocks, exception
groups (each sub-traceback on its own). Frames come out in the order Python prints them, which is
already outermost first."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from app.domain.traces.lines import iter_lines
from app.domain.traces.model import PYTHON, Frame, Trace

FRAME = re.compile(r'^(?P<indent>[ \t]*)File "(?P<file>[^"]*)", line (?P<line>\d{1,9})(?:, in (?P<func>.+?))?[ \t]*$')
_EXC = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?::[ \t]?(?P<msg>.*))?$")
# greedy `[^\n]*[^ \t\n]` rather than a lazy `[^\n]*?` before the trailing spaces: the same
# capture (the rest of the line, right-stripped) without retrying the tail at every character
_FAST_FRAME = re.compile(
    r'([ \t]*)File "([^"\n]*)", line (\d{1,9})(?:, in ((?:[^\n]*[^ \t\n])?))?[ \t]*\n'
    r'(?:\1[ \t]+(?!File ")([^ \t\n](?:[^\n]*[^ \t\n])?)[ \t]*\n(?:[ \t]*[~^][~^ \t]*\n)*)?')
_FAST_EXC = re.compile(r"([ \t]*)([A-Za-z_][\w.]*)(?::[ \t]?([^\n]*))?(?:\n|\Z)")
_MARKERS = re.compile(r"^[ \t]*[~^]+[ \t~^]*$")  # caret lines under the failing expression
_SKIP = re.compile(r"^[ \t]*(?:\[Previous line repeated \d+ more times?\]|\.\.\.<\d+ lines?>\.\.\.)")
_EXC_WORDS = ("Error", "Exception", "Exit", "Interrupt", "Iteration", "Warning", "Group")
_STDLIB = re.compile(r"/lib(?:64)?/(?:python|pypy)\d*(?:\.\d+)?t?/")
_WINDOWS_STDLIB = re.compile(r"^[A-Za-z]:/.*/Lib/")


@lru_cache(maxsize=4096)
def is_library(path: str) -> bool:
    """site-packages, dist-packages, the standard library and frozen modules."""
    p = path.replace("\\", "/")
    return ("site-packages/" in p or "dist-packages/" in p or p.startswith("<frozen ")
            or bool(_STDLIB.search(p)) or bool(_WINDOWS_STDLIB.match(p)))


def _frame(m: re.Match[str]) -> Frame:
    func = m.group("func")
    file = m.group("file")
    return Frame(function=func, file=file, line=int(m.group("line")), column=None,
                 anonymous=func == "<lambda>", library=is_library(file))


def _exception_line(body: str, right_after_frame: bool) -> tuple[str, str] | None:
    """(type, message) when `body` reads as the final `Type: message` line of a traceback.

    Right after a frame line of a paste that lost its indentation, a bare word is more likely
    the quoted source than an exception, so it must look like an exception name.
    """
    m = _EXC.match(body)
    if not m:
        return None
    if right_after_frame and m.group("msg") is None and not m.group("type").endswith(_EXC_WORDS):
        return None
    return m.group("type"), (m.group("msg") or "").strip()


def parse_block(text: str, start: int, strip: Callable[[str], str] | None,
                headerless: bool = False) -> tuple[Trace | None, int]:
    """Parse frames and the exception line from `start` (the line after the header, or the first
    frame line of a headerless SyntaxError block). Returns the trace and the offset after it."""
    frames: list[Frame] = []
    frame_indent = -1
    right_after_frame = False
    exc: tuple[str, str] | None = None
    end = start
    if strip is None:  # fast path: each frame with its source and caret lines in one C call
        match = _FAST_FRAME.match
        m = match(text, start)
        while m is not None:
            indent, file, line, func, source = m.groups()
            # all arguments positional: keywords double the cost of this per-frame call
            frames.append(Frame(func, file, int(line), None, func == "<lambda>", is_library(file), None, None, source))
            frame_indent = len(indent)
            end = m.end()
            m = match(text, end)
        right_after_frame = bool(frames) and frames[-1].text is None
        m = _FAST_EXC.match(text, end) if frames else None
        if m is not None and len(m.group(1)) < frame_indent:  # the usual final "Type: message" line
            exc_type, message = m.group(2, 3)
            if message is not None or not right_after_frame or exc_type.endswith(_EXC_WORDS):
                return Trace(PYTHON, exc_type, (message or "").strip(), frames), m.end()
    for raw, nxt in iter_lines(text, end):
        s = (strip(raw) if strip else raw).rstrip()
        body = s.lstrip()
        if not body:
            break
        m = FRAME.match(s) if body.startswith("File ") else None
        if m:
            frames.append(_frame(m))
            frame_indent = len(m.group("indent"))
            right_after_frame = True
            end = nxt
            continue
        if body[0] in "^~[." and (_MARKERS.match(s) or _SKIP.match(s)):
            end = nxt
            continue
        indent = len(s) - len(body)
        if frames and indent > frame_indent:  # the quoted source line (or more of it, 3.13+)
            if frames[-1].text is None:
                frames[-1].text = body
            right_after_frame = False
            end = nxt
            continue
        exc = _exception_line(body, right_after_frame and frames[-1].text is None)
        if exc is not None:
            end = nxt
            break
        if frames and right_after_frame and frames[-1].text is None:  # unindented paste: source
            frames[-1].text = body
            right_after_frame = False
            end = nxt
            continue
        break
    if not frames or (headerless and exc is None):
        return None, start
    exc_type, message = exc if exc is not None else ("", "")
    return Trace(PYTHON, exc_type, message, frames), end
