"""Line helpers shared by the parsers: lazy line iteration by offset and log-prefix stripping.

Parsers work on offsets into the whole text so the scanner can jump from anchor to anchor with
`str.find` instead of looping over every line in Python (that is what keeps a 10 MB log fast).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

MAX_PREFIX = 200  # longer "prefixes" are not log prefixes; the line is then taken as it is


CHUNK = 256


def iter_lines(text: str, start: int) -> Iterator[tuple[str, int]]:
    """Yield (line without its newline, offset of the next line) from `start` on.

    Splits a chunk at a time: one C-level split instead of a find and a slice per line.
    """
    n = len(text)
    chunk = CHUNK
    while start < n:
        stop = text.find("\n", min(start + chunk, n))
        chunk *= 4  # most traces fit the first chunk; a long one gets bigger bites
        stop = n if stop < 0 else stop + 1
        lines = text[start:stop].split("\n")
        if stop < n or text.endswith("\n"):
            lines.pop()  # the empty string after the chunk's last newline
        for line in lines:
            start += len(line) + 1
            yield line, min(start, n)
        start = stop


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


_DIGITS = re.compile(r"\d+")


def prefix_key(prefix: str) -> str | None:
    """The prefix with its digits normalised, so all lines of one log share one cached pattern;
    None when there is no prefix to strip."""
    if not prefix or len(prefix) > MAX_PREFIX:
        return None
    return _DIGITS.sub("0", prefix)


@lru_cache(maxsize=256)
def prefix_pattern(key: str) -> str:
    """Regex source matching a prefix of this shape (any digits, flexible inner spacing)."""
    return _shape(key)


@lru_cache(maxsize=256)
def stripper(key: str | None) -> Callable[[str], str] | None:
    """A function removing a prefix of this shape from a line (other lines pass unchanged)."""
    if key is None:
        return None
    sub = re.compile(r"\A" + prefix_pattern(key)).sub

    def strip(line: str) -> str:
        return sub("", line, 1)

    return strip


def prefix_stripper(prefix: str) -> Callable[[str], str] | None:
    return stripper(prefix_key(prefix))
