"""The Node container with the module store's instrumented drivers against the suite's real
PostgreSQL and MariaDB: SQL in the run's trace, a dry run that leaves the data as it was,
--commit that writes, connections left open reported, bcrypt served by bcryptjs."""

from __future__ import annotations

import secrets
from urllib.parse import quote

import bcrypt
import pytest

from app.engine.runner import RunnerClient
from tests.js_support import require_node
from tests.node_host_support import PG_LOGIN, make_js_project

PG_CHANGE_PASSWORD = """
function changePassword(email, newPassword, callback) {
  const { Client } = require('pg');
  const client = new Client(configuration.PG_URL);
  client.connect();
  client.query('UPDATE TABLE SET password_hash = $1 WHERE email = $2', [newPassword, email], (err, res) => {
    // the connection is never ended: the host's cleanup reports it
    if (err) return callback(err);
    callback(null, res.rowCount > 0);
  });
}
"""


@pytest.fixture(scope="module")
def pg_project(pg_server, tmp_path_factory):
    require_node()
    import psycopg

    table = f"js_host_users_{secrets.token_hex(4)}"
    url = (f"postgres://{pg_server.user}:{quote(pg_server.password, safe='')}@127.0.0.1:{pg_server.port}"
           f"/{pg_server.database}")
    conn = psycopg.connect(host="127.0.0.1", port=pg_server.port, user=pg_server.user,
                           password=pg_server.password, dbname=pg_server.database, autocommit=True)
    hashed = bcrypt.hashpw(b"wonderland-42", bcrypt.gensalt(4)).decode()
    conn.execute(f"CREATE TABLE {table} (id SERIAL PRIMARY KEY, email TEXT UNIQUE, password_hash TEXT)")
    conn.execute(f"INSERT INTO {table} (email, password_hash) VALUES ('alice@example.com', %s)", (hashed,))
    project = make_js_project(
        tmp_path_factory.mktemp("jspg") / "p",
        {"login": PG_LOGIN.replace("TABLE", table), "change_password": PG_CHANGE_PASSWORD.replace("TABLE", table)},
        configuration=f'PG_URL = "{url}"\n')
    yield project, conn, table, pg_server.password
    conn.close()


pytestmark = pytest.mark.postgres


def test_pg_login_is_traced_and_answers(pg_project):
    project, _, table, password = pg_project
    with RunnerClient(project, use_spare=False) as c:
        ok = c.run("login", {"email": "alice@example.com", "password": "wonderland-42"})
        wrong = c.run("login", {"email": "alice@example.com", "password": "nope"})
    assert (ok.outcome, ok.log_event, ok.result["user_id"]) == ("ok", "s", "legacy|1")
    select = next(s for s in ok.sql if s["statement"].startswith("SELECT"))
    assert table in select["statement"] and select["params"] == ["alice@example.com"] and select["rows"] == 1
    assert (wrong.outcome, wrong.log_event) == ("rejected", "fp")
    assert password not in str(ok.to_dict()) + str(wrong.to_dict())  # the URL's password is masked
    assert [s["statement"] for s in ok.sql][::2] == ["BEGIN", "ROLLBACK"]  # the dry run's own transaction
    assert "module-stand-in" in [f.code for f in ok.findings]  # bcrypt served by bcryptjs, said so


def test_a_dry_run_rolls_back_and_commit_writes_and_a_left_connection_is_reported(pg_project):
    project, conn, table, _ = pg_project
    before = conn.execute(f"SELECT password_hash FROM {table}").fetchone()[0]
    with RunnerClient(project, use_spare=False) as c:
        dry = c.run("change_password", {"email": "alice@example.com", "new_password": "x1"})
        assert (dry.outcome, dry.committed) == ("ok", False)
        assert conn.execute(f"SELECT password_hash FROM {table}").fetchone()[0] == before
        assert "connection-left-open" in [f.code for f in dry.findings]
        wrote = c.run("change_password", {"email": "alice@example.com", "new_password": "x2"}, commit=True)
    try:
        assert (wrote.outcome, wrote.committed) == ("ok", True)
        assert conn.execute(f"SELECT password_hash FROM {table}").fetchone()[0] == "x2"
    finally:
        conn.execute(f"UPDATE {table} SET password_hash = %s", (before,))
