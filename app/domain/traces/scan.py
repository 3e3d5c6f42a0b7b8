"""Find every trace in a text: plain tracebacks, stacks behind log prefixes, and stacks escaped
inside JSON strings (JSON lines or a pretty-printed JSON export).

The scanner jumps between a handful of literal anchors with `str.find` (C speed) and hands each
candidate to the language parser, so the cost is proportional to the traces, not to the noise.
"""

from __future__ import annotations

import json
import re

from app.domain.traces import python, v8
from app.domain.traces.lines import line_bounds, prefix_stripper
from app.domain.traces.model import Trace

_PY_HEADER = "Traceback (most recent call last)"
_GROUP = "Exception Group "
_ANCHORS = (_PY_HEADER, 'File "', 'File \\"', "  at ", "\tat ", "\nat ")
_ESCAPED = re.compile(r'\\n(?:[ \t]*at |[ \t]*File \\"|[ \t]*Traceback )'
                      r'|Traceback \(most recent call last\):\\n|File \\"[^"]*?\\", line \d+\\n')
_JSON_STRING = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"')
MAX_DEPTH = 3  # JSON inside JSON inside JSON is the most we unwrap


def scan(text: str, depth: int = 0) -> list[Trace]:
    """Every trace in `text`, in text order. Never raises on any str."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    traces: list[Trace] = []
    nxt = {a: _find(text, a, 0) for a in _ANCHORS}  # next offset of each anchor's own line text
    if text.startswith("at "):
        nxt["\nat "] = 0
    pos = 0
    while True:
        best, anchor = -1, ""
        for a, p in nxt.items():
            if 0 <= p < pos:
                p = nxt[a] = _find(text, a, pos)
            if p >= 0 and (best < 0 or p < best):
                best, anchor = p, a
        if best < 0:
            return traces
        found, end = _at_anchor(text, best, anchor, pos, depth)
        traces.extend(found)
        pos = max(end, best + 1)


def _find(text: str, anchor: str, pos: int) -> int:
    """Offset of the next anchor at or after pos, -1 if none; for "\\nat " the offset of the "at"."""
    if anchor == "\nat ":
        i = text.find(anchor, max(pos - 1, 0))
        return -1 if i < 0 else i + 1
    return text.find(anchor, pos)


_AT_OFFSET = {"  at ": 2, "\tat ": 1, "\nat ": 0}


def _at_anchor(text: str, p: int, anchor: str, floor: int, depth: int) -> tuple[list[Trace], int]:
    """Parse what the anchor at offset p starts; returns the traces and the offset consumed to."""
    ls, le = line_bounds(text, p)
    line = text[ls:le]
    if "\\n" in line and depth < MAX_DEPTH and _ESCAPED.search(line):
        return _escaped(line, depth), le + 1
    if anchor == _PY_HEADER:
        prefix = line[:p - ls]
        if prefix.endswith(_GROUP):
            prefix = prefix[:-len(_GROUP)]
        trace, end = python.parse_block(text, le + 1, prefix_stripper(prefix))
        return ([trace] if trace else []), max(end, le + 1)
    if anchor == 'File "':
        prefix = line[:p - ls].rstrip(" \t")
        trace, end = python.parse_block(text, ls, prefix_stripper(prefix), headerless=True)
        return ([trace] if trace else []), end
    if anchor not in _AT_OFFSET:  # an escaped anchor on a line that is not JSON after all
        return [], p + 1
    prefix = line[:p - ls + _AT_OFFSET[anchor]].rstrip(" \t")
    trace, end = v8.parse_block(text, ls, floor, prefix_stripper(prefix))
    return ([trace] if trace else []), end


def _escaped(line: str, depth: int) -> list[Trace]:
    """Traces inside the escaped strings of one line (JSON values, or a repr as a fallback)."""
    traces: list[Trace] = []
    for m in _JSON_STRING.finditer(line):
        body = m.group(1)
        if "\\n" not in body:
            continue
        try:
            value = json.loads(f'"{body}"')
        except ValueError:
            value = _unescape(body)
        traces.extend(scan(value, depth + 1))
    if not traces:
        traces = scan(_unescape(line), depth + 1)
    return traces


def _unescape(s: str) -> str:
    return (s.replace("\\\\", "\x00").replace("\\n", "\n").replace("\\t", "\t")
            .replace('\\"', '"').replace("\\'", "'").replace("\x00", "\\"))
