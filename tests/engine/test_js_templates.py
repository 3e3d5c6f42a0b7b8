"""The JavaScript templates run as the hosted platform would call them, through the module store's
drivers: PostgreSQL ones against the embedded sample database (the default of a new JavaScript
project), MySQL ones against the suite's MariaDB. Every kind in legacy mode (create, login,
verify, change password and e-mail, get user, delete: connections always closed, nothing left
open), and migration mode's never-stranding rules (a wrong password or a Get User marks nobody;
Login and a reset's Change Password mark; a marked user is not migrated again). SQL Server and
MongoDB templates are checked for syntax only: no such server can run here."""

from __future__ import annotations

import subprocess
from urllib.parse import urlsplit

import pytest

from app.domain.scripts import kind
from app.domain.templates import template_path
from app.engine import sampledb
from tests.js_support import embedded_project, require_node, run_script  # noqa: F401 - a fixture

JAVASCRIPT = __import__("app.domain.languages", fromlist=["JAVASCRIPT"]).JAVASCRIPT
KEYS = ["login", "get_user", "create", "verify", "change_password", "delete", "change_email"]


@pytest.fixture(scope="module", params=["embedded", pytest.param("mysql", marks=pytest.mark.mariadb)])
def store(request, tmp_path_factory):
    """(dialect, configuration, query(sql) -> rows) of a seeded users table."""
    if request.param == "embedded":
        project = request.getfixturevalue("embedded_project")
        port = sampledb.port_of(project)
        import psycopg

        def query(sql, params=()):
            with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True) as c:
                cur = c.execute(sql, params)
                return cur.fetchall() if cur.description else []
        return "postgresql", {"DATABASE_URL": sampledb.script_url(port), "BCRYPT_ROUNDS": "4"}, query
    from tests.engine.test_templates import _seed_server, _with_password

    maria = request.getfixturevalue("mariadb_url")
    _seed_server("mysql", _with_password(maria.url, maria.password))
    parts = urlsplit(maria.url)
    import pymysql

    def query(sql, params=()):
        conn = pymysql.connect(host=parts.hostname, port=parts.port, user=parts.username, password=maria.password,
                               database=parts.path.lstrip("/"), autocommit=True)
        with conn, conn.cursor() as cur:
            cur.execute(sql.replace("%s", "%s"), params)
            return list(cur.fetchall())
    url = f"mysql://{parts.username}@{parts.hostname}:{parts.port}{parts.path}"
    return "mysql", {"DATABASE_URL": url, "DATABASE_PASSWORD": maria.password, "BCRYPT_ROUNDS": "4"}, query


def call(tmp_path, store, mode, key, *args, commit=False):
    dialect, configuration, _ = store
    source = template_path(dialect, mode, key, JAVASCRIPT).read_text(encoding="utf-8")
    [report] = run_script(tmp_path, source, args=list(args), configuration=configuration, dry_run=not commit)
    assert "threw" not in report, report["threw"]
    assert len(report["calls"]) == 1, report["calls"]
    assert report["pendingAfter"] is False and not [f for f in report["findings"] if f["code"] == "connection-left-open"]
    call = report["calls"][0]
    return call["error"], call["value"], report


def test_login_of_the_sample_users_and_get_user_agree(tmp_path, store):
    for email, password in [("alice@example.com", "wonderland-42"), ("BOB@example.com", "builder-7")]:
        error, profile, report = call(tmp_path, store, "legacy", "login", email, password)
        assert error is None and profile["user_id"] in ("legacy|1", "legacy|2")
        assert "password" not in str(profile)
        error, same, _ = call(tmp_path, store, "legacy", "get_user", email)
        assert same == profile
        assert report["sql"][0]["statement"] in ("BEGIN", "START TRANSACTION")  # a dry run
    error, _, _ = call(tmp_path, store, "legacy", "login", "alice@example.com", "not-hers")
    assert error["name"] == "WrongUsernameOrPasswordError"
    error, _, _ = call(tmp_path, store, "legacy", "login", "nobody@example.com", "x")
    assert error["name"] == "WrongUsernameOrPasswordError"
    assert call(tmp_path, store, "legacy", "get_user", "nobody@example.com")[:2] == (None, None)


def test_every_legacy_kind_with_commit(tmp_path, store):
    query = store[2]
    email = f"js-{store[0]}@example.com"
    assert call(tmp_path, store, "legacy", "create", {"email": email, "password": "first-pw-1"}, commit=True)[:2] == (None, None)
    error, _, _ = call(tmp_path, store, "legacy", "create", {"email": email, "password": "x"}, commit=True)
    assert error["name"] == "ValidationError" and error["code"] == "user_exists"
    error, profile, _ = call(tmp_path, store, "legacy", "login", email, "first-pw-1")
    assert error is None and profile["email_verified"] is False
    assert call(tmp_path, store, "legacy", "verify", email, commit=True)[:2] == (None, True)
    assert call(tmp_path, store, "legacy", "change_password", email, "second-pw-2", commit=True)[:2] == (None, True)
    assert call(tmp_path, store, "legacy", "login", email, "first-pw-1")[0]["name"] == "WrongUsernameOrPasswordError"
    error, profile, _ = call(tmp_path, store, "legacy", "login", email, "second-pw-2")
    assert error is None and profile["email_verified"] is True
    taken = call(tmp_path, store, "legacy", "change_email", email, "alice@example.com", True, commit=True)[0]
    assert "already has this e-mail" in taken["message"]
    new = f"js2-{store[0]}@example.com"
    assert call(tmp_path, store, "legacy", "change_email", email, new, False, commit=True)[:2] == (None, True)
    error, profile, _ = call(tmp_path, store, "legacy", "get_user", new)
    assert profile["email"] == new and profile["email_verified"] is False
    assert call(tmp_path, store, "legacy", "delete", profile["user_id"], commit=True)[:2] == (None, None)
    assert call(tmp_path, store, "legacy", "get_user", new)[:2] == (None, None)
    assert "Not a legacy user id" in call(tmp_path, store, "legacy", "delete", "auth0|abc", commit=True)[0]["message"]
    assert query("SELECT count(*) FROM users WHERE email IN (%s, %s)", (email, new))[0][0] == 0


def test_migration_never_strands_a_user(tmp_path, store):
    query = store[2]
    migrated = lambda user_id: bool(query("SELECT migrated FROM users WHERE id = %s", (user_id,))[0][0])  # noqa: E731
    # a Get User (a signup check, a lookup) and a wrong password mark nobody
    assert call(tmp_path, store, "migration", "get_user", "erin@example.net", commit=True)[1]["user_id"] == "legacy|5"
    assert call(tmp_path, store, "migration", "login", "erin@example.net", "wrong", commit=True)[0]["name"] == \
        "WrongUsernameOrPasswordError"
    assert not migrated(5)
    # Login hands the user over and marks them; then they are never migrated again
    error, profile, _ = call(tmp_path, store, "migration", "login", "erin@example.net", "unverified-5", commit=True)
    assert error is None and profile["user_id"] == "legacy|5" and migrated(5)
    assert call(tmp_path, store, "migration", "login", "erin@example.net", "unverified-5", commit=True)[0]["name"] == \
        "WrongUsernameOrPasswordError"
    assert call(tmp_path, store, "migration", "get_user", "erin@example.net")[:2] == (None, None)
    # a reset's Change Password migrates (and marks) the user
    if template_path(store[0], "migration", "change_password", JAVASCRIPT).is_file():
        assert call(tmp_path, store, "migration", "change_password", "dave@example.org", "reset-pw-4", commit=True)[:2] == \
            (None, True)
        assert migrated(4)
        assert call(tmp_path, store, "migration", "change_password", "dave@example.org", "again", commit=True)[:2] == \
            (None, False)


def test_a_dry_run_of_the_migration_login_leaves_the_user_unmarked(tmp_path, store):
    query = store[2]
    error, profile, report = call(tmp_path, store, "migration", "login", "Carol.Mixed@Example.COM", "mixed-case-3")
    assert error is None and profile["user_id"] == "legacy|3"
    assert any(e["statement"].startswith("UPDATE users SET migrated") and e["rows"] == 1 for e in report["sql"])
    assert not query("SELECT migrated FROM users WHERE id = 3")[0][0]


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "mssql", "mongodb"])
@pytest.mark.parametrize("mode", ["legacy", "migration"])
def test_every_template_parses_and_names_the_recommended_entry(dialect, mode):
    node = require_node()
    keys = KEYS if mode == "legacy" else ["login", "get_user", "change_password"]
    for key in keys:
        path = template_path(dialect, mode, key, JAVASCRIPT)
        done = subprocess.run([node, "--check", str(path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        source = path.read_text(encoding="utf-8")
        assert f"async function {kind(key).js_name}(" in source
        assert "DATABASE_PASSWORD" in source or dialect == "mongodb" and "auth" in source
