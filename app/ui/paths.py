"""Where the IDE keeps its own files (autosaves), separate from any project.

The same per-user folder as the engine's (`app.engine.userdata`): `CUSTOMDB_DATA_DIR` overrides the
OS location, so tests and the screenshot script stay isolated.
"""

from __future__ import annotations

from pathlib import Path

from app.engine.userdata import user_data_dir


def data_dir() -> Path:
    """The app's data folder, created on demand."""
    path = user_data_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path
