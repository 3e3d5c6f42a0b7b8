"""A dry run also covers the engines a script makes itself (app/runtime/dry_run.py), in-process on a
SQLite file read back through sqlite3 itself; the runner-level and server tests are in
tests/engine/test_runner_rows_and_dry_run.py."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.runtime.namespace import DryRunConnection, make_engine


def _count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM t")).scalar()


@pytest.fixture
def guard():
    """The child's engine guard, installed for one test (restored afterwards), with a dry run going on."""
    from sqlalchemy.engine import Engine

    from app.runtime.dry_run import DryRunGuard, end_dry_run, install_engine_guard

    previous = Engine._connection_cls
    install_engine_guard()
    notes: list[str] = []
    g = DryRunGuard(notes.append, notes.append)
    g.notes = notes
    g.start()
    try:
        yield g
    finally:
        end_dry_run()
        Engine._connection_cls = previous


@pytest.fixture
def store(tmp_path):
    """A SQLite file with table t, read back through sqlite3 itself: what is really on disk."""
    import sqlite3

    path = tmp_path / "store.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x INTEGER)")
    con.commit()
    con.close()

    def rows() -> list[int]:
        con = sqlite3.connect(path)
        try:
            return [r[0] for r in con.execute("SELECT x FROM t ORDER BY x")]
        finally:
            con.close()

    return f"sqlite:///{path}", rows


def test_a_dry_run_rolls_back_every_way_a_self_made_engine_writes(guard, store):
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    url, rows = store
    engine = create_engine(url)
    with engine.begin() as conn:  # commits on leaving the block: held back
        conn.execute(text("INSERT INTO t VALUES (1)"))
    with engine.connect() as conn, conn.begin(), conn.begin_nested():  # a savepoint released
        conn.execute(text("INSERT INTO t VALUES (2)"))
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO t VALUES (3)"))
        conn.commit()
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 1  # it sees its own write
    with Session(engine) as session:
        session.execute(text("INSERT INTO t VALUES (4)"))
        session.commit()
    left_open = create_engine(url, isolation_level="AUTOCOMMIT").connect()  # SQLite: BEGIN makes it undoable
    left_open.execute(text("INSERT INTO t VALUES (5)"))
    assert rows() == []
    guard.end()
    assert rows() == [] and left_open.execute(text("SELECT count(*) FROM t")).scalar() == 0
    assert "COMMIT -- held back: dry run (run with commit to write)" in guard.notes
    left_open.close()
    engine.dispose()


def test_an_engine_made_before_the_dry_run_is_dry_during_it_and_writes_after(guard, store):
    from sqlalchemy import create_engine

    url, rows = store
    guard.end()  # as between runs, or in a run with commit writes on
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
    assert rows() == [1]
    guard.start()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (2)"))
    guard.end()
    assert rows() == [1]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (3)"))
    assert rows() == [1, 3]
    engine.dispose()


def test_the_injected_engine_is_guarded_too(guard, tmp_path):
    e = make_engine(f"sqlite:///{tmp_path / 'g.db'}")
    guard.end()
    with e.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    guard.start()
    db = DryRunConnection(e)
    db.begin()
    with db.engine.begin() as conn:  # `db.engine.begin()` in a script: a second connection, also dry
        conn.execute(text("INSERT INTO t VALUES (1)"))
    db.rollback()
    db.close()
    guard.end()
    assert _count(e) == 0
    e.dispose()
