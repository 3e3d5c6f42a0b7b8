"""Line helpers shared by the parsers: lazy line iteration by offset and log-prefix stripping.

Parsers work on offsets into the whole text so the scanner can jump from anchor to anchor with
`str.find` instead of looping over every line in Python (that is what keeps a 10 MB log fast).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

MAX_PREFIX = 200  # longer "prefixes" are not log prefixes; the line is then taken as it is


def iter_lines(text: str, start: int) -> Iterator[tuple[str, int]]:
    """Yield (line without its newline, offset of the next line) from `start` on."""
    n = len(text)
    while start < n:
        end = text.find("\n", start)
        nxt = n if end < 0 else end + 1
        yield text[start:(n if end < 0 else end)], nxt
        start = nxt


def line_bounds(text: str, pos: int) -> tuple[int, int]:
    """(start, end) of the line holding `pos`; end excludes the newline."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, (len(text) if end < 0 else end)


_SHAPE_TOKEN = re.compile(r"\d+|[ \t]+|[+|]|[^\d \t+|]+")


def _shape(prefix: str) -> str:
    """A regex source matching this prefix with any digits (timestamps, pids) and spacing."""
    out = []
    for m in _SHAPE_TOKEN.finditer(prefix):
        tok = m.group()
        if tok[0].isdigit():
            out.append(r"\d+")
        elif tok[0] in " \t":
            internal = m.start() > 0 and m.end() < len(prefix)
            out.append(r"[ \t]+" if internal else re.escape(tok))
        elif tok in "+|":
            out.append(r"[+|]")  # exception groups: "  + Exception Group ..." continues as "  | ..."
        else:
            out.append(re.escape(tok))
    return "".join(out)


@lru_cache(maxsize=256)
def _compiled(shape: str) -> re.Pattern[str]:
    return re.compile(shape)


def prefix_stripper(prefix: str) -> Callable[[str], str]:
    """A function removing a log prefix shaped like `prefix` from a line (lines without it pass)."""
    if not prefix or len(prefix) > MAX_PREFIX:
        return _identity
    rx = _compiled(_shape(prefix))

    def strip(line: str) -> str:
        m = rx.match(line)
        return line[m.end():] if m else line

    return strip


def _identity(line: str) -> str:
    return line
