"""Where Custom DB Studio keeps per-user data (the sample project) and caches (jedi, the lexer).

No Qt and nothing but the standard library: the CLI uses it, and the GUI before its first paint.

`$CUSTOMDB_DATA_DIR` wins (tests and screenshots stay isolated); otherwise the OS convention:
`%APPDATA%\\CustomDBStudio` on Windows, `~/Library/Application Support/CustomDBStudio` on macOS,
`$XDG_DATA_HOME/customdb-studio` (default `~/.local/share/customdb-studio`) elsewhere.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Every variable user_data_dir() reads on this platform (Path.home() is HOME, or USERPROFILE on
# Windows): a cache of a path under it is valid while these keep their values. Keep them in step.
USER_DATA_ENV: tuple[str, ...] = (
    ("CUSTOMDB_DATA_DIR", "APPDATA", "USERPROFILE") if sys.platform == "win32" else
    ("CUSTOMDB_DATA_DIR", "HOME") if sys.platform == "darwin" else
    ("CUSTOMDB_DATA_DIR", "XDG_DATA_HOME", "HOME"))


def user_data_dir() -> Path:
    """The per-user data folder (not created here)."""
    override = os.environ.get("CUSTOMDB_DATA_DIR")
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("APPDATA")
        return (Path(base) if base else Path.home() / "AppData" / "Roaming") / "CustomDBStudio"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "CustomDBStudio"
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share") / "customdb-studio"


def app_cache_dir() -> Path:
    """`$CUSTOMDB_CACHE_DIR`, else the platform's per-user cache folder for the app (not created here)."""
    if env := os.environ.get("CUSTOMDB_CACHE_DIR"):
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "customdb-studio" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "customdb-studio"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "customdb-studio"
