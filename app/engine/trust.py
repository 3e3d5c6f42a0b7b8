"""Restricted mode: a project that came from a reproduction bundle holds someone else's code, so it
may be read, linted and trace-analysed, but not run (run, test, debug, simulate, rehearse,
reproduce) until the user trusts it.

Two records say "this folder is restricted", so deleting one is not enough to slip past:
- a marker inside the project, `.customdb/origin.json`, written by `customdb bundle import`
  (`.customdb/` is never bundled, so a bundle cannot bring or fake it);
- an entry in the per-user trust store, `<user data dir>/trust.json`, *outside* the project.

Trust itself lives only in the trust store, keyed by the folder's resolved path and a fingerprint
(the project's id), so a different project later unpacked at the same path is not trusted by
accident, and nothing inside a bundle can mark itself trusted.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.domain.project import STATE_DIR, atomic_write
from app.engine.run_inputs import RunInputError
from app.engine.userdata import user_data_dir

ORIGIN_FILE = "origin.json"  # inside the project's .customdb/
STORE_FILE = "trust.json"  # inside the user data dir
_STORE_VERSION = 1
_lock = threading.Lock()


class UntrustedProjectError(RunInputError):
    """Running a restricted project was refused. A RunInputError, so every caller that already turns
    unusable run input into a clear message (CLI exit 2, the GUI's message box) handles it too."""

    def __init__(self, root: Path | str):
        self.root = Path(root)
        super().__init__(
            f"{self.root} came from a reproduction bundle and holds someone else's code; running it is "
            f"refused until you trust it: read its scripts, then run `customdb trust {_quote(self.root)}`")


def _quote(path: Path) -> str:
    import shlex

    return shlex.quote(str(path))


def store_path() -> Path:
    return user_data_dir() / STORE_FILE


def origin_path(root: Path | str) -> Path:
    return Path(root) / STATE_DIR / ORIGIN_FILE


def _key(root: Path | str) -> str:
    return str(Path(root).resolve())


def _fingerprint(project: Any) -> str:
    return str(getattr(project, "id", "") or "")


# -- the store ---------------------------------------------------------------------------------------

def _read_store() -> dict[str, dict[str, Any]]:
    """The folders the store knows; a missing or damaged store is empty (nothing trusted)."""
    try:
        data = json.loads(store_path().read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    folders = data.get("folders") if isinstance(data, dict) else None
    return {k: v for k, v in folders.items() if isinstance(v, dict)} if isinstance(folders, dict) else {}


def _write_store(folders: dict[str, dict[str, Any]]) -> None:
    path = store_path()
    atomic_write(path, json.dumps({"version": _STORE_VERSION, "folders": folders}, indent=2, sort_keys=True))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- what import, trust and the runners call ---------------------------------------------------------

def mark_from_bundle(project: Any, source: str) -> None:
    """Record that the project at `project.root` was unpacked from a bundle: restricted until trusted."""
    atomic_write(origin_path(project.root), json.dumps(
        {"from_bundle": True, "source": source, "imported_at": _now()}, indent=2))
    with _lock:
        folders = _read_store()
        folders[_key(project.root)] = {"state": "restricted", "fingerprint": _fingerprint(project),
                                       "since": _now()}
        _write_store(folders)


def is_from_bundle(root: Path | str) -> bool:
    """The project carries the import marker, or the store remembers the folder as restricted."""
    if origin_path(root).is_file():
        return True
    entry = _read_store().get(_key(root))
    return bool(entry and entry.get("state") == "restricted")


def is_trusted(project: Any) -> bool:
    """Trusted by the user: the store has this folder with this project's fingerprint."""
    entry = _read_store().get(_key(project.root))
    return bool(entry and entry.get("state") == "trusted" and entry.get("fingerprint") == _fingerprint(project))


def is_restricted(project: Any) -> bool:
    """Running is refused: the project came from a bundle and the user has not trusted it (yet)."""
    if not os.path.isfile(origin_path(project.root)):
        # the common case, the user's own project: one stat and one small read
        entry = _read_store().get(_key(project.root))
        return bool(entry and entry.get("state") == "restricted")
    return not is_trusted(project)


def require_trusted(project: Any) -> None:
    """Raise UntrustedProjectError (naming `customdb trust DIR`) when the project is restricted."""
    if is_restricted(project):
        raise UntrustedProjectError(project.root)


def trust(project: Any) -> None:
    """Trust the project in its folder (remembered outside the project, for this user)."""
    with _lock:
        folders = _read_store()
        folders[_key(project.root)] = {"state": "trusted", "fingerprint": _fingerprint(project), "since": _now()}
        _write_store(folders)


def revoke(project: Any) -> None:
    """Take trust back: the folder is restricted again (also a project that never came from a bundle)."""
    with _lock:
        folders = _read_store()
        folders[_key(project.root)] = {"state": "restricted", "fingerprint": _fingerprint(project),
                                       "since": _now()}
        _write_store(folders)


def refusal(project: Any) -> str | None:
    """The one-line refusal for a restricted project, or None when it may run (the form
    `customdb simulate` / `rehearse` ask for)."""
    return str(UntrustedProjectError(project.root)) if is_restricted(project) else None
