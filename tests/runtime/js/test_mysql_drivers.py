"""The instrumented `mysql` and `mysql2` against the suite's real MariaDB: traced statements, a dry
run that leaves the database as it was (own START TRANSACTION/COMMIT as savepoints, a plain COMMIT
held back, DDL's implicit commit and transaction control among other statements refused), pools
and the promise API, --commit writes, and the hosted MySQL template that never calls end()."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

import pytest

from tests.js_support import run_script

pytestmark = pytest.mark.mariadb
DRIVERS = ["mysql", "mysql2"]


@pytest.fixture(scope="module")
def db(mariadb_url):
    import pymysql

    parts = urlsplit(mariadb_url.url.replace("mysql+pymysql://", "mysql://"))
    config = {"host": parts.hostname, "port": parts.port, "user": parts.username,
              "password": mariadb_url.password, "database": parts.path.lstrip("/")}
    table = f"js_users_{secrets.token_hex(4)}"

    def connect():
        return pymysql.connect(**config, autocommit=True)

    with connect() as conn, conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table} (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(200) UNIQUE, "
                    "nickname VARCHAR(200)) ENGINE=InnoDB")
        cur.execute(f"INSERT INTO {table} (email, nickname) VALUES ('alice@example.com', 'Alice')")
    return config, table, connect


def _rows(db):
    _, table, connect = db
    with connect() as conn, conn.cursor() as cur:
        cur.execute(f"SELECT email, nickname FROM {table} ORDER BY id")
        return cur.fetchall()


def _run(tmp_path, db, driver, body, **kw):
    config, table, _ = db
    source = (f"function verify(email, callback) {{\n  const mysql = require('{driver}');\n"
              "  const cfg = JSON.parse(configuration.DB);\n" + body + "\n}\n").replace("TABLE", table)
    import json
    [report] = run_script(tmp_path, source, args=["alice@example.com"], configuration={"DB": json.dumps(config)}, **kw)
    assert "threw" not in report, report.get("threw")
    return report


def _statements(report):
    return [e["statement"] for e in report["sql"]]


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_dry_run_traces_and_rolls_back(tmp_path, db, driver):
    before = _rows(db)
    report = _run(tmp_path, db, driver, """
      const c = mysql.createConnection(cfg);
      c.connect();
      c.query('UPDATE TABLE SET nickname = ? WHERE email = ?', ['Changed', email], function (err, r) {
        if (err) return callback(err);
        c.query('SELECT nickname FROM TABLE WHERE email = ?', [email], function (err, rows) {
          c.end();
          callback(err, {updated: r.affectedRows, seen: rows && rows[0].nickname});
        });
      });""")
    assert report["calls"][0] == {"error": None, "value": {"updated": 1, "seen": "Changed"}}
    assert _rows(db) == before
    statements = _statements(report)
    assert statements[0] == "START TRANSACTION" and statements[-1] == "ROLLBACK"
    assert report["sql"][1]["params"] == ["Changed", "alice@example.com"] and report["sql"][1]["rows"] == 1
    assert report["sql"][2]["rows"] == 1 and report["findings"] == []


@pytest.mark.parametrize("driver", DRIVERS)
def test_commit_writes(tmp_path, db, driver):
    report = _run(tmp_path, db, driver, """
      const c = mysql.createConnection(cfg);
      c.query("INSERT INTO TABLE (email, nickname) VALUES (?, 'C')", ['committed-DRIVER@example.com'], function (err) {
        c.end(); callback(err, 'ok');
      });""".replace("DRIVER", driver), dry_run=False)
    assert report["calls"][0]["value"] == "ok" and report["committed"] is True
    assert (f"committed-{driver}@example.com", "C") in _rows(db)
    assert "START TRANSACTION" not in _statements(report)


@pytest.mark.parametrize("driver", DRIVERS)
def test_the_hosted_template_that_never_ends_its_connection(tmp_path, db, driver):
    before = _rows(db)
    report = _run(tmp_path, db, driver, """
      const connection = mysql.createConnection(cfg);
      connection.connect();
      connection.query("UPDATE TABLE SET nickname = 'LEAK' WHERE email = ?", [email], function (err) {
        if (err) return callback(err);
        callback(null, {user_id: '1'});
      });""")
    assert report["calls"][0]["value"] == {"user_id": "1"}
    assert report["pendingBefore"] is True and report["pendingAfter"] is False
    assert [f["code"] for f in report["findings"]] == ["connection-left-open"]
    assert _statements(report)[-1] == "ROLLBACK"
    assert _rows(db) == before


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("sql,refused", [
    ("COMMIT", False),
    ("commit work", False),
    ("CREATE TABLE js_escape (id INT)", True),
    ("UPDATE TABLE SET nickname = 'ESCAPED'; COMMIT", True),
    ("SET autocommit = 1", True),
    ("TRUNCATE TABLE TABLE", True),
])
def test_nothing_the_script_sends_commits_a_dry_run(tmp_path, db, driver, sql, refused):
    before = _rows(db)
    report = _run(tmp_path, db, driver, f"""
      const c = mysql.createConnection(Object.assign({{multipleStatements: true}}, cfg));
      c.query({sql!r}, function (err) {{
        const first = err ? err.name + ': ' + err.message : 'ok';
        c.query("UPDATE TABLE SET nickname = 'ESCAPED'", function (err2) {{
          c.end();
          callback(null, [first, err2 ? err2.message : 'ok']);
        }});
      }});""")
    first, second = report["calls"][0]["value"]
    if refused:
        assert first.startswith("DryRunRefused: dry run:"), first
    else:
        assert first == "ok" and "COMMIT -- held back: dry run (run with commit to write)" in _statements(report)
    assert second == "ok"
    assert _rows(db) == before


@pytest.mark.parametrize("driver", DRIVERS)
def test_the_scripts_own_transaction_becomes_savepoints(tmp_path, db, driver):
    before = _rows(db)
    report = _run(tmp_path, db, driver, """
      const c = mysql.createConnection(cfg);
      c.beginTransaction(function (err) {
        if (err) return callback(err);
        c.query("INSERT INTO TABLE (email) VALUES ('inner@example.com')", function (err) {
          if (err) return callback(err);
          c.commit(function (err) {
            c.query('SELECT COUNT(*) AS n FROM TABLE', function (err, rows) {
              c.end(); callback(err, rows && rows[0].n);
            });
          });
        });
      });""")
    assert report["calls"][0]["value"] == len(before) + 1
    assert _rows(db) == before
    statements = _statements(report)
    assert statements[:2] == ["START TRANSACTION", "SAVEPOINT customdb_1 -- the script's START TRANSACTION (dry run)"]
    assert statements[3] == "RELEASE SAVEPOINT customdb_1 -- the script's COMMIT (dry run)"


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_pool_and_its_connections(tmp_path, db, driver):
    before = _rows(db)
    report = _run(tmp_path, db, driver, """
      const pool = mysql.createPool(Object.assign({connectionLimit: 2}, cfg));
      pool.query("UPDATE TABLE SET nickname = 'POOL' WHERE email = ?", [email], function (err, r) {
        if (err) return callback(err);
        pool.query('SELECT nickname FROM TABLE WHERE email = ?', [email], function (err, rows) {
          callback(err, rows && rows[0].nickname);
        });
      });""")
    assert report["calls"][0]["value"] == "POOL"  # one connection: it sees its own write
    assert report["pendingAfter"] is False
    assert _rows(db) == before


def test_mysql2_promise_api_and_execute(tmp_path, db):
    before = _rows(db)
    report = _run(tmp_path, db, "mysql2/promise", """
      (async () => {
        const c = await mysql.createConnection(cfg);
        const [r] = await c.execute('UPDATE TABLE SET nickname = ? WHERE email = ?', ['PROMISE', email]);
        const [rows] = await c.query('SELECT nickname FROM TABLE WHERE email = ?', [email]);
        await c.end();
        callback(null, [r.affectedRows, rows[0].nickname]);
      })().catch(callback);""")
    assert report["calls"][0]["value"] == [1, "PROMISE"]
    assert _statements(report)[0] == "START TRANSACTION" and _statements(report)[-1] == "ROLLBACK"
    assert report["sql"][1]["params"] == ["PROMISE", "alice@example.com"]
    assert _rows(db) == before
