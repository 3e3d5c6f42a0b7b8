"""The dry run's reading of SQL text (app/runtime/sql_control.py): what would end the transaction is
found however it is written, and what only mentions it (strings, comments, identifiers) is not."""

from __future__ import annotations

import pytest

from app.runtime.sql_control import control

ENDS = [
    ("COMMIT", "sqlite"), ("  commit ;", "postgresql"), ("/* a */ -- b\n End", "sqlite"),
    ("END TRANSACTION", "sqlite"), ("ROLLBACK", "postgresql"), ("rollback work", "mysql"),
    ("ABORT", "postgresql"), ("BEGIN", "sqlite"), ("START TRANSACTION", "mysql"),
    ("UPDATE t SET x = 1; COMMIT", "postgresql"), ("SELECT 1;;commit", "postgresql"),
    ("COMMIT PREPARED 'x'", "postgresql"), ("PREPARE TRANSACTION 'x'", "postgresql"),
    ("SET autocommit = 1", "mysql"), ("SET @@session.autocommit=ON", "mysql"),
    ("/*!40101 COMMIT */", "mysql"), ("SELECT 1 # c\n; COMMIT", "mysql"),
    ("CREATE TABLE x (n INT)", "mysql"), ("TRUNCATE users", "mysql"), ("LOCK TABLES users WRITE", "mysql"),
    ("INSERT OR ROLLBACK INTO t VALUES (1)", "sqlite"),
    ("CREATE TRIGGER tr AFTER UPDATE ON t BEGIN SELECT RAISE(ROLLBACK, 'x'); END", "sqlite"),
    # a backslash is an escape in some modes only: read both ways, COMMIT is found in one of them
    ("SELECT 'a\\'; COMMIT; --'", "mysql"), ("SELECT 'a\\'; COMMIT; --'", "postgresql"),
    ("SELECT $x$ a $x$; COMMIT", "postgresql"),
]

RUNS = [
    ("SELECT 'COMMIT; END' AS c -- COMMIT", "sqlite"), ("SELECT 1 /* ROLLBACK */", "postgresql"),
    ('SELECT "commit" FROM t', "postgresql"), ("SELECT `end` FROM t", "mysql"),
    ("SELECT CASE WHEN x THEN 1 END FROM t", "sqlite"), ("SAVEPOINT sa_savepoint_1", "postgresql"),
    ("RELEASE SAVEPOINT sa_savepoint_1", "mysql"), ("ROLLBACK TO SAVEPOINT sa_savepoint_1", "sqlite"),
    ("ROLLBACK TRANSACTION TO x", "sqlite"), ("SELECT $body$ COMMIT $body$", "postgresql"),
    ("DO $$ BEGIN PERFORM 1; END $$", "postgresql"), ("CREATE TABLE x (n INT)", "sqlite"),
    ("CREATE TEMPORARY TABLE x (n INT)", "mysql"), ("DROP TEMPORARY TABLE IF EXISTS x", "mysql"),
    ("CREATE TEMP TRIGGER tr AFTER UPDATE ON t BEGIN UPDATE t SET x = 1; END", "sqlite"),
    ("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "mysql"), ("SELECT @@autocommit", "mysql"),
    ("UPDATE users SET nickname = 'x' WHERE id = $1", "postgresql"),
]


@pytest.mark.parametrize(("sql", "dialect"), ENDS)
def test_what_ends_the_transaction_is_found(sql, dialect):
    assert control(sql, dialect)


@pytest.mark.parametrize(("sql", "dialect"), RUNS)
def test_what_only_mentions_it_runs(sql, dialect):
    assert control(sql, dialect) is None
