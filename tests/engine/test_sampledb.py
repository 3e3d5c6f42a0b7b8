"""The embedded sample database (PGlite behind a PostgreSQL socket): made once per user from the
sample's users, copied per project, started on first use of the project's database URL, reached by
the IDE's Python side (SQLAlchemy/psycopg: the schema, the rows) and by a script's require('pg'),
kept across a restart, and a clear message when its port is taken."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import bcrypt
import pytest

from app.domain.project import Project
from app.engine import sampledb
from app.engine.sample import KNOWN_USERS
from tests.js_support import require_node, run_script

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data_home(tmp_path_factory):
    require_node()
    if not (sampledb.SERVER_JS.parent / "node_modules" / "@electric-sql" / "pglite").is_dir():
        pytest.skip("the sample database's modules are not installed (make js-store)")
    home = tmp_path_factory.mktemp("userdata")
    previous = os.environ.get("CUSTOMDB_DATA_DIR")
    os.environ["CUSTOMDB_DATA_DIR"] = str(home)
    yield home
    sampledb.stop_all()
    if previous is None:
        os.environ.pop("CUSTOMDB_DATA_DIR", None)
    else:
        os.environ["CUSTOMDB_DATA_DIR"] = previous


def _project(root: Path, port: int | None = None) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    port = port or sampledb.free_port()
    return Project(root=root, name="embedded", database_url=sampledb.python_url(port),
                   extra={"sample_database": {"engine": "pglite", "port": port}})


@pytest.fixture(scope="module")
def project(data_home, tmp_path_factory):
    p = _project(tmp_path_factory.mktemp("proj") / "p")
    yield p
    sampledb.stop(p)


def test_the_python_side_reaches_it_with_the_sample_users(project):
    from sqlalchemy import create_engine, inspect, text

    from app.engine.database import database_url

    url = database_url(project)  # starts it
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert "users" in inspect(conn).get_table_names()
            assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 2000
            for user in KNOWN_USERS:
                row = conn.execute(text("SELECT email, password_hash, username FROM users WHERE id = :i"),
                                   {"i": user.id}).one()
                assert row.email == user.email and row.username == user.username
                assert bcrypt.checkpw(user.password.encode(), row.password_hash.encode())
    finally:
        engine.dispose()
    assert (Path(project.root) / ".customdb" / "sampledb" / "PG_VERSION").is_file()


def test_a_script_reaches_it_with_require_pg(project, tmp_path):
    port = sampledb.ensure_running(project)
    [report] = run_script(tmp_path, """function login(email, password, callback) {
      const bcrypt = require('bcrypt');
      const { Client } = require('pg');
      const client = new Client({ connectionString: configuration.DATABASE_URL });
      client.connect()
        .then(() => client.query('SELECT id, email, password_hash FROM users WHERE lower(email) = lower($1)', [email]))
        .then((r) => client.end().then(() => {
          if (!r.rows.length || !bcrypt.compareSync(password, r.rows[0].password_hash)) {
            return callback(new WrongUsernameOrPasswordError(email));
          }
          callback(null, { user_id: 'legacy|' + r.rows[0].id, email: r.rows[0].email });
        }), callback);
    }""", args=["alice@example.com", "wonderland-42"], configuration={"DATABASE_URL": sampledb.script_url(port)})
    assert report["calls"][0] == {"error": None, "value": {"user_id": "legacy|1", "email": "alice@example.com"}}
    assert [e["statement"] for e in report["sql"]][0] == "BEGIN"


def test_writes_survive_a_restart_and_dry_runs_leave_nothing(project, tmp_path):
    port = sampledb.ensure_running(project)
    source = """function changeEmail(email, newEmail, verified, callback) {
      const { Client } = require('pg');
      const client = new Client(configuration.DATABASE_URL);
      client.connect().then(() => client.query('UPDATE users SET nickname = $1 WHERE id = 2', [newEmail]))
        .then((r) => client.end().then(() => callback(null, r.rowCount)), callback);
    }"""
    config = {"DATABASE_URL": sampledb.script_url(port)}
    run_script(tmp_path, source, args=["bob@example.com", "dry", True], configuration=config)
    run_script(tmp_path, source, args=["bob@example.com", "Robert", True], configuration=config, dry_run=False)
    sampledb.stop(project)
    sampledb.ensure_running(project)  # reopened from its folder
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres") as conn:
        assert conn.execute("SELECT nickname FROM users WHERE id = 2").fetchone()[0] == "Robert"


def test_a_port_taken_by_another_program_is_said_clearly(data_home, tmp_path):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        p = _project(tmp_path / "q", other.getsockname()[1])
        with pytest.raises(sampledb.SampleDatabaseError, match="another program uses that port"):
            sampledb.ensure_running(p)


def test_the_seed_is_made_once_and_shared(project, data_home):
    seeds = list((data_home / "sampledb").glob("seed-v*"))
    assert [s.name for s in seeds] == [f"seed-v{sampledb.SEED_VERSION}"]
    assert not list((data_home / "sampledb").glob(".seed-*"))  # no staging left behind
