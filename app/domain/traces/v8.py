"""V8 (Node.js) stacks: a message line followed by `    at …` frames. V8 prints the innermost frame
first; frames are returned outermost first like Python's."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from app.domain.traces.lines import prefix_pattern, stripper
from app.domain.traces.model import JAVASCRIPT, Frame, Trace

_FAST = re.compile(r"at (?:async |new )*([^ (][^()]*?) \(((?!eval at )[^()]+?):(\d{1,9}):(\d{1,9})\)(?: \{)?$")
_PATHISH = re.compile(r"[/\\.<]")
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
    return _is_library(file, line is not None)


@lru_cache(maxsize=4096)
def _is_library(file: str | None, has_line: bool) -> bool:
    if not file:
        return False
    if not has_line and _NATIVE.match(file):
        return True
    p = file.replace("\\", "/")
    if "/" not in p and p.rsplit(".", 1)[0] in _NODE_CORE:  # Node <= 14 printed core modules bare
        return True
    return p.startswith(("node:", "internal/")) or "/node_modules/" in p or p.startswith("node_modules/")


def _number(s: str) -> int | None:
    return int(s) if s.isdecimal() and len(s) <= 9 else None


def _location(loc: str) -> tuple[str, int | None, int | None] | None:
    """`file:line:col`, `file:line`, a native location, or an eval's origin; None if none of these."""
    if loc.startswith("eval at "):  # the eval's origin: the innermost "(file:line:col)"
        m = _EVAL_ORIGIN.search(loc)
        return (m.group(1), int(m.group(2)), int(m.group(3))) if m else (loc, None, None)
    head, sep, last = loc.rpartition(":")
    n = _number(last) if sep else None
    if n is None:
        return (loc, None, None) if _NATIVE.match(loc) else None
    file, sep, mid = head.rpartition(":")
    line = _number(mid) if sep else None
    if line is not None and file:
        return file, line, n
    return (head, n, None) if head else None


def parse_frame(s: str) -> Frame | None:
    """One stripped `at …` line (without any log prefix) as a Frame, or None if it is not one."""
    m = _FAST.match(s)
    if m:  # the common "name (file:line:col)" form in one regex call
        name, file = m.group(1, 2)
        line, col = int(m.group(3)), int(m.group(4))
        if name.endswith("]") and " [as " in name:
            name = name[:name.rindex(" [as ")]
        anonymous = name == "<anonymous>" or name.endswith(".<anonymous>")
        return Frame(name, file, line, col, anonymous, is_library(file, line))
    if not s.startswith("at "):
        return None
    if s.endswith(" {"):  # node prints "at … {" before an error's own properties
        s = s[:-2]
    rest = s[3:]
    while rest.startswith(("async ", "new ")):
        rest = rest[rest.index(" ") + 1:]
    if not rest or rest[0] == " ":
        return None
    cut = rest.find(" (")
    if cut > 0 and rest.endswith(")"):
        where = _location(rest[cut + 2:-1])
        if where is None:
            return None
        name: str | None = rest[:cut]
        if name.endswith("]") and " [as " in name:
            name = name[:name.rindex(" [as ")]
    else:
        where = _location(rest)
        if where is None or where[1] is None and where[0] != "<anonymous>":
            return None
        if not _PATHISH.search(where[0]):  # "at 10:12:00" in prose is not a frame
            return None
        name = None
    file, line, col = where
    anonymous = name is None or name == "<anonymous>" or name.endswith(".<anonymous>")
    return Frame(function=name, file=file, line=line, column=col, anonymous=anonymous,
                 library=is_library(file, line))


def _head(line: str) -> tuple[str, str] | None:
    m = _HEAD.match(line)
    if not m:
        return None
    return m.group("type"), (m.group("msg") or "")


def _message(text: str, first_frame_start: int, floor: int,
             strip: Callable[[str], str] | None) -> tuple[str, str]:
    """The error type and message printed above the first frame: the nearest `SomethingError: …`
    line within a few lines (the lines between continue its message), never before `floor`, the
    end of the previous trace."""
    above: list[str] = []
    end = first_frame_start - 1
    while end >= floor and len(above) < MAX_MESSAGE_LINES:
        start = max(text.rfind("\n", floor, end) + 1, floor)
        s = (strip(text[start:end]) if strip else text[start:end]).strip()
        if not s or s.startswith("at "):
            break
        h = _head(s)
        if h and h[0].endswith(_ERROR_WORDS):
            if not above:
                return h
            rest = "\n".join(reversed(above))
            return h[0], f"{h[1]}\n{rest}" if h[1] else rest
        above.append(s)
        end = start - 1
    if not above:
        return "", ""
    first = _head(above[0])
    if first and ":" in above[0]:
        return first
    return "", above[0]


@lru_cache(maxsize=256)
def _line_rx(key: str | None) -> re.Pattern[str]:
    """One frame line: the optional log prefix, then the common `at name (file:line:col)` (groups
    1-4) or `at file:line:col` (5-7) forms parsed in the same C call, or any other `at …` (8)."""
    prefix = f"(?:{prefix_pattern(key)})?" if key is not None else ""
    # greedy names and files: parentheses and the line end bound them, so they capture what the
    # lazy forms would, without retrying the rest of the pattern at every character
    return re.compile(
        prefix + r"[ \t]*at (?:(?:async |new )*([^ (\n][^()\n]*) \(((?!eval at )[^()\n]+):(\d{1,9}):(\d{1,9})\)"
        r"(?: \{)?[ \t]*(?:\n|\Z)"
        r"|(?:async )?([^ ()\n][^()\n]*):(\d{1,9}):(\d{1,9})(?: \{)?[ \t]*(?:\n|\Z)"
        r"|([^\n]*))")


def parse_block(text: str, start: int, floor: int, key: str | None) -> tuple[Trace | None, int]:
    """Parse the `at` lines from `start` (the first frame line), each possibly behind a log prefix
    shaped like `key`. Returns the trace and the offset after it."""
    frames: list[Frame] = []
    match = _line_rx(key).match
    strip = stripper(key)
    n = len(text)
    pos = start
    while pos < n:
        m = match(text, pos)
        if m is not None:
            name, file, line, col, bare, bare_line, bare_col, _ = m.groups()
            if name is not None:  # fast path: "at name (file:line:col)"
                if name.endswith("]") and " [as " in name:
                    name = name[:name.rindex(" [as ")]
                anonymous = name == "<anonymous>" or name.endswith(".<anonymous>")
                frames.append(Frame(name, file, int(line), int(col), anonymous, _is_library(file, True)))
                pos = m.end()
                continue
            if bare is not None and _PATHISH.search(bare):  # fast path: "at file:line:col"
                frames.append(Frame(None, bare, int(bare_line), int(bare_col), True, _is_library(bare, True)))
                pos = m.end()
                continue
        eol = text.find("\n", pos)
        eol = n if eol < 0 else eol
        if m is None:  # not an `at` line: a "... 3 lines matching cause" marker, or the stack's end
            raw = text[pos:eol]
            if "... " not in raw or not _SKIP.match((strip(raw) if strip else raw).strip()):
                break
        else:  # an `at` line in a rarer form (eval, native, async Promise.all, ...)
            rest = m.start(8) if m.group(8) is not None else m.start(5)
            frame = parse_frame(("at " + text[rest:eol]).strip())
            if frame is None:
                break
            frames.append(frame)
        pos = min(eol + 1, n)
    if not frames:
        return None, start
    exc_type, message = _message(text, start, floor, strip)
    frames.reverse()
    return Trace(JAVASCRIPT, exc_type, message, frames), pos
