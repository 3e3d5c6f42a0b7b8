"""The legacy database: URLs with keychain passwords, redaction, "Test connection" (SQLite and a real
PostgreSQL server) and the schema the Schema panel shows."""

from __future__ import annotations

import socket
import sqlite3

import pytest
import sqlalchemy

from app.domain.project import Project
from app.engine.database import (
    ConnectionSettings,
    DatabaseUrlError,
    MissingDriverError,
    database_url,
    dialect_of,
    inspect_schema,
    make_engine,
    redact_url,
    split_password,
    test_connection,
)
from app.engine.secrets import set_secret

SAMPLE_DDL = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    nickname TEXT,
    migrated BOOLEAN NOT NULL DEFAULT 0
);
CREATE TABLE audit (at TEXT, what TEXT);
"""


@pytest.fixture
def store(tmp_path):
    """A legacy store like the sample project's, as a project-relative SQLite file."""
    path = tmp_path / "legacy.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(SAMPLE_DDL)
    return Project(root=tmp_path, name="shop", database_url="sqlite:///legacy.db")


def pg_project(tmp_path, url):
    return Project(root=tmp_path, name="pg", database_url=url)


# -- URLs ----------------------------------------------------------------------------------------

def test_relative_sqlite_url_is_resolved_against_the_project_folder(store):
    assert database_url(store, environ={}) == f"sqlite:///{(store.root / 'legacy.db').resolve().as_posix()}"
    assert database_url(store, "sqlite:///other.db", environ={}).endswith(f"{store.root.resolve().as_posix()}/other.db")


def test_password_from_the_keychain_is_injected_when_the_url_names_a_user(tmp_path):
    project = pg_project(tmp_path, "postgresql+psycopg://bob@db.example:5432/legacy")
    set_secret(project, "DATABASE_PASSWORD", "p@ss:w/rd")
    url = database_url(project, environ={})
    parsed = sqlalchemy.engine.make_url(url)
    assert parsed.username == "bob" and parsed.password == "p@ss:w/rd" and parsed.host == "db.example"


def test_database_password_environment_variable_wins(tmp_path):
    project = pg_project(tmp_path, "postgresql+psycopg://bob@db.example/legacy")
    set_secret(project, "DATABASE_PASSWORD", "from-keychain")
    url = database_url(project, environ={"CUSTOMDB_DATABASE_PASSWORD": "from-env"})
    assert sqlalchemy.engine.make_url(url).password == "from-env"


def test_no_stored_password_leaves_the_url_alone(tmp_path):
    project = pg_project(tmp_path, "postgresql+psycopg://bob@db.example/legacy")
    assert database_url(project, environ={}) == "postgresql+psycopg://bob@db.example/legacy"


def test_an_override_with_its_own_password_keeps_it(tmp_path):
    project = pg_project(tmp_path, "postgresql+psycopg://bob@db.example/legacy")
    set_secret(project, "DATABASE_PASSWORD", "stored")
    url = database_url(project, "postgresql+psycopg://eve:given@other/legacy", environ={})
    assert sqlalchemy.engine.make_url(url).password == "given"


def test_redact_url_hides_the_password():
    assert redact_url("postgresql+psycopg://bob:p%40ss@h:5432/d") == "postgresql+psycopg://bob:****@h:5432/d"
    assert redact_url("sqlite:///legacy.db") == "sqlite:///legacy.db"
    assert "hunter2" not in redact_url("not a url bob:hunter2@host")


def test_split_password_moves_a_typed_password_out_of_the_url():
    assert split_password("postgresql+psycopg://bob:p%40ss@h/d") == ("postgresql+psycopg://bob@h/d", "p@ss")
    assert split_password("sqlite:///x.db") == ("sqlite:///x.db", None)


def test_dialect_of_names_the_backend():
    assert dialect_of("postgresql+psycopg://u@h/d") == "postgresql"
    assert dialect_of("mysql+pymysql://u@h/d") == "mysql"
    assert dialect_of("sqlite:///x.db") == "sqlite"


def test_a_broken_url_gets_a_clear_error_without_repeating_it():
    with pytest.raises(DatabaseUrlError) as info:
        dialect_of("bob:hunter2 at db")
    assert "hunter2" not in str(info.value) and "database URL" in str(info.value)


def test_make_engine_names_the_pip_extra_for_a_missing_driver():
    with pytest.raises(MissingDriverError) as info:
        make_engine("postgresql+nosuchdriver://u@h/d")
    assert 'pip install "customdb-studio[postgresql]"' in str(info.value)


# -- Test connection: SQLite -----------------------------------------------------------------------

def test_connection_to_sqlite_reports_version_and_latency(store):
    report = test_connection(database_url(store, environ={}))
    assert report.ok, report.message
    assert report.server_version.startswith("SQLite 3.")
    assert report.latency_ms is not None and report.latency_ms >= 0
    assert report.category is None


def test_connection_to_a_missing_sqlite_file_does_not_create_it(tmp_path):
    report = test_connection(f"sqlite:///{tmp_path / 'nope.db'}")
    assert not report.ok and report.category == "unknown-database"
    assert "nope.db" in report.message
    assert not (tmp_path / "nope.db").exists()


def test_unknown_driver_is_missing_driver():
    report = test_connection("postgresql+nosuchdriver://bob:hunter22@127.0.0.1/d")
    assert not report.ok and report.category == "missing-driver"
    assert 'pip install "customdb-studio[postgresql]"' in report.message
    assert "hunter22" not in report.message and "hunter22" not in report.url


def test_broken_url_is_a_report_not_an_exception():
    report = test_connection("no url at all")
    assert not report.ok and report.category == "other"


# -- Test connection: the real PostgreSQL server ---------------------------------------------------

def _with_password(url: str, password: str) -> str:
    return sqlalchemy.engine.make_url(url).set(password=password).render_as_string(hide_password=False)


@pytest.mark.postgres
def test_connection_to_postgresql_with_the_keychain_password(pg_url, tmp_path):
    project = pg_project(tmp_path, pg_url.url)
    set_secret(project, "DATABASE_PASSWORD", pg_url.password)
    report = test_connection(database_url(project, environ={}))
    assert report.ok, report.message
    assert report.server_version.startswith("PostgreSQL ")
    assert report.latency_ms > 0
    assert pg_url.password not in report.url


@pytest.mark.postgres
def test_wrong_password_is_auth_and_never_echoed(pg_url):
    report = test_connection(_with_password(pg_url.url, "wrong-Passw0rd"))
    assert not report.ok and report.category == "auth", report
    assert "wrong-Passw0rd" not in report.message and "wrong-Passw0rd" not in report.url
    assert "customdb_test" in report.message  # the user is named, so the user knows which login failed


@pytest.mark.postgres
def test_no_password_at_all_is_auth(pg_url):
    assert test_connection(pg_url.url).category == "auth"


@pytest.mark.postgres
def test_unknown_database_is_reported_as_such(pg_url):
    url = sqlalchemy.engine.make_url(_with_password(pg_url.url, pg_url.password)).set(database="nosuchdb")
    report = test_connection(url.render_as_string(hide_password=False))
    assert not report.ok and report.category == "unknown-database", report
    assert "nosuchdb" in report.message


@pytest.mark.mariadb
def test_connection_to_mariadb_with_the_keychain_password(mariadb_url, tmp_path):
    project = pg_project(tmp_path, mariadb_url.url)
    set_secret(project, "DATABASE_PASSWORD", mariadb_url.password)
    report = test_connection(database_url(project, environ={}))
    assert report.ok, report.message
    assert report.server_version.startswith("MariaDB ")


@pytest.mark.mariadb
def test_mariadb_wrong_password_and_unknown_database(mariadb_url):
    wrong = test_connection(_with_password(mariadb_url.url, "wrong-Passw0rd"))
    assert wrong.category == "auth" and "wrong-Passw0rd" not in wrong.message, wrong
    url = sqlalchemy.engine.make_url(_with_password(mariadb_url.url, mariadb_url.password)).set(database="nosuchdb")
    unknown = test_connection(url.render_as_string(hide_password=False))
    assert unknown.category == "unknown-database", unknown  # MariaDB 1044: no such database for this user
    assert "nosuchdb" in unknown.message


def test_closed_port_is_refused():
    with socket.socket() as s:  # a port that was free a moment ago and has no listener now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    report = test_connection(f"postgresql+psycopg://u:pw12345@127.0.0.1:{port}/d", timeout_s=3)
    assert not report.ok and report.category == "refused", report
    assert "pw12345" not in report.message


def test_a_server_that_never_answers_is_a_timeout():
    with socket.socket() as listener:  # accepts TCP connections (backlog) but never speaks
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        report = test_connection(f"postgresql+psycopg://u:pw12345@127.0.0.1:{port}/d", timeout_s=2)
    assert not report.ok and report.category == "timeout", report


# -- schema --------------------------------------------------------------------------------------

def test_inspect_schema_lists_tables_and_columns_of_the_store(store):
    tables = {t.name: t for t in inspect_schema(database_url(store, environ={}))}
    assert sorted(tables) == ["audit", "users"]
    columns = {c.name: c for c in tables["users"].columns}
    assert [c.name for c in tables["users"].columns] == ["id", "email", "password_hash", "nickname", "migrated"]
    assert columns["id"].primary_key and not columns["email"].primary_key
    assert columns["email"].nullable is False and columns["nickname"].nullable is True
    assert columns["email"].type == "TEXT"


@pytest.mark.postgres
def test_inspect_schema_on_postgresql(pg_url):
    url = _with_password(pg_url.url, pg_url.password)
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS schema_probe")
        conn.exec_driver_sql("CREATE TABLE schema_probe (id serial PRIMARY KEY, email varchar(200) NOT NULL)")
    engine.dispose()
    tables = {t.name: t for t in inspect_schema(url)}
    columns = {c.name: c for c in tables["schema_probe"].columns}
    assert columns["id"].primary_key and columns["id"].type == "INTEGER"
    assert columns["email"].type == "VARCHAR(200)" and columns["email"].nullable is False


def test_inspect_schema_of_the_generated_sample_store(tmp_path):
    from app.engine.sample import generate_legacy_db

    path = generate_legacy_db(tmp_path / "legacy.db", users=5)
    (users,) = inspect_schema(f"sqlite:///{path}")
    columns = {c.name: c for c in users.columns}
    assert users.name == "users"
    assert {"id", "email", "password_hash", "email_verified", "migrated"} <= set(columns)
    assert columns["id"].primary_key and columns["password_hash"].nullable is False


def test_inspect_schema_of_a_missing_sqlite_file_raises_without_creating_it(tmp_path):
    with pytest.raises(FileNotFoundError):
        inspect_schema(f"sqlite:///{tmp_path / 'gone.db'}")
    assert not (tmp_path / "gone.db").exists()


# -- the connection dialog's model -----------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "postgresql+psycopg://bob@db.example:5433/legacy?sslmode=require",
    "mysql+pymysql://app@10.0.0.5:3306/users",
    "mssql+pymssql://sa@sql.local/legacy",
    "sqlite:///legacy.db",
])
def test_connection_settings_round_trip_the_urls_we_ship(url):
    settings = ConnectionSettings.from_url(url)
    assert settings.raw_url is None
    assert settings.to_url() == url


def test_connection_settings_build_a_url_with_our_driver_and_no_password():
    settings = ConnectionSettings("postgresql", host="db", port=5432, database="legacy", user="bob")
    assert settings.to_url() == "postgresql+psycopg://bob@db:5432/legacy"
    assert ConnectionSettings.from_url("postgresql+psycopg://bob@db:5432/legacy") == settings


def test_a_url_the_form_cannot_represent_is_kept_raw_without_its_password():
    settings = ConnectionSettings.from_url("postgresql+asyncpg://bob:secret9@db/legacy")
    assert settings.dialect == "postgresql" and settings.user == "bob"
    assert settings.raw_url == "postgresql+asyncpg://bob@db/legacy"
    assert settings.to_url() == "postgresql+asyncpg://bob@db/legacy"
