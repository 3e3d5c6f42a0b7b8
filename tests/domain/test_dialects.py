"""Scripts written for another SQL dialect (issue 17 item 4)."""

import pytest

from app.domain.dialects import declared_dialect, dialect_of_url, mismatch
from app.domain.templates import DIALECTS, template_keys, template_source


def test_templates_name_their_dialect():
    for dialect in DIALECTS:
        for mode in ("legacy", "migration"):
            for key in template_keys(mode):
                assert declared_dialect(template_source(dialect, mode, key)) == dialect, (dialect, mode, key)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_template_fits_its_own_dialect(dialect):
    for mode in ("legacy", "migration"):
        for key in template_keys(mode):
            assert mismatch(template_source(dialect, mode, key), dialect) is None, (mode, key)


def test_the_sqlite_migration_login_on_postgresql_names_the_boolean_comparison():
    found = mismatch(template_source("sqlite", "migration", "login"), "postgresql")
    assert found.written_for == "sqlite"
    assert any("boolean" in why and "PostgreSQL" in why for _, why in found.problems)
    assert "written for SQLite" in found.summary("postgresql")


def test_sql_alone_betrays_the_dialect_of_a_hand_written_script():
    source = 'def get_user(email, callback):\n    db.execute(text("SELECT TOP 1 id FROM users WHERE email = :e"))\n'
    found = mismatch(source, "postgresql")
    assert found.written_for == "mssql" and found.problems[0][0] == 2
    assert mismatch(source, "mssql") is None


def test_the_docstring_is_not_sql():
    assert mismatch('"""Compare with LIMIT 1 and `x` in prose."""\ndef f():\n    pass\n', "mssql") is None


def test_dialect_of_url():
    assert dialect_of_url("postgresql+psycopg://u@h/db") == "postgresql"
    assert dialect_of_url("mariadb+pymysql://u@h/db") == "mysql"
    assert dialect_of_url("sqlite:///legacy.db") == "sqlite"
    assert dialect_of_url("oracle://x") is None
