"""Through the real runner, on SQLite, the private PostgreSQL server and (when installed) MariaDB:
the SQL trace's `rows` is what the script read from a SELECT and the rowcount of an UPDATE, and a
dry run also rolls back what the script writes through an engine it creates itself."""

from __future__ import annotations

import pytest
import sqlalchemy
from sqlalchemy import text

from app.domain.project import load_project
from app.domain.scripts import Mode
from app.engine.runner import RunnerClient
from tests.engine.test_runner_databases import make_project, store  # noqa: F401 - the fixture, per dialect

ROWS = '''
def get_user(email, callback):
    one = db.execute(text("SELECT id FROM users ORDER BY id")).first()
    every = db.execute(text("SELECT id FROM users ORDER BY id")).fetchall()
    looped = [r.id for r in db.execute(text("SELECT id FROM users WHERE id >= 2 ORDER BY id"))]
    db.execute(text("UPDATE users SET nickname = 'renamed' WHERE id <= 2"))
    log.info("%s %s %s", one.id, len(every), looped)
    callback(None)
'''

OWN_ENGINE = '''
from sqlalchemy import create_engine

def get_user(email, callback):
    engine = create_engine(db.engine.url)  # the same database, through the script's own engine
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET nickname = 'renamed' WHERE id = 1"))
    with engine.connect() as conn:
        conn.execute(text("UPDATE users SET nickname = 'renamed' WHERE id = 2"))
        conn.commit()
    engine.dispose()
    callback(None)
'''

AUTOCOMMIT = '''
from sqlalchemy import create_engine

def get_user(email, callback):
    engine = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("UPDATE users SET nickname = 'renamed' WHERE id = 1"))
    callback(None)
'''

AUTOCOMMIT_LATER = '''
from sqlalchemy import create_engine

def get_user(email, callback):
    engine = create_engine(db.engine.url)
    with engine.connect() as conn:
        conn.rollback()  # no transaction going on: the isolation level may change
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("UPDATE users SET nickname = 'renamed' WHERE id = 1"))
    callback(None)
'''


def nicknames(store) -> list[str]:  # noqa: F811 - the fixture's value
    """Read with a connection of its own, outside the runner."""
    engine = sqlalchemy.create_engine(store.admin_url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT nickname FROM users ORDER BY id"))]
    finally:
        engine.dispose()


def run(tmp_path, store, source, **kw):  # noqa: F811
    root = make_project(tmp_path / "project", store, Mode.LEGACY)
    client = RunnerClient(load_project(root))
    try:
        return client.run("get_user", {"email": "alice@example.com"}, source=source, **kw)
    finally:
        client.close()


def test_rows_are_what_a_select_read_and_what_an_update_changed(tmp_path, store):  # noqa: F811
    result = run(tmp_path, store, ROWS)
    assert result.outcome == "not_found", result.error
    counted = [(e["statement"].split()[0].upper(), e["rows"]) for e in result.sql
               if e["statement"].split()[0].upper() in ("SELECT", "UPDATE")]
    assert counted == [("SELECT", 1), ("SELECT", 3), ("SELECT", 2), ("UPDATE", 2)], result.sql
    assert any(line["text"].endswith("1 3 [2, 3]") for line in result.logs), result.logs  # what the script saw


def test_a_dry_run_undoes_writes_through_an_engine_the_script_made(tmp_path, store):  # noqa: F811
    before = nicknames(store)
    result = run(tmp_path, store, OWN_ENGINE)
    assert result.outcome == "not_found" and result.committed is False, result.error
    assert nicknames(store) == before
    statements = [e["statement"] for e in result.sql]
    assert statements.count("COMMIT -- held back: dry run (run with commit to write)") == 2, statements


def test_with_commit_writes_on_the_own_engine_writes(tmp_path, store):  # noqa: F811
    result = run(tmp_path, store, OWN_ENGINE, commit=True)
    assert result.outcome == "not_found" and result.committed is True, result.error
    assert nicknames(store)[:2] == ["renamed", "renamed"]


@pytest.mark.parametrize("source", [AUTOCOMMIT, AUTOCOMMIT_LATER], ids=["engine", "connection"])
def test_autocommit_is_refused_in_a_dry_run_and_allowed_with_commit(tmp_path, store, source):  # noqa: F811
    before = nicknames(store)
    result = run(tmp_path, store, source)
    assert nicknames(store) == before
    if store.dialect == "sqlite":  # pysqlite's autocommit still takes an explicit BEGIN: rolled back
        assert result.outcome == "not_found", result.error
    else:
        assert result.outcome == "error" and result.error["type"] == "DryRunRefused", result.error
        assert "AUTOCOMMIT" in result.error["message"] and "commit writes" in result.error["message"]
        assert any(line["text"].startswith("[dry run] refused") for line in result.logs), result.logs
    committed = run(tmp_path, store, source, commit=True)
    assert committed.outcome == "not_found", committed.error
    assert nicknames(store)[0] == "renamed"


KEEP = '''
from sqlalchemy import create_engine

def get_user(email, callback):
    if "conn" not in global_:  # the first run opens it; later runs of the container reuse it
        global_["conn"] = create_engine(db.engine.url).connect()
    global_["conn"].execute(text("UPDATE users SET nickname = 'kept' WHERE id = 1"))
    global_["conn"].commit()
    callback(None)
'''

DB_WRITE = '''
def get_user(email, callback):
    db.execute(text("UPDATE users SET nickname = 'direct' WHERE id = 1"))
    callback(None)
'''


def test_a_connection_kept_from_a_dry_run_stays_dry_and_holds_no_lock_after_any_run(tmp_path, store):  # noqa: F811
    root = make_project(tmp_path / "project", store, Mode.LEGACY)
    before = nicknames(store)
    with RunnerClient(load_project(root)) as client:
        dry = client.run("get_user", {"email": "a@b.c"}, source=KEEP)
        assert dry.outcome == "not_found", dry.error
        kept = client.run("get_user", {"email": "a@b.c"}, source=KEEP, commit=True)
        assert kept.outcome == "not_found", kept.error
        assert "COMMIT -- held back: dry run (run with commit to write)" in [e["statement"] for e in kept.sql]
        assert nicknames(store) == before
        # its writes were undone when that run ended: `db` can write the same row at once
        direct = client.run("get_user", {"email": "a@b.c"}, source=DB_WRITE, commit=True)
        assert direct.outcome == "not_found" and direct.committed, direct.error
    assert nicknames(store)[0] == "direct"
