"""The identity platforms a project can target (`platform = "auth0"` in customdb.toml, the default).

Only Auth0's custom database connections exist; the seam is here so another platform plugs in as
one more instance without the runner, lint or IDE changing.
"""

from __future__ import annotations

from app.domain.platforms.auth0 import AUTH0
from app.domain.platforms.base import Limits, Platform

DEFAULT_PLATFORM = AUTH0.name
PLATFORMS: dict[str, Platform] = {p.name: p for p in (AUTH0,)}

__all__ = ["AUTH0", "DEFAULT_PLATFORM", "PLATFORMS", "Limits", "Platform", "UnknownPlatform", "get_platform"]


class UnknownPlatform(ValueError):
    """str() is one line naming the platform and the known ones."""


def get_platform(name: str) -> Platform:
    try:
        return PLATFORMS[name]
    except (KeyError, TypeError):
        raise UnknownPlatform(f"unknown platform {name!r}; expected one of {', '.join(PLATFORMS)}") from None
