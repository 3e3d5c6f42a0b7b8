"""Database URLs for display, without importing SQLAlchemy (the status bar is built at start-up)."""

from __future__ import annotations

import re

_PASSWORD = re.compile(r"^([A-Za-z0-9+_.-]+://[^/@:]*:)[^/@]*@")


def display_url(url: str) -> str:
    """The URL as the status bar shows it: any password replaced by ****."""
    return _PASSWORD.sub(r"\1****@", url)


def needs_password(url: str) -> bool:
    """A server URL naming a user: its password has to come from the keychain (or the session)."""
    return re.match(r"^[A-Za-z0-9+_.-]+://[^/@]+@", url) is not None
