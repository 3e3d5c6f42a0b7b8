"""jedi's disk cache, hardened once for the editor and the debug console: a truncated, foreign or
unwritable cache never breaks a completion, and a damaged file is replaced by a good one."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from app.runtime import jedi_cache

FOREIGN = b"cno_such_parso_module\nNodeCacheItem\n."  # a pickle naming a class this parso lacks


@pytest.fixture
def jedi_at(monkeypatch):
    """Make completions with jedi caching in a folder; parso's in-memory copies are forgotten
    first, so each completion reads the disk cache."""
    import jedi
    import parso.cache

    monkeypatch.setattr(jedi.settings, "cache_directory", jedi.settings.cache_directory)  # restored after

    def complete(folder: Path, text: str = "name.up") -> list[str]:
        jedi_cache.use_jedi_cache(jedi, folder)
        parso.cache.parser_cache.clear()
        return [c.name for c in jedi.Interpreter(text, namespaces=[{"name": "alice"}]).complete()]

    yield complete
    parso.cache.parser_cache.clear()


def _pickles(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.pkl"))


def test_truncated_foreign_and_wrong_pickles_are_misses_and_get_rewritten(tmp_path, jedi_at):
    assert jedi_at(tmp_path) == ["upper"]
    pickles = _pickles(tmp_path)
    assert pickles, "jedi should have cached the stubs it parsed"
    damage = [lambda b: b[:10], lambda b: FOREIGN, lambda b: pickle.dumps({"node": None})]
    for i, p in enumerate(pickles):  # killed mid-write, another parso version's, not a cache item
        p.write_bytes(damage[i % 3](p.read_bytes()))
    assert jedi_at(tmp_path) == ["upper"]
    assert jedi_at(tmp_path, "name.low") == ["lower"]  # nothing bogus was kept in memory either
    for p in _pickles(tmp_path):
        with p.open("rb") as f:
            assert type(pickle.load(f)).__name__ == "_NodeCacheItem"


def test_a_cache_folder_that_cannot_be_written_still_completes(tmp_path, jedi_at):
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("a file where the cache folder should be")
    # `upper()` returns str only in typeshed's stubs: jedi still parses them (in memory only)
    assert jedi_at(not_a_folder, "name.upper().cap") == ["capitalize"]
    assert jedi_at(not_a_folder / "jedi", "name.upper().cap") == ["capitalize"]


def test_a_save_leaves_no_temporary_file_behind(tmp_path, jedi_at):
    jedi_at(tmp_path)
    leftovers = [p.name for p in tmp_path.rglob(".tmp-*")]
    assert _pickles(tmp_path) and leftovers == []


def test_the_clean_up_racing_another_process_never_breaks_a_completion(tmp_path, jedi_at, monkeypatch):
    import parso.cache

    def vanished(*_args, **_kwargs):  # os.scandir listed a file another process then replaced
        raise FileNotFoundError("gone")

    monkeypatch.setattr(parso.cache, "clear_inactive_cache", vanished)
    # no clean-up lock yet: the first save runs the clean-up
    assert jedi_at(tmp_path, "name.upper().cap") == ["capitalize"]


def test_hardening_twice_changes_nothing():
    import parso.cache

    jedi_cache.harden_parso_disk_cache()
    patched = (parso.cache._load_from_file_system, parso.cache._save_to_file_system)
    jedi_cache.harden_parso_disk_cache()
    assert (parso.cache._load_from_file_system, parso.cache._save_to_file_system) == patched


def test_the_console_cache_folder_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(jedi_cache.CACHE_DIR_ENV, raising=False)
    assert jedi_cache.cache_dir_from_environment() is None
    monkeypatch.setenv(jedi_cache.CACHE_DIR_ENV, "  ")
    assert jedi_cache.cache_dir_from_environment() is None
    monkeypatch.setenv(jedi_cache.CACHE_DIR_ENV, str(tmp_path))
    assert jedi_cache.cache_dir_from_environment() == tmp_path
