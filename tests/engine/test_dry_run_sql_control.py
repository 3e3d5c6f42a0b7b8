"""A dry run leaves the legacy database exactly as it was, whatever SQL text the script sends
(RELIABILITY-REVIEW D1, D2): transaction control as SQL (COMMIT, END, ROLLBACK, BEGIN, several
statements in one string, comments before them, through `db`, `exec_driver_sql` or an engine the
script made) is refused with DryRunRefused, and so is AUTOCOMMIT set on the injected `db`. SQLite is
compared by the file's sha256, the servers by the table's contents. `--commit` still writes."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy
from sqlalchemy import text

from app.domain.project import load_project
from app.domain.scripts import Mode
from app.engine.rehearsal import Rehearsal
from app.engine.runner import RunnerClient
from tests.engine.test_runner_databases import make_project, store  # noqa: F401 - the fixture, per dialect

UPDATE = "UPDATE users SET nickname = 'ESCAPED' WHERE id = 1"


def body(*lines: str) -> str:
    return "def get_user(email, callback):\n" + "".join(f"    {line}\n" for line in lines) + "    callback(None)\n"


OWN = "__import__('sqlalchemy').create_engine(db.engine.url)"

ESCAPES = {
    "commit-then-update": body('db.execute(text("COMMIT"))', f'db.execute(text("{UPDATE}"))'),
    "end-driver-sql": body('db.exec_driver_sql("END")', f'db.exec_driver_sql("{UPDATE}")'),
    "rollback-then-update": body('db.execute(text("ROLLBACK"))', f'db.execute(text("{UPDATE}"))'),
    "update-then-commit": body(f'db.execute(text("{UPDATE}"))', 'db.execute(text("COMMIT"))'),
    "comment-and-case": body(f'db.execute(text("{UPDATE}"))', 'db.exec_driver_sql("/* x */ -- y\\n  cOmMiT ;")'),
    "begin-again": body('db.exec_driver_sql("COMMIT; BEGIN")', f'db.execute(text("{UPDATE}"))'),
    "own-engine": body(f"c = {OWN}.connect()", f'c.exec_driver_sql("{UPDATE}")', 'c.exec_driver_sql("COMMIT")'),
    "autocommit-on-db": body("db.rollback()",
                             f'db.execution_options(isolation_level="AUTOCOMMIT").execute(text("{UPDATE}"))'),
}


def contents(store) -> object:  # noqa: F811 - the fixture's value
    """SQLite: the file's bytes' hash; a server: every row of users, read outside the runner."""
    if store.sqlite_file is not None:
        return hashlib.sha256(store.sqlite_file.read_bytes()).hexdigest()
    engine = sqlalchemy.create_engine(store.admin_url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT * FROM users ORDER BY id"))]
    finally:
        engine.dispose()


def nickname(store) -> str:  # noqa: F811
    engine = sqlalchemy.create_engine(store.admin_url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT nickname FROM users WHERE id = 1")).scalar()
    finally:
        engine.dispose()


@pytest.fixture
def project(tmp_path, store):  # noqa: F811
    return load_project(make_project(tmp_path / "project", store, Mode.LEGACY))


@pytest.mark.parametrize("source", list(ESCAPES.values()), ids=list(ESCAPES))
def test_sql_transaction_control_cannot_commit_a_dry_run(project, store, source):  # noqa: F811
    before = contents(store)
    with RunnerClient(project) as client:
        result = client.run("get_user", {"email": "alice@example.com"}, source=source)
    assert contents(store) == before, (result.outcome, result.error)
    assert result.committed is False
    if store.dialect != "sqlite" or "AUTOCOMMIT" not in source:  # SQLite's AUTOCOMMIT keeps its BEGIN
        assert result.outcome == "error" and result.error["type"] == "DryRunRefused", result.error
        assert "commit writes" in result.error["message"]
        assert any(line["text"].startswith("[dry run] refused") for line in result.logs), result.logs


def test_several_statements_in_one_string_are_each_checked(project, store):  # noqa: F811
    """psycopg sends a string without parameters as one simple query: `UPDATE ...; COMMIT` would
    commit on PostgreSQL. Every dialect refuses it before it is sent."""
    before = contents(store)
    source = body(f'db.exec_driver_sql("{UPDATE}; COMMIT")')
    with RunnerClient(project) as client:
        result = client.run("get_user", {"email": "alice@example.com"}, source=source)
    assert contents(store) == before
    assert result.error and result.error["type"] == "DryRunRefused", result.error


def test_with_commit_the_same_sql_writes(project, store):  # noqa: F811
    source = body(f'db.execute(text("{UPDATE}"))', 'db.execute(text("COMMIT"))')
    with RunnerClient(project) as client:
        result = client.run("get_user", {"email": "alice@example.com"}, source=source, commit=True)
    assert result.outcome == "not_found", result.error
    assert nickname(store) == "ESCAPED"


def test_a_statement_that_mentions_commit_only_in_a_string_or_comment_runs(project, store):  # noqa: F811
    source = body("db.execute(text(\"SELECT 'COMMIT; END' AS c -- COMMIT\")).all()",
                  'db.execute(text("SELECT 1 /* ROLLBACK */")).all()', f'db.execute(text("{UPDATE}"))')
    before = contents(store)
    with RunnerClient(project) as client:
        result = client.run("get_user", {"email": "alice@example.com"}, source=source)
    assert result.outcome == "not_found", result.error
    assert contents(store) == before


def test_savepoints_still_work_in_a_dry_run(project, store):  # noqa: F811
    source = body("with db.begin_nested():", f'    db.execute(text("{UPDATE}"))',
                  "nested = db.begin_nested()", 'db.execute(text("UPDATE users SET nickname = NULL"))',
                  "nested.rollback()")
    before = contents(store)
    with RunnerClient(project) as client:
        result = client.run("get_user", {"email": "alice@example.com"}, source=source)
    assert result.outcome == "not_found", result.error
    assert contents(store) == before


def test_the_rehearsal_refuses_sql_commit_and_leaves_the_store_unchanged(project, store):  # noqa: F811
    before = contents(store)
    project.write_script("get_user", 'def get_user(email, callback):\n'
                         '    db.execute(text("COMMIT"))\n'
                         f'    db.execute(text("{UPDATE}"))\n'
                         '    callback(None, {"user_id": email, "email": email})\n')
    report = Rehearsal(load_project(project.root), limit=2).run()
    assert contents(store) == before
    assert report.ok == 0 and all("DryRunRefused" in f.message for f in report.failures), report.to_dict()


def test_a_sqlite_transaction_ended_by_the_engine_itself_stays_dry(project, store):  # noqa: F811
    """SQLite ends the transaction on its own for ON CONFLICT ROLLBACK (no COMMIT in the text): the
    statements after it still run inside a transaction that is rolled back."""
    if store.dialect != "sqlite":
        pytest.skip("SQLite's conflict resolution")
    source = body("try:", '    db.execute(text("INSERT OR ROLLBACK INTO users (id, email) VALUES (1, \'x\')"))',
                  "except Exception:", "    pass", f'db.execute(text("{UPDATE}"))')
    before = contents(store)
    with RunnerClient(project) as client:
        result = client.run("get_user", {"email": "alice@example.com"}, source=source)
    assert contents(store) == before, (result.outcome, result.error)


def test_mysql_statements_that_commit_implicitly_are_refused(project, store):  # noqa: F811
    if store.dialect != "mysql":
        pytest.skip("MySQL/MariaDB commit before DDL")
    before = contents(store)
    source = body(f'db.execute(text("{UPDATE}"))', 'db.execute(text("CREATE TABLE scratch (n INTEGER)"))')
    with RunnerClient(project) as client:
        result = client.run("get_user", {"email": "alice@example.com"}, source=source)
        temp = client.run("get_user", {"email": "alice@example.com"}, source=body(
            f'db.execute(text("{UPDATE}"))', 'db.execute(text("CREATE TEMPORARY TABLE scratch (n INTEGER)"))'))
    assert contents(store) == before
    assert result.error and result.error["type"] == "DryRunRefused" and "CREATE" in result.error["message"]
    assert temp.outcome == "not_found", temp.error
