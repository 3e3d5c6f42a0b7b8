"""V8 (Node.js) stacks: a message line followed by `    at …` frames. V8 prints the innermost frame
first; frames are returned outermost first like Python's."""

from __future__ import annotations

import re
from collections.abc import Callable

from app.domain.traces.lines import iter_lines
from app.domain.traces.model import JAVASCRIPT, Frame, Trace

_AT = re.compile(r"^at (?:(?:async|new) )*(?:(?P<name>[^ ].*?) \((?P<loc>.*)\)|(?P<bare>[^ ].*))$")
_ALIAS = re.compile(r"\s*\[as [^\]]*\]$")
_LOC = re.compile(r"^(?P<file>.*?):(?P<line>\d{1,9})(?::(?P<col>\d{1,9}))?$")
_EVAL_ORIGIN = re.compile(r"\(([^()]*?):(\d{1,9}):(\d{1,9})\)")
_NATIVE = re.compile(r"^(?:<anonymous>|native|unknown location|index \d{1,9})$")
_SKIP = re.compile(r"^\.\.\. (?:\d+ lines? matching cause stack trace|\d+ more)")
_HEAD = re.compile(
    r"^(?:Uncaught (?:\(in promise\) )?|\[cause\]: |Caused by: )?"
    r"(?P<type>[A-Za-z_$][\w$.]*)(?: \[[^\]]*\])?(?::(?: (?P<msg>.*))?)?$")
_ERROR_WORDS = ("Error", "Exception", "Rejection", "Warning")
MAX_MESSAGE_LINES = 8
_NODE_CORE = frozenset({
    "_http_client", "_http_server", "_stream_readable", "_stream_writable", "assert", "buffer",
    "child_process", "cluster", "crypto", "dgram", "dns", "domain", "events", "fs", "http", "http2",
    "https", "module", "net", "os", "path", "punycode", "querystring", "readline", "stream",
    "string_decoder", "timers", "tls", "url", "util", "vm", "zlib",
})


def is_library(file: str | None, line: int | None) -> bool:
    """node_modules, `node:`/`internal/` modules and native locations (`<anonymous>` without a line)."""
    if not file:
        return False
    if line is None and _NATIVE.match(file):
        return True
    p = file.replace("\\", "/")
    if "/" not in p and p.rsplit(".", 1)[0] in _NODE_CORE:  # Node <= 14 printed core modules bare
        return True
    return p.startswith(("node:", "internal/")) or "/node_modules/" in p or p.startswith("node_modules/")


def _location(loc: str) -> tuple[str, int | None, int | None] | None:
    if loc.startswith("eval at "):  # the eval's origin: the innermost "(file:line:col)"
        m = _EVAL_ORIGIN.search(loc)
        return (m.group(1), int(m.group(2)), int(m.group(3))) if m else (loc, None, None)
    if _NATIVE.match(loc):
        return loc, None, None
    m = _LOC.match(loc)
    if not m or not m.group("file"):
        return None
    col = m.group("col")
    return m.group("file"), int(m.group("line")), (int(col) if col else None)


def parse_frame(s: str) -> Frame | None:
    """One stripped `at …` line (without any log prefix) as a Frame, or None if it is not one."""
    if s.endswith(" {"):  # node prints "at … {" before an error's own properties
        s = s[:-2]
    m = _AT.match(s)
    if not m:
        return None
    if m.group("bare") is not None:
        where = _location(m.group("bare"))
        if where is None or where[1] is None and where[0] != "<anonymous>":
            return None
        if not re.search(r"[/\\.<]", where[0]):  # "at 10:12:00" in prose is not a frame
            return None
        name = None
    else:
        where = _location(m.group("loc"))
        if where is None:
            return None
        name = _ALIAS.sub("", m.group("name")) or None
    file, line, col = where
    anonymous = name is None or name == "<anonymous>" or name.endswith(".<anonymous>")
    return Frame(function=name, file=file, line=line, column=col, anonymous=anonymous,
                 library=is_library(file, line))


def _head(line: str) -> tuple[str, str] | None:
    m = _HEAD.match(line)
    if not m:
        return None
    return m.group("type"), (m.group("msg") or "")


def _message(text: str, first_frame_start: int, floor: int, strip: Callable[[str], str]) -> tuple[str, str]:
    """The error type and message printed above the first frame (looking back at most a few lines,
    never before `floor`, the end of the previous trace)."""
    above: list[str] = []
    end = first_frame_start - 1
    while end >= floor and len(above) < MAX_MESSAGE_LINES:
        start = max(text.rfind("\n", floor, end) + 1, floor)
        s = strip(text[start:end]).strip()
        if not s or s.startswith("at "):
            break
        above.append(s)
        end = start - 1
    if not above:
        return "", ""
    for i, s in enumerate(above):  # the nearest "SomethingError: …" line; lines below it continue it
        h = _head(s)
        if h and h[0].endswith(_ERROR_WORDS):
            if i == 0:
                return h
            rest = "\n".join(reversed(above[:i]))
            return h[0], f"{h[1]}\n{rest}" if h[1] else rest
    first = _head(above[0])
    if first and ":" in above[0]:
        return first
    return "", above[0]


def parse_block(text: str, start: int, floor: int, strip: Callable[[str], str]) -> tuple[Trace | None, int]:
    """Parse the `at` lines from `start` (the first frame line). Returns the trace and the offset
    after it."""
    frames: list[Frame] = []
    end = start
    for raw, nxt in iter_lines(text, start):
        s = strip(raw).strip()
        frame = parse_frame(s)
        if frame is not None:
            frames.append(frame)
        elif not _SKIP.match(s):
            break
        end = nxt
    if not frames:
        return None, start
    exc_type, message = _message(text, start, floor, strip)
    frames.reverse()
    return Trace(JAVASCRIPT, exc_type, message, frames), end
