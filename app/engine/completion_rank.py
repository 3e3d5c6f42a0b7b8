"""Order completions by how likely the user wants each one, not alphabetically.

jedi sorts its list by name, so `exe` + Enter inserted `exec_driver_sql` before `execute`. Pylance
and PyCharm put prefix matches and frequently used members first; this does the same with three
signals, strongest first:

1. a case-sensitive prefix match of what is typed beats a case-insensitive one;
2. public names before `_private` ones, and those before `__dunder__` ones;
3. likelihood: how often the name already occurs in the buffer (you tend to call what you called
   before), plus a prior for the members the action scripts use most (`PRIORS`);

then by name. Pure Python, no jedi, no Qt.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")

PRIORS: dict[str, int] = {
    # sqlalchemy Connection / Result / Row: what scripts call on db.execute(...)
    "execute": 10, "first": 8, "scalar": 7, "one_or_none": 6, "one": 5, "all": 6, "mappings": 6,
    "fetchone": 5, "fetchall": 5, "scalars": 4, "rowcount": 5, "commit": 4, "rollback": 3, "begin": 3,
    "begin_nested": 1, "close": 2, "_mapping": 4, "_asdict": 3,
    # logging.Logger
    "info": 8, "warning": 7, "error": 7, "debug": 5, "exception": 4,
    # bcrypt
    "checkpw": 9, "hashpw": 8, "gensalt": 7,
    # dict / str methods scripts use on profiles, configuration and inputs
    "get": 7, "items": 4, "keys": 3, "setdefault": 3, "lower": 6, "strip": 5, "upper": 3,
    "startswith": 3, "split": 3, "encode": 5, "decode": 4, "format": 2,
}
"""How common each member is in action scripts (relative weights). One occurrence of a name in
the buffer counts `BUFFER_WEIGHT`, so the code in front of the user outweighs these guesses."""

BUFFER_WEIGHT = 4
_WORD = re.compile(r"[A-Za-z_]\w*")


def word_counts(source: str) -> Counter[str]:
    """How often each identifier occurs in `source`."""
    return Counter(_WORD.findall(source))


class Ranker:
    """Ranks items by name, with `priors` (default `PRIORS`) as the likelihood guesses."""

    def __init__(self, priors: dict[str, int] | None = None):
        self.priors = PRIORS if priors is None else priors

    def score(self, name: str, counts: Counter[str]) -> int:
        bare = name.strip("\"'")
        return BUFFER_WEIGHT * counts.get(bare, 0) + self.priors.get(bare, 0)

    def rank(self, items: Sequence[T], typed: str, source: str = "",
             name_of: Callable[[T], str] = lambda item: item.name) -> list[T]:  # type: ignore[attr-defined]
        """`items` most likely first. `typed` is the part of the name already typed (it is not
        counted as a use of any name), `source` the buffer the completion is for."""
        counts = word_counts(source)
        if typed:
            counts[typed] -= 1  # the half-typed word itself is not a use

        def key(item: T) -> tuple[int, int, int, str]:
            name = name_of(item)
            bare = name.strip("\"'")
            privacy = 2 if bare.startswith("__") else 1 if bare.startswith("_") else 0
            return (0 if bare.startswith(typed.strip("\"'")) else 1, privacy, -self.score(name, counts),
                    bare.lower())

        return sorted(items, key=key)


def rank_names(names: Iterable[str], typed: str = "", source: str = "") -> list[str]:
    """`Ranker().rank` over plain names (for tests and callers without Completion objects)."""
    return Ranker().rank(list(names), typed, source, name_of=lambda n: n)
