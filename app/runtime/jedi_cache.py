"""jedi's disk cache made safe to share: atomic pickle writes, and a damaged file is a cache miss.

Two processes use jedi here: the editor's completion process (app/engine/completion.py) and the
paused runner child answering the debug console (app/runtime/debug_completion.py). Both go through
this module, which lives in app/runtime so the child can import it without app/engine. It imports
nothing heavy at module level: parso is imported by `harden_parso_disk_cache()` only, which callers
run right after importing jedi.

parso (jedi's parser) pickles every module it parses into the cache folder and trusts any pickle
newer than its source. It writes in place, so a reader racing a writer (two IDE windows, the editor
and a debug session, the smoke test) or a process killed mid-write leaves a truncated file that
fails (EOFError, UnpicklingError) on every later start; a folder written by another parso version
(a "foreign" cache: jedi's default folder is shared with other tools) can fail the same way
(AttributeError, ImportError). jedi lets those errors through, so one bad file breaks completion.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from pathlib import Path

CACHE_DIR_ENV = "CUSTOMDB_JEDI_CACHE_DIR"
"""When set, the runner child's jedi (debug console) keeps its cache there instead of jedi's
default folder; the IDE can point it at the editor's cache so the console starts disk-warm."""

_LOAD_ERRORS = (EOFError, pickle.UnpicklingError, AttributeError, ImportError, IndexError, TypeError,
                ValueError, OSError)
"""What reading a truncated, foreign or unreadable pickle raises (then it counts as a miss)."""


def harden_parso_disk_cache() -> None:
    """Patch parso's pickle cache in this process so no cache file can break a completion.

    A save goes to a temporary file in the same folder that replaces the target atomically (a
    reader sees the old file or the new one, never half of one); a save that cannot happen (full
    disk, read-only or odd folder) leaves the parse in memory only. An unreadable pickle counts as
    a miss and is deleted, so the next save rewrites it. The periodic clean-up of old files, which
    may race another process deleting or replacing the same files, never raises. Idempotent."""
    import parso.cache as pc

    if getattr(pc, "_customdb_hardened", False):
        return
    load, target, clean_up = pc._load_from_file_system, pc._get_hashed_path, pc._remove_cache_and_update_lock

    def safe_load(hashed_grammar, path, p_time, cache_path=None):
        try:
            node = load(hashed_grammar, path, p_time, cache_path=cache_path)
            if node is not None and not _is_cache_item(pc, pc.parser_cache.get(hashed_grammar, {}).get(path), node):
                raise TypeError("not a parso cache item")
            return node
        except _LOAD_ERRORS:
            # parso keeps what it unpickled in memory before looking inside it: forget it too
            pc.parser_cache.get(hashed_grammar, {}).pop(path, None)
            with contextlib.suppress(OSError):
                os.remove(target(hashed_grammar, path, cache_path=cache_path))
            return None

    def atomic_save(hashed_grammar, path, item, cache_path=None):
        try:
            final = target(hashed_grammar, path, cache_path=cache_path)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(final), prefix=".tmp-")
        except OSError:  # the folder cannot be made or written: the parse stays in memory only
            return
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(item, f, pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, final)
        except BaseException as e:
            with contextlib.suppress(OSError):
                os.remove(tmp)
            if not isinstance(e, OSError):
                raise

    def safe_clean_up(cache_path=None):
        with contextlib.suppress(OSError):  # a file another process just replaced or deleted
            return clean_up(cache_path=cache_path)
        return False

    pc._load_from_file_system = safe_load
    pc._save_to_file_system = atomic_save
    pc._remove_cache_and_update_lock = safe_clean_up
    pc._customdb_hardened = True


def _is_cache_item(pc: object, item: object, node: object) -> bool:
    """Whether an unpickled `item` is what this parso writes (another version's may lack fields)."""
    from parso.tree import BaseNode

    return (isinstance(item, pc._NodeCacheItem) and isinstance(node, BaseNode)  # type: ignore[attr-defined]
            and all(hasattr(item, a) for a in ("node", "lines", "change_time", "last_used")))


def use_jedi_cache(jedi: object, cache_dir: str | os.PathLike[str] | None = None) -> None:
    """Harden parso's cache and point `jedi` (the imported module) at `cache_dir`, if given
    (created here; jedi's own default folder otherwise)."""
    harden_parso_disk_cache()
    if cache_dir is not None:
        path = Path(cache_dir)
        with contextlib.suppress(OSError):  # an unusable folder: parso falls back to memory only
            path.mkdir(parents=True, exist_ok=True)
        jedi.settings.cache_directory = str(path)  # type: ignore[attr-defined]


def cache_dir_from_environment() -> Path | None:
    """`$CUSTOMDB_JEDI_CACHE_DIR` when set and non-empty, else None (jedi's default folder)."""
    value = os.environ.get(CACHE_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else None
