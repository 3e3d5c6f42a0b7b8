"""Masking inside the child: secret values (and the run's input password) become `****` in every
string the child sends out. Same rule as `app.engine.secrets.mask` (the parent masks again), kept
here because the child never imports the engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "****"
SHORT_SECRET = 4  # shorter values are masked only where they stand alone
_SENSITIVE_NAME = re.compile(r"pass|pwd|secret|token|hash|salt", re.IGNORECASE)


def sensitive_name(name: object) -> bool:
    """A parameter or field name whose value must never be shown (password, pwd, secret, token, hash)."""
    return isinstance(name, str) and bool(_SENSITIVE_NAME.search(name))


class Masker:
    """Replaces every secret value inside strings; built once per run."""

    def __init__(self, secrets: Iterable[str]):
        self.values = frozenset(v for v in secrets if isinstance(v, str) and v)
        parts = []
        for value in sorted(self.values, key=len, reverse=True):
            escaped = re.escape(value)
            if len(value) < SHORT_SECRET:
                escaped = rf"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])"
            parts.append(escaped)
        self._pattern = re.compile("|".join(parts)) if parts else None

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
