"""The same Login / Get User cases, through the real runner (`customdb run ... --json`), against SQLite,
the private PostgreSQL server and (when installed) the private MariaDB server, using the bundled
templates and schema.sql of each dialect. The database password comes from the keychain, as a user
would store it. A dry run leaves the legacy store unchanged; `--commit` writes."""

from __future__ import annotations

import hashlib
import json
import secrets as pysecrets
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import pytest
import sqlalchemy
from sqlalchemy import text

from app.cli import main
from app.domain.project import Project, load_project
from app.domain.scripts import Mode
from app.domain.templates import schema_path, template_source
from app.engine.secrets import DATABASE_PASSWORD, set_secret

COST = 4  # bcrypt cost of the seeded users: ~1 ms a check
USERS = [  # id, email, username, password, nickname, email_verified
    (1, "alice@example.com", None, "wonderland-42", "alice", True),
    (2, "bob@example.com", "bob", "builder-7", "bob", False),
    (3, "Carol.Mixed@Example.COM", None, "sea-shell-3", "carol", True),
]
ALICE_PROFILE = {"user_id": "legacy|1", "email": "alice@example.com", "nickname": "alice", "email_verified": True}


@dataclass
class Store:
    """One legacy database: where it is, how the project reaches it, and how a test looks inside."""

    dialect: str
    url: str  # as written to customdb.toml (no password)
    password: str | None
    admin_url: str  # with the password, for seeding and checking rows
    sqlite_file: Path | None = None

    def rows(self) -> list[tuple]:
        engine = sqlalchemy.create_engine(self.admin_url, poolclass=sqlalchemy.pool.NullPool)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(
                    text("SELECT id, email, password_hash, migrated, migrated_at FROM users ORDER BY id"))]
        finally:
            engine.dispose()


def _statements(sql: str) -> list[str]:
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def _seed(dialect: str, admin_url: str) -> None:
    engine = sqlalchemy.create_engine(admin_url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS users")
            for statement in _statements(schema_path(dialect).read_text(encoding="utf-8")):
                conn.exec_driver_sql(statement)
            salt = bcrypt.gensalt(COST)
            conn.execute(text(
                "INSERT INTO users (id, email, username, password_hash, nickname, email_verified, migrated, "
                "created_at) VALUES (:id, :email, :username, :hash, :nickname, :verified, :migrated, "
                "CURRENT_TIMESTAMP)"),
                [{"id": i, "email": e, "username": u, "hash": bcrypt.hashpw(p.encode(), salt).decode(),
                  "nickname": n, "verified": v, "migrated": False} for i, e, u, p, n, v in USERS])
    finally:
        engine.dispose()


def _with_password(url: str, password: str) -> str:
    return sqlalchemy.engine.make_url(url).set(password=password).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres),
                        pytest.param("mysql", marks=pytest.mark.mariadb)])
def store(request, tmp_path) -> Store:
    if request.param == "sqlite":
        path = tmp_path / "project" / "legacy.db"  # inside the project: the URL is relative
        path.parent.mkdir()
        store = Store("sqlite", "sqlite:///legacy.db", None, f"sqlite:///{path}", path)
    elif request.param == "postgresql":
        pg = request.getfixturevalue("pg_server")
        database = f"runner_{pysecrets.token_hex(4)}"  # a fresh database per test: no shared rows
        with pg.admin_connect() as conn:
            conn.execute(f'CREATE DATABASE "{database}" OWNER "{pg.user}"')
        url = f"postgresql+psycopg://{pg.user}@127.0.0.1:{pg.port}/{database}"
        store = Store("postgresql", url, pg.password, _with_password(url, pg.password))
    else:
        maria = request.getfixturevalue("mariadb_url")
        store = Store("mysql", maria.url, maria.password, _with_password(maria.url, maria.password))
    _seed(store.dialect, store.admin_url)
    return store


def make_project(root: Path, store: Store, mode: Mode) -> Path:
    """A project folder as `customdb new` makes it: the dialect's templates, the store's URL and, for
    a server, the database password in the (test) keychain only."""
    project = Project(root=root, name=f"{store.dialect} {mode}", mode=mode, database_url=store.url)
    project.save()
    for key in ("login", "get_user"):
        project.write_script(key, template_source(store.dialect, mode, key))
    if store.password is not None:
        set_secret(load_project(root), DATABASE_PASSWORD, store.password)
    return root


def run(capsys, root: Path, script: str, inputs: dict, *extra: str) -> dict:
    capsys.readouterr()
    code = main(["run", str(root), script, "--input", json.dumps(inputs), "--json", *extra])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert code == (0 if report["outcome"] in ("ok", "not_found", "rejected") else 1), captured
    return report


@pytest.fixture
def legacy(tmp_path, store):
    return make_project(tmp_path / "project", store, Mode.LEGACY)


def test_login_with_the_right_password_returns_the_profile(capsys, legacy):
    report = run(capsys, legacy, "login", {"email": "alice@example.com", "password": "wonderland-42"})
    assert report["outcome"] == "ok", report
    assert report["result"] == ALICE_PROFILE
    assert report["log_event"] == "s"
    assert not [f for f in report["findings"] if f["severity"] == "error"], report["findings"]


def test_login_ignores_the_case_of_the_email(capsys, legacy):
    report = run(capsys, legacy, "login", {"email": "BOB@Example.com", "password": "builder-7"})
    assert report["outcome"] == "ok", report
    assert report["result"]["user_id"] == "legacy|2" and report["result"]["username"] == "bob"


def test_login_with_a_wrong_password_is_rejected_as_fp(capsys, legacy):
    report = run(capsys, legacy, "login", {"email": "alice@example.com", "password": "not-hers"})
    assert report["outcome"] == "rejected" and report["log_event"] == "fp", report
    assert "not-hers" not in json.dumps(report)  # the typed password is masked everywhere


def test_login_of_an_unknown_user_is_rejected_as_fu(capsys, legacy):
    report = run(capsys, legacy, "login", {"email": "nobody@example.com", "password": "whatever-1"})
    assert report["outcome"] == "rejected" and report["log_event"] == "fu", report


def test_get_user_returns_the_same_profile_as_login(capsys, legacy):
    login = run(capsys, legacy, "login", {"email": "carol.mixed@example.com", "password": "sea-shell-3"})
    get_user = run(capsys, legacy, "get_user", {"email": "carol.mixed@example.com"})
    assert login["outcome"] == get_user["outcome"] == "ok", (login, get_user)
    assert get_user["result"] == login["result"]
    assert get_user["result"]["email"] == "Carol.Mixed@Example.COM"


def test_get_user_of_an_unknown_user_is_not_found(capsys, legacy):
    report = run(capsys, legacy, "get_user", {"email": "nobody@example.com"})
    assert report["outcome"] == "not_found" and report["result"] is None, report


def test_the_sql_trace_shows_the_query_and_never_the_database_password(capsys, legacy, store):
    report = run(capsys, legacy, "login", {"email": "alice@example.com", "password": "wonderland-42"})
    assert any("FROM users" in entry["statement"] for entry in report["sql"]), report["sql"]
    if store.password:
        assert store.password not in json.dumps(report)


# -- migration mode: dry run vs --commit -----------------------------------------------------------

@pytest.fixture
def migration(tmp_path, store):
    return make_project(tmp_path / "project", store, Mode.MIGRATION)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_dry_run_leaves_the_store_unchanged(capsys, migration, store):
    before_rows = store.rows()
    before_bytes = _digest(store.sqlite_file) if store.sqlite_file else None
    siblings = sorted(p.name for p in migration.iterdir())
    report = run(capsys, migration, "login", {"email": "alice@example.com", "password": "wonderland-42"})
    assert report["outcome"] == "ok" and report["committed"] is False, report
    assert any(e["statement"].lstrip().upper().startswith("UPDATE USERS") for e in report["sql"]), report["sql"]
    assert store.rows() == before_rows
    if store.sqlite_file:
        assert _digest(store.sqlite_file) == before_bytes  # byte for byte
        assert sorted(p.name for p in migration.iterdir() if not p.name.startswith(".customdb")) == \
            [s for s in siblings if not s.startswith(".customdb")]  # no journal left behind


def test_commit_writes_the_migrated_mark(capsys, migration, store):
    report = run(capsys, migration, "login", {"email": "alice@example.com", "password": "wonderland-42"},
                 "--commit")
    assert report["outcome"] == "ok" and report["committed"] is True, report
    alice = next(r for r in store.rows() if r[0] == 1)
    assert bool(alice[3]) is True and alice[4] is not None
    others = [bool(r[3]) for r in store.rows() if r[0] != 1]
    assert others == [False, False]
    # the platform never calls Login again for a migrated user; if it did, the template refuses
    again = run(capsys, migration, "login", {"email": "alice@example.com", "password": "wonderland-42"})
    assert again["outcome"] == "rejected" and again["log_event"] == "fu", again
