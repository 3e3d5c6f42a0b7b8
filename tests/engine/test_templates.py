"""The SQLite templates against the sample store, executed in-process with the injected names
(the runner's child does the same, in its own process): each answers as DOMAIN.md says, calls
callback exactly once, and migration mode marks and refuses already-migrated users."""

import logging

import bcrypt
import pytest
from sqlalchemy import create_engine, text

from app.domain.scripts import kind
from app.domain.templates import template_source
from app.engine.sample import generate_legacy_db
from app.runtime.errors import UnauthorizedError, ValidationError, WrongUsernameOrPasswordError


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return generate_legacy_db(tmp_path_factory.mktemp("store") / "legacy.db", users=60)


@pytest.fixture
def db(store):
    engine = create_engine(f"sqlite:///{store}")
    with engine.connect() as conn, conn.begin() as tx:
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
    exec(compile(template_source("sqlite", mode, key), f"scripts/{key}.py", "exec"), namespace)
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


def test_migration_get_user_marks_the_user_then_answers_not_found(db):
    error, profile = run(db, "migration", "get_user", "erin@example.net")
    assert error is None and profile["email_verified"] is False and migrated(db, 5).migrated == 1
    assert run(db, "migration", "get_user", "erin@example.net") == (None,)
    assert isinstance(run(db, "migration", "login", "erin@example.net", "unverified-5")[0],
                      WrongUsernameOrPasswordError)


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
