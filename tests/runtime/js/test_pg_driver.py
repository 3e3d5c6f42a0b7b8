"""The instrumented `pg` against the suite's real PostgreSQL: every statement traced (parameters,
duration, rows, error), a dry run leaves the database as it was whatever SQL the script sends
(its own BEGIN/COMMIT as savepoints, a plain COMMIT held back, transaction control hidden among
other statements refused), --commit writes, the hosted `pg.connect(conString, cb)` works, and
connections left open are rolled back, closed and reported."""

from __future__ import annotations

import secrets
from urllib.parse import quote

import pytest

from tests.js_support import run_script

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg(pg_server):
    """(libpq URL with password, table name, psycopg connect()) with a fresh users table."""
    import psycopg

    url = f"postgres://{pg_server.user}:{quote(pg_server.password, safe='')}@127.0.0.1:{pg_server.port}/{pg_server.database}"
    table = f"js_users_{secrets.token_hex(4)}"

    def connect():
        return psycopg.connect(host="127.0.0.1", port=pg_server.port, user=pg_server.user,
                               password=pg_server.password, dbname=pg_server.database, autocommit=True)

    with connect() as conn:
        conn.execute(f"CREATE TABLE {table} (id SERIAL PRIMARY KEY, email TEXT UNIQUE, nickname TEXT)")
        conn.execute(f"INSERT INTO {table} (email, nickname) VALUES ('alice@example.com', 'Alice')")
    return url, table, connect


def _rows(pg):
    _, table, connect = pg
    with connect() as conn:
        return conn.execute(f"SELECT email, nickname FROM {table} ORDER BY id").fetchall()


def _run(tmp_path, pg, body: str, **kw):
    url, table, _ = pg
    source = "function verify(email, callback) {\n  const pg = require('pg');\n" + body + "\n}\n"
    [report] = run_script(tmp_path, source.replace("TABLE", table), args=["alice@example.com"],
                          configuration={"URL": url}, **kw)
    assert "threw" not in report, report.get("threw")
    return report


def _statements(report):
    return [e["statement"] for e in report["sql"]]


def test_a_dry_run_traces_and_rolls_back_an_update(tmp_path, pg):
    before = _rows(pg)
    report = _run(tmp_path, pg, """
      const client = new pg.Client(configuration.URL);
      client.connect()
        .then(() => client.query('UPDATE TABLE SET nickname = $1 WHERE email = $2', ['Changed', email]))
        .then((r) => client.query('SELECT nickname FROM TABLE WHERE email = $1', [email]).then((s) => [r, s]))
        .then(([r, s]) => client.end().then(() => callback(null, {updated: r.rowCount, seen: s.rows[0].nickname})))
        .catch(callback);""")
    assert report["calls"][0] == {"error": None, "value": {"updated": 1, "seen": "Changed"}}
    assert _rows(pg) == before  # rolled back
    assert _statements(report)[0] == "BEGIN" and _statements(report)[-1] == "ROLLBACK"
    update = report["sql"][1]
    assert update["params"] == ["Changed", "alice@example.com"] and update["rows"] == 1 and update["error"] is None
    assert isinstance(update["duration_ms"], float) and update["duration_ms"] >= 0
    assert report["sql"][2]["rows"] == 1
    assert report["findings"] == [] and report["committed"] is False


def test_commit_writes_and_sends_no_transaction_of_its_own(tmp_path, pg):
    report = _run(tmp_path, pg, """
      const client = new pg.Client(configuration.URL);
      client.connect()
        .then(() => client.query("INSERT INTO TABLE (email, nickname) VALUES ('committed@example.com', 'C')"))
        .then(() => client.end()).then(() => callback(null, true), callback);""", dry_run=False)
    assert report["calls"][0]["value"] is True and report["committed"] is True
    assert _statements(report) == [f"INSERT INTO {pg[1]} (email, nickname) VALUES ('committed@example.com', 'C')"]
    assert ("committed@example.com", "C") in _rows(pg)


@pytest.mark.parametrize("commit", ["COMMIT", "commit", "END", "  /* why not */ COMMIT WORK", "COMMIT AND CHAIN"])
def test_a_plain_sql_commit_is_held_back(tmp_path, pg, commit):
    before = _rows(pg)
    report = _run(tmp_path, pg, f"""
      const client = new pg.Client(configuration.URL);
      (async () => {{
        await client.connect();
        await client.query({commit!r});
        await client.query("UPDATE TABLE SET nickname = 'ESCAPED'");
        await client.query({commit!r});
        await client.end();
        callback(null, 'done');
      }})().catch(callback);""")
    assert report["calls"][0]["value"] == "done"
    assert _rows(pg) == before
    assert _statements(report).count("COMMIT -- held back: dry run (run with commit to write)") == 2


def test_the_scripts_own_transaction_becomes_savepoints(tmp_path, pg):
    before = _rows(pg)
    report = _run(tmp_path, pg, """
      const client = new pg.Client(configuration.URL);
      (async () => {
        await client.connect();
        await client.query('BEGIN');
        await client.query("INSERT INTO TABLE (email) VALUES ('inner@example.com')");
        await client.query('COMMIT');
        await client.query('BEGIN');
        await client.query("INSERT INTO TABLE (email) VALUES ('undone@example.com')");
        await client.query('ROLLBACK');
        const r = await client.query('SELECT email FROM TABLE ORDER BY id');
        await client.end();
        callback(null, r.rows.map((x) => x.email));
      })().catch(callback);""")
    seen = report["calls"][0]["value"]
    assert "inner@example.com" in seen and "undone@example.com" not in seen
    assert _rows(pg) == before
    statements = _statements(report)
    assert statements[0] == "BEGIN" and statements[-1] == "ROLLBACK"
    assert statements[1] == "SAVEPOINT customdb_1 -- the script's BEGIN (dry run)"
    assert statements[3] == "RELEASE SAVEPOINT customdb_1 -- the script's COMMIT (dry run)"
    assert statements[6].startswith("ROLLBACK TO SAVEPOINT customdb_2")


@pytest.mark.parametrize("sql", [
    "UPDATE TABLE SET nickname = 'ESCAPED'; COMMIT",
    "COMMIT; UPDATE TABLE SET nickname = 'ESCAPED'",
    "select 1; end; UPDATE TABLE SET nickname = 'ESCAPED'",
    "PREPARE TRANSACTION 'x'",
])
def test_transaction_control_hidden_among_statements_is_refused(tmp_path, pg, sql):
    before = _rows(pg)
    report = _run(tmp_path, pg, f"""
      const client = new pg.Client(configuration.URL);
      client.connect().then(() => client.query({sql!r}))
        .then(() => callback(null, 'ran'), (e) => callback(null, e.name + ': ' + e.message))
        .finally(() => client.end());""")
    answer = report["calls"][0]["value"]
    assert answer.startswith("DryRunRefused: dry run:") and "commit writes" in answer
    assert _rows(pg) == before
    refused = [e for e in report["sql"] if e["error"]]
    assert refused and refused[0]["error"].startswith("DryRunRefused")
    assert any("[dry run] refused" in line["text"] for line in report["logs"])


def test_dollar_quoted_and_commented_text_is_not_taken_for_a_commit(tmp_path, pg):
    report = _run(tmp_path, pg, """
      const client = new pg.Client(configuration.URL);
      client.connect().then(() => client.query("SELECT $x$; COMMIT $x$ AS a, 'x; commit' AS b -- ; commit"))
        .then((r) => callback(null, r.rows[0]), callback).finally(() => client.end());""")
    assert report["calls"][0]["value"] == {"a": "; COMMIT ", "b": "x; commit"}


def test_an_error_is_traced_with_its_message(tmp_path, pg):
    report = _run(tmp_path, pg, """
      const client = new pg.Client(configuration.URL);
      client.connect().then(() => client.query('SELECT * FROM no_such_table WHERE id = $1', [7]))
        .then(() => callback(null, 'no error'), (e) => callback(null, e.message)).finally(() => client.end());""")
    assert "no_such_table" in report["calls"][0]["value"]
    failed = report["sql"][1]
    assert failed["statement"] == "SELECT * FROM no_such_table WHERE id = $1" and failed["params"] == [7]
    assert "no_such_table" in failed["error"] and failed["rows"] is None


def test_the_hosted_pg_connect_template_runs(tmp_path, pg):
    report = _run(tmp_path, pg, """
      pg.connect(configuration.URL, function (err, client, done) {
        if (err) return callback(err);
        client.query('SELECT id, nickname, email FROM TABLE WHERE email = $1', [email], function (err, result) {
          done();
          if (err || result.rows.length === 0) return callback(err || new WrongUsernameOrPasswordError(email));
          callback(null, {user_id: String(result.rows[0].id), nickname: result.rows[0].nickname});
        });
      });""")
    assert report["calls"][0] == {"error": None, "value": {"user_id": "1", "nickname": "Alice"}}
    assert [f["code"] for f in report["findings"]] == ["compat-shim"]  # no connection-left-open: the pool is ours
    assert _statements(report)[0] == "BEGIN" and _statements(report)[-1] == "ROLLBACK"
    assert report["pendingAfter"] is False


def test_a_connection_left_open_is_rolled_back_closed_and_reported(tmp_path, pg):
    before = _rows(pg)
    report = _run(tmp_path, pg, """
      const client = new pg.Client(configuration.URL);
      client.connect().then(() => client.query("UPDATE TABLE SET nickname = 'LEFT'"))
        .then(() => callback(null, 'left open'), callback);""")
    assert report["pendingBefore"] is True and report["pendingAfter"] is False
    [finding] = report["findings"]
    assert finding["code"] == "connection-left-open" and "rolled back" in finding["message"]
    assert _statements(report)[-1] == "ROLLBACK"
    assert _rows(pg) == before


def test_a_pool_kept_in_global_serves_the_next_run_and_each_run_is_undone(tmp_path, pg):
    before = _rows(pg)
    url, table, _ = pg
    source = """function verify(email, callback) {
      const pg = require('pg');
      global.pool = global.pool || new pg.Pool({connectionString: configuration.URL, max: 2});
      global.pool.query("UPDATE TABLE SET nickname = nickname || '!' WHERE email = $1 RETURNING nickname", [email])
        .then((r) => callback(null, r.rows[0].nickname), callback);
    }""".replace("TABLE", table)
    reports = run_script(tmp_path, source, args=["alice@example.com"], configuration={"URL": url}, runs=2)
    assert [r["calls"][0]["value"] for r in reports] == ["Alice!", "Alice!"]  # run 1's write was undone
    assert all(r["findings"] == [] and r["pendingAfter"] is False for r in reports)
    assert [e["statement"] for e in reports[1]["sql"]][0] == "BEGIN"
    assert _rows(pg) == before
