"""Where the IDE keeps its own files (autosaves, recent projects), separate from any project.

`CUSTOMDB_DATA_DIR` overrides the OS location so tests and the screenshot script stay isolated.
"""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The app's data folder, created on demand."""
    override = os.environ.get("CUSTOMDB_DATA_DIR")
    if override:
        path = Path(override)
    else:
        from PySide6.QtCore import QStandardPaths

        path = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))
    path.mkdir(parents=True, exist_ok=True)
    return path
