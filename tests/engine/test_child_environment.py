"""What a runner child inherits: no secret overrides, and the editor's jedi cache for the console."""

from __future__ import annotations

from app.engine.child import child_environment


def test_secret_overrides_stay_in_the_ide(monkeypatch):
    monkeypatch.setenv("CUSTOMDB_CONFIG_API_KEY", "s3cret")
    monkeypatch.setenv("CUSTOMDB_DATABASE_PASSWORD", "hunter2")
    monkeypatch.setenv("SOMETHING_ELSE", "kept")
    env = child_environment()
    assert "CUSTOMDB_CONFIG_API_KEY" not in env and "CUSTOMDB_DATABASE_PASSWORD" not in env
    assert env["SOMETHING_ELSE"] == "kept"


def test_the_debug_console_shares_the_editors_jedi_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("CUSTOMDB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CUSTOMDB_JEDI_CACHE_DIR", raising=False)
    assert child_environment()["CUSTOMDB_JEDI_CACHE_DIR"] == str(tmp_path / "cache" / "jedi")
    monkeypatch.setenv("CUSTOMDB_JEDI_CACHE_DIR", str(tmp_path / "mine"))  # a caller's own choice wins
    assert child_environment()["CUSTOMDB_JEDI_CACHE_DIR"] == str(tmp_path / "mine")
