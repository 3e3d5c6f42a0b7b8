"""Find every trace in a text: plain tracebacks, stacks behind log prefixes, and stacks escaped
inside JSON strings (JSON lines or a pretty-printed JSON export).

The scanner jumps between literal-led anchors (the Python header, and an `at ` / `File "` frame
line, indented or not) with C-level searches (str.find, literal-led regexes), and hands each candidate to
the language parser, so the cost is proportional to the traces, not to the noise.
"""

from __future__ import annotations

import re
from json.decoder import scanstring

from app.domain.traces import python, v8
from app.domain.traces.lines import MAX_PREFIX, prefix_key, prefix_stripper
from app.domain.traces.model import Trace

_PY_HEADER = "Traceback (most recent call last)"
_GROUP = "Exception Group "
# Each anchor is found by its own search: a pattern that starts with a literal lets the regex
# engine skip ahead at C speed, where one combined alternation would test every position. The
# Python header is a plain str.find: its long needle lets the search skip most characters
# unread (about twice as fast as the regex engine, which reads every one).
# a frame line as both languages indent it: "    at …" and '  File "…' (also behind a log prefix
# or inside a JSON string); one literal-led search finds both
_FRAME = re.compile(r'  (?:at |File \\?")')
_BARE = re.compile(r'\n(?:at |File ")')  # the same lines pasted without their indentation
_ESCAPED = re.compile(r'\\n(?:[ \t]*at |[ \t]*File \\"|[ \t]*Traceback )'
                      r'|Traceback \(most recent call last\):\\n|File \\"[^"]*?\\", line \d+\\n')
_JSON_STRING = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"')
MAX_DEPTH = 3  # JSON inside JSON inside JSON is the most we unwrap


def scan(text: str, depth: int = 0) -> list[Trace]:
    """Every trace in `text`, in text order. Never raises on any str."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    traces: list[Trace] = []
    py_find, frame_search, bare_search = text.find, _FRAME.search, _BARE.search
    py = py_find(_PY_HEADER)
    py = _NONE if py < 0 else py
    m = frame_search(text)
    frame = m.start() + 2 if m else _NONE
    m = bare_search(text)
    bare = 0 if text.startswith(("at ", 'File "')) else m.start() + 1 if m else _NONE
    pos = 0  # everything before pos is consumed
    py_from = frame_from = 0  # anchors of that kind before this are on a line already tried
    line = [-1, -1, False]  # the current line's start, end, and whether it holds escaped traces
    while True:  # always handle the nearest anchor; re-search an anchor once it falls behind
        # (conditional expressions rather than max()/min(): this loop runs once per anchor)
        at_least = pos if pos > py_from else py_from
        if py < at_least:
            py = py_find(_PY_HEADER, at_least)
            py = _NONE if py < 0 else py
        at_least = pos if pos > frame_from else frame_from
        if frame < at_least:  # the match starts 2 characters before the anchor: search from there
            m = frame_search(text, max(at_least - 2, 0))
            frame = m.start() + 2 if m else _NONE
            if frame < at_least:
                m = frame_search(text, at_least)
                frame = m.start() + 2 if m else _NONE
        if bare < at_least:
            m = bare_search(text, max(at_least - 1, 0))
            bare = m.start() + 1 if m else _NONE
            if bare < at_least:
                m = bare_search(text, at_least)
                bare = m.start() + 1 if m else _NONE
        p = py if py < frame else frame
        p = p if p < bare else bare
        if p == _NONE:
            return traces
        kind = "py" if p == py else ("at" if text.startswith("a", p) else "file")
        end = _at_anchor(text, p, kind, pos, depth, traces, line)
        if end > p:
            pos = end
        else:  # nothing there: the other anchors of this kind on this line would fare the same
            pos = p + 1
            if kind == "py":
                py_from = line[1] + 1
            else:
                frame_from = line[1] + 1


_NONE = 1 << 62  # "no further anchor": larger than any offset
MAX_LOOKBACK = 4096  # how far above a V8 stack its message may start
_LONGEST_PREFIX = MAX_PREFIX + len(_GROUP)


def _at_anchor(text: str, p: int, kind: str, floor: int, depth: int, out: list[Trace], line: list) -> int:
    """Parse what the anchor at offset p starts, appending to `out`. Returns the offset consumed
    to, or p when nothing was found. `line` caches the anchor's line: start, end, and whether its
    escaped strings are still to be tried."""
    if not line[0] <= p < line[1]:
        ls = text.rfind("\n", 0, p) + 1
        le = text.find("\n", p)
        if le < 0:
            le = len(text)
        line[:] = ls, le, depth < MAX_DEPTH and text.find("\\n", ls, le) >= 0
    ls, le, escapes = line
    if escapes and _ESCAPED.search(text, ls, le):  # a JSON string holding the trace
        return _from_escaped(text, ls, le, depth, out, line)
    prefix = text[ls:p] if p - ls <= _LONGEST_PREFIX else ""  # longer is no log prefix
    trace = None
    if kind == "at":  # the commonest anchor first (it never starts 'File "')
        trace, end = v8.parse_block(text, ls, max(floor, ls - MAX_LOOKBACK), prefix_key(prefix.rstrip(" \t")))
    elif kind == "py":
        if prefix.endswith(_GROUP):
            prefix = prefix[:-len(_GROUP)]
        trace, end = python.parse_block(text, le + 1, prefix_stripper(prefix) if prefix else None)
    elif text.startswith('File "', p):
        trace, end = python.parse_block(text, ls, prefix_stripper(prefix.rstrip(" \t")), headerless=True)
    if trace is not None:
        out.append(trace)
        return end if end > p else p + 1
    if escapes:  # e.g. a whole log inside one JSON string: every line behind a prefix, or escaped twice
        return _from_escaped(text, ls, le, depth, out, line)
    return p


def _from_escaped(text: str, ls: int, le: int, depth: int, out: list[Trace], line: list) -> int:
    line[2] = False  # tried once per line
    found = _escaped(text[ls:le], depth)
    out.extend(found)
    return le + 1 if found else ls


def _escaped(line: str, depth: int) -> list[Trace]:
    """Traces inside the escaped strings of one line (JSON values, or a repr as a fallback)."""
    traces: list[Trace] = []
    for body in _JSON_STRING.findall(line):  # all bodies in one C call: no match object each
        if "\\n" not in body:
            continue
        try:  # the JSON decoder's own C string scanner, up to the closing quote put back
            value = scanstring(body + '"', 0)[0]
        except ValueError:
            value = _unescape(body)
        traces.extend(scan(value, depth + 1))
    if not traces:
        traces = scan(_unescape(line), depth + 1)
    return traces


def _unescape(s: str) -> str:
    return (s.replace("\\\\", "\x00").replace("\\n", "\n").replace("\\t", "\t")
            .replace('\\"', '"').replace("\\'", "'").replace("\x00", "\\"))
