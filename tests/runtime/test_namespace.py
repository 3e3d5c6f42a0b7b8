"""The injected globals are exactly the documented table, and `db` cannot commit in a dry run."""

from __future__ import annotations

import logging
import types

import pytest
from sqlalchemy import text

from app.runtime.api import INJECTED_NAMES
from app.runtime.namespace import DryRunConnection, injected, make_engine, module_globals


@pytest.fixture
def engine(tmp_path):
    e = make_engine(f"sqlite:///{tmp_path / 'n.db'}")
    with e.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    yield e
    e.dispose()


def test_namespace_keys_are_exactly_the_injected_names(engine):
    with engine.connect() as conn:
        names = injected({"A": "1"}, {}, conn, logging.getLogger("t"))
        assert tuple(names) == INJECTED_NAMES
        g = module_globals(names, "/x/scripts/login.py", "login")
        assert set(g) - set(INJECTED_NAMES) == {"__name__", "__file__", "__builtins__", "__doc__"}


def test_configuration_is_a_read_only_copy(engine):
    source = {"A": "1"}
    with engine.connect() as conn:
        config = injected(source, {}, conn, logging.getLogger("t"))["configuration"]
    assert isinstance(config, types.MappingProxyType) and config["A"] == "1"
    with pytest.raises(TypeError):
        config["A"] = "2"
    source["A"] = "changed"
    assert config["A"] == "1"


def _count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM t")).scalar()


def test_dry_run_connection_holds_back_commit_and_nests_begin(engine):
    held = []
    db = DryRunConnection(engine)
    db._on_held_commit = lambda: held.append(True)
    db.begin()
    db.execute(text("INSERT INTO t VALUES (1)"))
    db.commit()
    with db.begin():  # a savepoint inside the run's transaction
        db.execute(text("INSERT INTO t VALUES (2)"))
    assert db.execute(text("SELECT count(*) FROM t")).scalar() == 2
    db.rollback()
    db.close()
    assert held == [True] and _count(engine) == 0


def test_plain_connection_commits(engine):
    with engine.connect() as db:
        db.execute(text("INSERT INTO t VALUES (1)"))
        db.commit()
    assert _count(engine) == 1


def test_the_child_imports_nothing_from_the_engine_qt_or_jedi():
    import subprocess
    import sys

    code = ("import sys, app.runtime.host, app.runtime.execution; "
            "print(sorted(m for m in sys.modules if m.startswith(('app.engine', 'app.ui', 'PySide6', 'jedi'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- a dry run also covers the engines a script makes itself -------------------------------------

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
