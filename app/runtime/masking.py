"""Masking inside the child: secret values (and the run's input password) become `****` in every
string the child sends out. Same rule as `app.engine.secrets.mask` (the parent masks again), kept
here because the child never imports the engine.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "****"
SHORT_SECRET = 4  # shorter values are masked only where they stand alone
_SENSITIVE_NAME = re.compile(r"pass|pwd|secret|token|hash|salt", re.IGNORECASE)


def sensitive_name(name: object) -> bool:
    """A parameter or field name whose value must never be shown (password, pwd, secret, token, hash)."""
    return isinstance(name, str) and bool(_SENSITIVE_NAME.search(name))


def _repr_inner(value: str) -> str:
    return repr(value)[1:-1]


def _json_inner(value: str) -> str:
    return json.dumps(value)[1:-1]


def _json_unicode_inner(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _ascii_inner(value: str) -> str:
    return ascii(value)[1:-1]


def _bytes_inner(value: str) -> str:
    return repr(value.encode("utf-8", "surrogatepass"))[2:-1]


def _unicode_escape(value: str) -> str:
    return value.encode("unicode_escape").decode("ascii")


_RENDERINGS = (_repr_inner, _json_inner, _json_unicode_inner, _ascii_inner, _bytes_inner, _unicode_escape)


def renderings(value: str) -> set[str]:
    """The value and the escaped forms Python and JSON give it by default (a KeyError message,
    repr/%r/str(list), bytes, json.dumps, ascii), and those escaped once more (a repr inside JSON):
    a secret holding a backslash, a quote or non-ASCII text must be masked in all of them."""
    found = {value}
    for render in _RENDERINGS:
        once = render(value)
        found.add(once)
        for again in _RENDERINGS:
            found.add(again(once))
    return {f for f in found if f}


@functools.lru_cache(maxsize=64)
def secret_pattern(values: frozenset[str]) -> re.Pattern[str] | None:
    """One regex for every rendering of every secret, longest first (so overlapping secrets never
    leave a visible tail); values under SHORT_SECRET characters only where they stand alone."""
    forms = {form for v in values if isinstance(v, str) and v for form in renderings(v)}
    parts = []
    for form in sorted(forms, key=lambda f: (-len(f), f)):
        escaped = re.escape(form)
        if len(form) < SHORT_SECRET:
            escaped = rf"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])"
        parts.append(escaped)
    return re.compile("|".join(parts)) if parts else None


def longest_rendering(values: Iterable[str]) -> int:
    """The length of the longest form a secret can take in text: how far a cut must look around."""
    return max((len(f) for v in values if isinstance(v, str) and v for f in renderings(v)), default=0)


class Masker:
    """Replaces every secret value (and its escaped renderings) inside strings; built once per run."""

    def __init__(self, secrets: Iterable[str]):
        self.values = frozenset(v for v in secrets if isinstance(v, str) and v)
        self._pattern = secret_pattern(self.values)
        self.reach = longest_rendering(self.values)

    def safe_cut(self, text: str, at: int) -> int:
        """A position at or before `at` that cuts through no secret: a line cut into pieces is
        masked piece by piece, and a secret split between two pieces would match in neither."""
        if not self._pattern or at <= 0:
            return at
        for m in self._pattern.finditer(text, max(0, at - self.reach), min(len(text), at + self.reach)):
            if m.start() < at < m.end():
                return m.start()
        return at

    def text(self, text: str) -> str:
        if not self._pattern or not text:
            return text
        return self._pattern.sub(MASK, text)

    def data(self, data: Any) -> Any:
        """mask() applied to every string inside nested dicts and lists (keys too)."""
        if not self._pattern:
            return data
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, Mapping):
            return {self.data(k): self.data(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self.data(v) for v in data]
        return data
