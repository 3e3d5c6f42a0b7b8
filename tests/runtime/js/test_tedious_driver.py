"""The instrumented `tedious` without a SQL Server (none can be installed here): the hosted
template's tedious 1.x code (old config, no connect()) really connects with the current tedious
(its first TDS packet, PRELOGIN, reaches a listener), says so, and a dry run refuses transaction
control sent as SQL text before anything is sent. Savepoints and rollback against a real server
are untested here."""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest

from tests.js_support import run_script


@pytest.fixture
def listener():
    """A loopback listener that records the first bytes each client sends, then hangs up."""
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve():
        server.settimeout(30)
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(10)
            with contextlib.suppress(OSError):
                received.append(conn.recv(1024))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    server.close()
    thread.join(5)


@pytest.mark.parametrize("module", ["tedious", "tedious@11.0.3", "tedious@1.11.0"])
def test_the_hosted_templates_tedious_code_connects(tmp_path, listener, module):
    port, received = listener
    [report] = run_script(tmp_path, f"""function login(email, password, callback) {{
      const sqlserver = require('{module}');
      const connection = new sqlserver.Connection({{
        userName: 'test', password: 'test', server: '127.0.0.1',
        options: {{ port: {port}, database: 'mydb', connectTimeout: 3000 }}
      }});
      connection.on('connect', function (err) {{
        callback(null, err ? 'connect failed: ' + err.message : 'connected');
      }});
      connection.on('error', function (err) {{ callback(null, 'connect failed: ' + err.message); }});
    }}""", args=["a@x", "pw"], dry_run=False, timeoutS=5)
    if module != "tedious@1.11.0":  # 1.11 never reports a server that hangs up during PRELOGIN
        assert report["calls"][0]["value"].startswith("connect failed")  # the listener hung up
    assert received and received[0][:1] == b"\x12"  # TDS PRELOGIN: it really tried
    shims = [f["message"] for f in report["findings"] if f["code"] == "compat-shim"]
    if module == "tedious@1.11.0":
        assert shims == []  # its own API
    else:
        assert any("never called connection.connect()" in m for m in shims)
        if module == "tedious":
            assert any("1.x config" in m for m in shims)


@pytest.mark.parametrize("sql", ["COMMIT", "commit tran", "BEGIN TRANSACTION", "UPDATE t SET a = 1 COMMIT",
                                 "ROLLBACK", "SET IMPLICIT_TRANSACTIONS ON"])
def test_a_dry_run_refuses_transaction_control_in_sql_text(tmp_path, sql):
    [report] = run_script(tmp_path, f"""function verify(email, callback) {{
      const {{ Connection, Request }} = require('tedious');
      const connection = new Connection({{ server: '127.0.0.1', options: {{ port: 1 }} }});
      connection.execSql(new Request({sql!r}, function (err) {{ callback(null, err && err.name + ': ' + err.message); }}));
    }}""", args=["a@x"])
    answer = report["calls"][0]["value"]
    assert answer.startswith("DryRunRefused: dry run:")
    assert report["sql"][0]["statement"] == sql and report["sql"][0]["error"].startswith("DryRunRefused")


def test_text_in_strings_and_brackets_is_not_transaction_control(tmp_path):
    [report] = run_script(tmp_path, """function verify(email, callback) {
      const { Connection, Request } = require('tedious');
      const connection = new Connection({ server: '127.0.0.1', options: { port: 1, connectTimeout: 1000 } });
      connection.execSql(new Request("SELECT 'commit' AS [rollback] -- begin tran", function (err) {
        callback(null, err && err.name + ': ' + err.message);
      }));
    }""", args=["a@x"])
    # not refused: it waits for the dry run's BEGIN, which fails on a connection that never logged in
    assert not report["calls"][0]["value"].startswith("DryRunRefused")
