"""Unsaved edits survive a crash: buffers are written to the app's data folder every few seconds
and offered back on the next start. A clean close or a save removes them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from app.domain.project import atomic_write
from app.ui.paths import data_dir

AUTOSAVE_INTERVAL_MS = 3000


@dataclass(frozen=True)
class RecoveredBuffer:
    project_root: Path
    script: str
    text: str
    saved_at: float
    file: Path  # the autosave file itself
    suffix: str = ".py"  # the project language's script suffix

    @property
    def target(self) -> Path:
        return self.project_root / "scripts" / f"{self.script}{self.suffix}"


def _folder() -> Path:
    folder = data_dir() / "autosave"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _name(project_root: Path, script: str) -> str:
    import hashlib  # not at the top: the window imports this module before its first paint

    digest = hashlib.sha256(str(Path(project_root).resolve()).encode()).hexdigest()[:16]
    return f"{digest}-{script}.json"


def store(project_root: Path, script: str, text: str) -> None:
    """Keep the unsaved text of one script; atomic, so a crash mid-write loses nothing older."""
    import json  # here, not at the top: the window imports this module before its first paint

    record = {"project": str(Path(project_root).resolve()), "script": script, "text": text,
              "saved_at": time.time()}
    atomic_write(_folder() / _name(project_root, script), json.dumps(record))


def discard(project_root: Path, script: str) -> None:
    (_folder() / _name(project_root, script)).unlink(missing_ok=True)


def pending(project_root: Path, suffix: str = ".py") -> list[RecoveredBuffer]:
    """Autosaved buffers of this project whose text differs from its script file (`suffix`: the
    project language's, `.py` or `.js`) on disk."""
    import json

    root = Path(project_root).resolve()
    found: list[RecoveredBuffer] = []
    for file in sorted(_folder().glob("*.json")):
        try:
            record = json.loads(file.read_text(encoding="utf-8"))
            buffer = RecoveredBuffer(Path(record["project"]), str(record["script"]), str(record["text"]),
                                     float(record["saved_at"]), file, suffix)
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a foreign or damaged file is never fatal
        if buffer.project_root != root:
            continue
        try:
            on_disk = buffer.target.read_text(encoding="utf-8")
        except OSError:
            on_disk = None
        if on_disk == buffer.text:
            file.unlink(missing_ok=True)
            continue
        found.append(buffer)
    return found
