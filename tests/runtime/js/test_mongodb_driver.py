"""The instrumented `mongodb` without a MongoDB server (Debian ships none, and the npm
memory-server downloads one at install time): a dry run refuses writes before anything is sent,
in the callback and the promise form (mongodb 6 and 5; 3.1.4 cannot reach a collection without a server); the
template's `client.connect(cb)` calls back with the current driver (removed in mongodb 5) instead
of hanging; commit mode lets a write through to the driver. The command-monitoring trace against
a real server is untested here."""

from __future__ import annotations

import pytest

from tests.js_support import run_script


@pytest.mark.parametrize("module", ["mongodb", "mongodb@5.1.0"])  # 3.1.4 needs a server before db()
def test_a_dry_run_refuses_writes(tmp_path, module):
    [report] = run_script(tmp_path, f"""function create(user, callback) {{
      const {{ MongoClient }} = require('{module}');
      const users = new MongoClient('mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300').db('legacy').collection('users');
      users.insertOne({{ email: user.email }}, function (err) {{
        const first = err && err.name;
        users.updateOne({{ email: 'a' }}, {{ $set: {{ x: 1 }} }}).then(() => callback(null, 'written'),
          (e) => callback(null, [first, e.name, e.message]));
      }});
    }}""", args=[{"email": "a@x"}])
    first, second, message = report["calls"][0]["value"]
    assert first == second == "DryRunRefused" and "insertOne" not in message and "updateOne on legacy.users" in message
    assert [e["statement"] for e in report["sql"]] == ["legacy.users insertOne", "legacy.users updateOne"]
    assert all(e["error"].startswith("DryRunRefused") for e in report["sql"])
    assert [f["code"] for f in report["findings"]].count("dry-run-write-blocked") == 1


@pytest.mark.parametrize("module", ["mongodb", "mongodb@3.1.4"])
def test_the_templates_connect_callback_is_called(tmp_path, module):
    [report] = run_script(tmp_path, f"""function login(email, password, callback) {{
      const MongoClient = require('{module}').MongoClient;
      const client = new MongoClient('mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=300');
      client.connect(function (err) {{
        callback(null, err ? 'no server: ' + err.name : 'connected');
      }});
    }}""", args=["a@x", "pw"], timeoutS=8)
    assert report["calls"], "connect(callback) never called back"
    assert report["calls"][0]["value"].startswith("no server: Mongo")
    if module == "mongodb":
        assert "compat-shim" in [f["code"] for f in report["findings"]]


def test_commit_lets_writes_through_to_the_driver(tmp_path):
    [report] = run_script(tmp_path, """function create(user, callback) {
      const { MongoClient } = require('mongodb');
      const client = new MongoClient('mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300');
      client.db('legacy').collection('users').insertOne({ email: user.email }, function (err) {
        callback(null, err && err.name);
      });
    }""", args=[{"email": "a@x"}], dry_run=False, timeoutS=8)
    assert report["calls"][0]["value"] == "MongoServerSelectionError"  # it tried the server


@pytest.mark.parametrize("module", ["mongodb", "mongodb@3.1.4"])
def test_the_static_connect_with_a_callback_is_called(tmp_path, module):
    [report] = run_script(tmp_path, f"""function login(email, password, callback) {{
      require('{module}').MongoClient.connect('mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=300',
        function (err, client) {{ callback(null, err ? 'no server: ' + err.name : 'connected'); }});
    }}""", args=["a@x", "pw"], timeoutS=8)
    assert report["calls"] and report["calls"][0]["value"].startswith("no server: Mongo")
