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

