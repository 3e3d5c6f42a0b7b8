"""The templates against the sample users, executed in-process with the injected names (the
runner's child does the same, in its own process): each answers as DOMAIN.md says, calls callback
exactly once, and migration mode marks and refuses already-migrated users. SQLite always; the
private PostgreSQL and MariaDB test servers when they are available (their own schema.sql)."""

import logging
import secrets as pysecrets
from datetime import datetime

import bcrypt
import pytest
import sqlalchemy
from sqlalchemy import create_engine, text

from app.domain.scripts import kind
from app.domain.templates import schema_path, template_source
from app.engine.sample import _COLUMNS, generate_legacy_db, generate_rows
from app.runtime.errors import UnauthorizedError, ValidationError, WrongUsernameOrPasswordError

USERS = 60


def _statements(sql: str) -> list[str]:
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def _seed_server(dialect: str, admin_url: str) -> None:
    """Create the users table from the dialect's schema.sql and load the sample users into it."""
    engine = create_engine(admin_url, poolclass=sqlalchemy.pool.NullPool)
    rows = [dict(zip(_COLUMNS, r, strict=True)) for r in generate_rows(USERS)]
    for r in rows:  # the servers have real booleans and timestamps
        r.update(email_verified=bool(r["email_verified"]), migrated=bool(r["migrated"]),
                 created_at=datetime.fromisoformat(r["created_at"]))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS users")
            for statement in _statements(schema_path(dialect).read_text(encoding="utf-8")):
                conn.exec_driver_sql(statement)
            conn.execute(text(f"INSERT INTO users ({', '.join(_COLUMNS)}) "
                              f"VALUES ({', '.join(':' + c for c in _COLUMNS)})"), rows)
            if dialect == "postgresql":  # explicit ids do not move the identity sequence
                conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('users', 'id'), max(id)) FROM users")
    finally:
        engine.dispose()


def _with_password(url: str, password: str) -> str:
    return sqlalchemy.engine.make_url(url).set(password=password).render_as_string(hide_password=False)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres),
                                        pytest.param("mysql", marks=pytest.mark.mariadb)])
def store(request, tmp_path_factory):
    """(dialect, URL with password) of a store holding the first sample users."""
    if request.param == "sqlite":
        path = generate_legacy_db(tmp_path_factory.mktemp("store") / "legacy.db", users=USERS)
        return "sqlite", f"sqlite:///{path}"
    if request.param == "postgresql":
        pg = request.getfixturevalue("pg_server")
        database = f"templates_{pysecrets.token_hex(4)}"
        with pg.admin_connect() as conn:
            conn.execute(f'CREATE DATABASE "{database}" OWNER "{pg.user}"')
        url = _with_password(f"postgresql+psycopg://{pg.user}@127.0.0.1:{pg.port}/{database}", pg.password)
    else:
        maria = request.getfixturevalue("mariadb_url")
        url = _with_password(maria.url, maria.password)
    _seed_server(request.param, url)
    return request.param, url


@pytest.fixture
def db(store):
    dialect, url = store
    engine = create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    with engine.connect() as conn, conn.begin() as tx:
        conn.info["dialect"] = dialect
        yield conn
        tx.rollback()  # like the runner: nothing a test writes survives it
    engine.dispose()


def run(db, mode, key, *args, configuration=None):
    """Run a template's entry with the runtime's names; return the single callback call's args."""
    namespace = {
        "db": db, "text": text, "bcrypt": bcrypt, "log": logging.getLogger("template"),
        "configuration": configuration or {"BCRYPT_ROUNDS": "4"}, "global_": {},
        "WrongUsernameOrPasswordError": WrongUsernameOrPasswordError,
        "ValidationError": ValidationError, "UnauthorizedError": UnauthorizedError,
    }
    dialect = db.info.get("dialect", "sqlite")
    exec(compile(template_source(dialect, mode, key), f"scripts/{key}.py", "exec"), namespace)
    calls = []
    namespace[kind(key).python_name](*args, lambda *a: calls.append(a))
    assert len(calls) == 1, calls
    return calls[0]


def migrated(db, user_id):
    return db.execute(text("SELECT migrated, migrated_at FROM users WHERE id = :id"), {"id": user_id}).one()


@pytest.mark.parametrize("mode", ["legacy", "migration"])
def test_login_and_get_user_return_the_same_profile_without_secrets(db, mode):
    error, profile = run(db, mode, "login", "Alice@Example.com", "wonderland-42")
    assert error is None
    assert profile == {"user_id": "legacy|1", "email": "alice@example.com", "username": "alice",
                       "nickname": "Alice", "email_verified": True}
    if mode == "legacy":  # in migration mode Login has marked her, so Get User must say not found
        assert run(db, mode, "get_user", "alice@example.com") == (None, profile)
    no_username = run(db, mode, "get_user", "DAVE@example.org")[1]
    assert "username" not in no_username and no_username["user_id"] == "legacy|4"
    assert not any("hash" in k or "password" in k for k in no_username)


@pytest.mark.parametrize("mode", ["legacy", "migration"])
def test_login_refusals(db, mode):
    (error,) = run(db, mode, "login", "bob@example.com", "wrong")
    assert isinstance(error, WrongUsernameOrPasswordError) and error.user_id_or_email == "bob@example.com"
    (error,) = run(db, mode, "login", "nobody@example.com", "x")
    assert isinstance(error, WrongUsernameOrPasswordError) and not error.user_id_or_email
    assert run(db, mode, "get_user", "nobody@example.com") == (None,)


def test_migration_login_marks_the_user_and_refuses_a_second_migration(db):
    assert migrated(db, 2).migrated == 0
    assert run(db, "migration", "login", "bob@example.com", "builder-7")[0] is None
    row = migrated(db, 2)
    assert row.migrated == 1 and row.migrated_at
    (error,) = run(db, "migration", "login", "bob@example.com", "builder-7")
    assert isinstance(error, WrongUsernameOrPasswordError)
    assert run(db, "migration", "get_user", "bob@example.com") == (None,)


def test_migration_get_user_never_marks_and_answers_not_found_once_the_user_migrated(db):
    error, profile = run(db, "migration", "get_user", "erin@example.net")
    assert error is None and profile["email_verified"] is False and migrated(db, 5).migrated == 0
    assert run(db, "migration", "get_user", "erin@example.net") == (None, profile)  # a lookup strands nobody
    assert run(db, "migration", "login", "erin@example.net", "unverified-5")[0] is None  # migrates her
    assert run(db, "migration", "get_user", "erin@example.net") == (None,)


def test_migration_change_password_stores_the_hash_and_marks_the_user_in_one_update(db):
    assert run(db, "migration", "change_password", "erin@example.net", "fresh-erin") == (None, True)
    row = db.execute(text("SELECT migrated, migrated_at, password_hash FROM users WHERE id = 5")).one()
    assert row.migrated and row.migrated_at is not None
    assert bcrypt.checkpw(b"fresh-erin", row.password_hash.encode())
    assert run(db, "migration", "get_user", "erin@example.net") == (None,)  # the platform has her now
    assert run(db, "migration", "change_password", "erin@example.net", "again") == (None, False)
    assert run(db, "migration", "change_password", "nobody@example.com", "x") == (None, False)


def test_wrong_password_does_not_mark(db):
    run(db, "migration", "login", "alice@example.com", "nope")
    assert migrated(db, 1).migrated == 0


def test_create_then_login_and_user_exists(db):
    assert run(db, "legacy", "create", {"email": "new@example.com", "password": "s3cret-pass"}) == (None,)
    error, profile = run(db, "legacy", "login", "new@example.com", "s3cret-pass")
    assert error is None and profile["email"] == "new@example.com" and profile["email_verified"] is False
    (error,) = run(db, "legacy", "create", {"email": "NEW@example.com", "password": "x"})
    assert isinstance(error, ValidationError) and error.code == "user_exists"


def test_verify_change_password_change_email(db):
    assert run(db, "legacy", "verify", "erin@example.net") == (None, True)
    assert run(db, "legacy", "get_user", "erin@example.net")[1]["email_verified"] is True
    assert run(db, "legacy", "verify", "nobody@example.com") == (None, False)

    assert run(db, "legacy", "change_password", "bob@example.com", "new-builder") == (None, True)
    assert run(db, "legacy", "login", "bob@example.com", "new-builder")[0] is None
    assert run(db, "legacy", "change_password", "nobody@example.com", "x") == (None, False)

    assert run(db, "legacy", "change_email", "bob@example.com", "robert@example.com", False) == (None, True)
    assert run(db, "legacy", "get_user", "robert@example.com")[1]["user_id"] == "legacy|2"
    (error,) = run(db, "legacy", "change_email", "robert@example.com", "ALICE@example.com", True)
    assert isinstance(error, Exception) and "already" in str(error)
    assert run(db, "legacy", "change_email", "nobody@example.com", "n2@example.com", True) == (None, False)


@pytest.mark.parametrize("user_id", ["legacy|3", "3"])
def test_delete_accepts_the_id_with_or_without_prefix(db, user_id):
    assert run(db, "legacy", "delete", user_id) == (None,)
    assert run(db, "legacy", "get_user", "carol.mixed@example.com") == (None,)


def test_delete_refuses_a_foreign_id(db):
    (error,) = run(db, "legacy", "delete", "google-oauth2|abc")
    assert isinstance(error, Exception) and "google-oauth2|abc" in str(error)


def test_a_legacy_md5_hash_is_a_wrong_password_not_a_crash(db):
    db.execute(text("UPDATE users SET password_hash = :h WHERE id = 2"), {"h": "5f4dcc3b5aa765d61d8327deb882cf99"})
    (error,) = run(db, "legacy", "login", "bob@example.com", "builder-7")
    assert isinstance(error, WrongUsernameOrPasswordError)


def test_an_unreachable_store_is_a_failure_not_a_no(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # no users table
    with engine.connect() as conn:
        (error,) = run(conn, "legacy", "get_user", "alice@example.com")
        assert type(error) is Exception
    engine.dispose()
