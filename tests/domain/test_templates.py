"""Static promises of the bundled templates, per dialect and mode (their behaviour against real
databases is in tests/engine/test_templates.py)."""

import ast
import re

import pytest

from app.domain.scripts import kind
from app.domain.templates import DIALECTS, schema_path, template_keys, template_path, template_source

COMBOS = [(d, m, k) for d in DIALECTS for m in ("legacy", "migration") for k in template_keys(m)]


def tree(dialect, mode, key):
    return ast.parse(template_source(dialect, mode, key))


def sql_literals(source):
    return " ".join(n.value for n in ast.walk(ast.parse(source))
                    if isinstance(n, ast.Constant) and isinstance(n.value, str))


@pytest.mark.parametrize("dialect, mode, key", COMBOS)
def test_callback_is_always_returned_and_ends_the_entry(dialect, mode, key):
    """`return callback(...)` everywhere: no path can fall through to a second call or to none."""
    module = tree(dialect, mode, key)
    entry = next(n for n in module.body if isinstance(n, ast.FunctionDef) and n.name == kind(key).python_name)
    calls = [n for n in ast.walk(module) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "callback"]
    returned = {id(n.value) for n in ast.walk(module) if isinstance(n, ast.Return) and n.value is not None}
    assert calls and all(id(c) in returned for c in calls)
    last = entry.body[-1]
    assert isinstance(last, ast.Return) and getattr(last.value.func, "id", None) == "callback"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("mode", ["legacy", "migration"])
def test_login_and_get_user_build_the_profile_with_the_same_code(dialect, mode):
    def profile_source(key):
        fn = next(n for n in tree(dialect, mode, key).body if isinstance(n, ast.FunctionDef) and n.name == "profile")
        fn.body = fn.body[1:]  # the docstring may name the other script
        return ast.dump(fn)

    assert profile_source("login") == profile_source("get_user")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_get_user_never_reads_the_password_hash(dialect):
    for mode in ("legacy", "migration"):
        assert "password_hash" not in sql_literals(template_source(dialect, mode, "get_user"))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_migration_templates_mark_where_the_platform_creates_the_user_and_refuse_migrated_users(dialect):
    true, false = {"sqlite": ("1", "0"), "mssql": ("1", "0"), "postgresql": ("true", "false"),
                   "mysql": ("TRUE", "FALSE")}[dialect]
    for key in ("login", "get_user", "change_password"):
        source = template_source(dialect, "migration", key)
        sql = sql_literals(source)
        assert "row.migrated" in source  # a user already migrated is refused / not found
        assert not re.search(r"\bdelete\s+from\b", sql, re.IGNORECASE)
        if key == "get_user":  # the platform also calls it for lookups that create nobody: never marks
            assert not re.search(r"\b(update|insert)\b", sql, re.IGNORECASE)
            continue
        assert f"migrated = {true}" in sql and "migrated_at = CURRENT_TIMESTAMP" in sql
        assert f"AND migrated = {false}" in sql  # only an unmarked user gets marked (and migrated)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_dialect_differences(dialect):
    sql = " ".join(sql_literals(template_source(dialect, m, k)) for m in ("legacy", "migration")
                   for k in template_keys(m))
    if dialect == "mssql":
        assert "SELECT TOP 1" in sql and "LIMIT" not in sql
    else:
        assert "LIMIT 1" in sql and "TOP 1" not in sql
    case_insensitive_collation = dialect in ("mysql", "mssql")
    assert ("lower(email) = lower(:email)" in sql) is not case_insensitive_collation
    assert ("WHERE email = :email" in sql) is case_insensitive_collation
    assert schema_path(dialect).read_text().count("CREATE TABLE") == 1


def test_unknown_dialect_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown database 'oracle'"):
        template_path("oracle", "legacy", "login")
