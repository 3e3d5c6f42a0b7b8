"""The runner end to end: real child processes, a real SQLite legacy store, every outcome and rule.

One container serves the whole module (scripts are passed as `source=`), so only the tests that
kill the child pay for a new one (and the spare pool makes even that quick).
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading

import pytest

from app.engine.runner import RunInputError, RunnerClient
from app.runtime.protocol import TIMEOUT_MESSAGE
from tests.runner_support import GET_USER, LOGIN, make_project

ALICE = {"email": "alice@example.com", "password": "wonderland-42"}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("runner") / "proj", {"login": LOGIN, "get_user": GET_USER},
                        timeout_s=10)


@pytest.fixture(scope="module")
def client(project):
    c = RunnerClient(project)
    yield c
    c.close()


def codes(result) -> list[str]:
    return [f.code for f in result.findings]


def run(client, key, source, input=None, **kw):  # noqa: A002
    return client.run(key, input if input is not None else {}, source=source, **kw)


# -- the answers ---------------------------------------------------------------------------------

def test_login_ok_returns_profile_and_logs_s(client):
    r = client.run("login", ALICE)
    assert r.outcome == "ok"
    assert r.result == {"user_id": "legacy|1", "email": "alice@example.com"}
    assert r.log_event == "s"
    assert r.error is None and r.committed is False and r.exit_code == 0


def test_wrong_password_is_rejected_fp_and_unknown_user_fu(client):
    wrong = client.run("login", {"email": "alice@example.com", "password": "nope"})
    assert (wrong.outcome, wrong.log_event) == ("rejected", "fp")
    assert wrong.error["type"] == "WrongUsernameOrPasswordError"
    assert wrong.error["traceback"][0]["function"] == "login"
    unknown = client.run("login", {"email": "zed@example.com", "password": "x"})
    assert (unknown.outcome, unknown.log_event) == ("rejected", "fu")


def test_get_user_not_found(client):
    r = client.run("get_user", {"email": "nobody@example.com"})
    assert r.outcome == "not_found" and r.result is None and r.exit_code == 0


def test_create_validation_error_is_rejected_fs_with_code(client):
    r = run(client, "create", """
def create(user, callback):
    callback(ValidationError("user_exists", "the user already exists"))
""", {"user": {"email": "a@b.c"}})
    assert (r.outcome, r.log_event) == ("rejected", "fs")
    assert r.error["code"] == "user_exists" and r.error["message"] == "the user already exists"


def test_create_success_logs_ss_and_unauthorized_is_rejected(client):
    assert run(client, "create", "def create(user, callback):\n    callback()\n").log_event == "ss"
    r = run(client, "delete", "def delete_user(user_id, callback):\n    callback(UnauthorizedError('no way'))\n")
    assert r.outcome == "rejected" and r.error["code"] == "unauthorized" and r.error["message"] == "no way"


def test_verify_false_is_rejected_true_is_ok(client):
    source = "def verify(email, callback):\n    callback(None, email == 'alice@example.com')\n"
    assert run(client, "verify", source, {"email": "alice@example.com"}).outcome == "ok"
    assert run(client, "verify", source, {"email": "x@example.com"}).outcome == "rejected"


def test_callback_with_an_exception_is_an_error(client):
    r = run(client, "get_user", "def get_user(email, callback):\n    callback(Exception('db down'))\n")
    assert r.outcome == "error" and r.error == {
        "type": "Exception", "message": "db down",
        "traceback": [{"function": "get_user", "file": r.error["traceback"][0]["file"], "line": 2,
                       "library": False, "source": "callback(Exception('db down'))"}]}
    assert r.exit_code == 1


# -- callback rules ------------------------------------------------------------------------------

def test_callback_called_twice_first_call_counts(client):
    r = run(client, "get_user", """
def get_user(email, callback):
    callback(None, {"user_id": "a|1"})
    callback(None, {"user_id": "a|2"})
""")
    assert r.outcome == "ok" and r.result == {"user_id": "a|1"}
    twice = [f for f in r.findings if f.code == "callback-called-twice"]
    assert len(twice) == 1 and twice[0].line == 4


def test_callback_not_called_is_reported_at_once_as_hosted_timeout(client):
    r = run(client, "get_user", "def get_user(email, callback):\n    return {'user_id': 'x'}\n", timeout=30)
    assert r.outcome == "timeout"
    assert "callback-not-called" in codes(r) and "timeout" not in codes(r)
    assert TIMEOUT_MESSAGE in r.error["message"]
    assert r.duration_ms < 30_000  # reported without waiting for the limit


def test_callback_without_arguments_means_none(client):
    r = run(client, "delete", "def delete_user(user_id, callback):\n    callback()\n", {"user_id": "1"})
    assert r.outcome == "ok" and r.result is None and not codes(r)


def test_wrong_callback_arguments(client):
    r = run(client, "get_user", "def get_user(email, callback):\n    callback('boom', 1, 2)\n")
    assert r.outcome == "error"
    assert "wrong-callback-arguments" in codes(r)
    r = run(client, "login", "def login(email, password, callback):\n    callback(None, 'alice')\n")
    assert r.outcome == "error" and "wrong-callback-arguments" in codes(r)


def test_thread_that_calls_callback_later_is_waited_for(client):
    r = run(client, "get_user", """
import threading, time
def get_user(email, callback):
    def later():
        time.sleep(0.2)
        callback(None, {"user_id": "legacy|9"})
    threading.Thread(target=later).start()
""")
    assert r.outcome == "ok" and r.result == {"user_id": "legacy|9"}
    assert "callback-not-called" not in codes(r)


def test_async_entry_is_awaited_and_pending_task_may_answer(client):
    r = run(client, "get_user", """
import asyncio
async def get_user(email, callback):
    await asyncio.sleep(0)
    callback(None, {"user_id": "legacy|async"})
""")
    assert r.outcome == "ok" and r.result == {"user_id": "legacy|async"}
    r = run(client, "get_user", """
import asyncio
async def get_user(email, callback):
    async def later():
        await asyncio.sleep(0.05)
        callback(None)
    asyncio.get_running_loop().create_task(later())
""")
    assert r.outcome == "not_found" and "callback-not-called" not in codes(r)


# -- loading -------------------------------------------------------------------------------------

def test_syntax_error_is_invalid_with_line(client):
    r = run(client, "login", "def login(email, password, callback):\n    return callback(None,\n")
    assert r.outcome == "invalid" and r.exit_code == 1
    syntax = [f for f in r.findings if f.code == "syntax-error"]
    assert len(syntax) == 1 and syntax[0].line is not None


def test_no_entry_is_invalid(client):
    r = run(client, "login", "def helper():\n    pass\n\ndef other():\n    pass\n")
    assert r.outcome == "invalid" and "missing-entry" in codes(r)


def test_lambda_entry_runs_and_is_flagged(client):
    r = run(client, "delete", "remove = lambda user_id, callback: callback(None)\n", {"user_id": "7"})
    assert r.outcome == "ok" and "anonymous-entry" in codes(r)


def test_alias_entry_runs_with_a_finding(client):
    r = run(client, "get_user", "def getByEmail(email, callback):\n    callback(None)\n")
    assert r.outcome == "not_found" and "non-recommended-name" in codes(r)


def test_missing_module_import_is_an_error_naming_the_line(client):
    r = run(client, "login", "import no_such_module_xyz\n\ndef login(email, password, callback):\n    callback()\n")
    assert r.outcome == "error" and r.error["type"] == "ModuleNotFoundError"
    assert r.error["traceback"][-1]["line"] == 1 and r.error["traceback"][-1]["library"] is False


def test_uncaught_exception_traceback_has_no_runtime_frames(client, project):
    r = run(client, "get_user", """
def helper(x):
    return 1 / x
def get_user(email, callback):
    helper(0)
""")
    assert r.outcome == "error" and r.error["type"] == "ZeroDivisionError"
    frames = r.error["traceback"]
    assert [f["function"] for f in frames] == ["get_user", "helper"]
    assert all("app/runtime" not in (f["file"] or "") for f in frames)
    assert frames[0]["file"] == str(project.script_path("get_user").resolve())


def test_library_frames_are_marked(client):
    r = run(client, "get_user", "def get_user(email, callback):\n    db.execute(text('SELECT * FROM nope'))\n")
    assert r.outcome == "error"
    assert r.error["traceback"][0]["library"] is False
    assert any(f["library"] for f in r.error["traceback"][1:])
    failed = [s for s in r.sql if s["error"]]
    assert failed and "nope" in failed[0]["statement"]


def test_deep_recursion_does_not_kill_the_child(client):
    client.run("get_user", {"email": "x"}, source="def get_user(email, callback):\n    global_['n'] = 1\n    callback()\n")
    r = run(client, "get_user", "def f(n):\n    return f(n + 1)\n\ndef get_user(email, callback):\n    f(0)\n")
    assert r.outcome == "error" and r.error["type"] == "RecursionError"
    assert len(r.error["traceback"]) <= 101
    after = run(client, "get_user", "def get_user(email, callback):\n    callback(None, {'user_id': global_.get('n')})\n")
    assert after.result == {"user_id": 1}  # same container: global_ survived


# -- output ---------------------------------------------------------------------------------------

def test_print_log_stderr_and_raw_fd_writes_are_captured_in_order(client):
    r = run(client, "get_user", """
import os, sys
def get_user(email, callback):
    print("hello", email)
    log.info("from the logger")
    print("to stderr", file=sys.stderr)
    os.write(1, b"raw fd one\\n")
    os.write(2, b"raw fd two")
    print("right before callback")
    callback(None)
""", {"email": "a@b.c"})
    streams = [(line["stream"], line["text"]) for line in r.logs]
    assert ("stdout", "hello a@b.c") in streams
    assert ("log", "INFO from the logger") in streams
    assert ("stderr", "to stderr") in streams
    assert ("stdout", "raw fd one") in streams and ("stderr", "raw fd two") in streams
    assert ("stdout", "right before callback") in streams
    nxt = run(client, "get_user", "def get_user(email, callback):\n    callback(None)\n")
    assert nxt.logs == []  # nothing of the previous run leaks into this one


def test_on_event_streams_logs_and_sql(client):
    events = []
    r = client.run("login", ALICE, on_event=events.append)
    kinds = [e["type"] for e in events]
    assert kinds.count("sql") == len(r.sql) >= 3


def test_print_flood_is_capped_with_one_notice(client):
    r = run(client, "get_user", """
import os
def get_user(email, callback):
    for i in range(60000):
        print("x" * 40)
    os.write(1, b"y" * 3_000_000)
    callback(None)
""")
    assert r.outcome == "not_found"
    size = sum(len(line["text"]) for line in r.logs)
    assert size < 1.2 * 1024 * 1024
    notices = [line for line in r.logs if "output truncated" in line["text"]]
    assert len(notices) == 1


# -- the container ------------------------------------------------------------------------------

def test_global_survives_between_runs_and_recycle_resets_it(project):
    source = ("def get_user(email, callback):\n    global_['n'] = global_.get('n', 0) + 1\n"
              "    callback(None, {'user_id': global_['n']})\n")
    with RunnerClient(project) as c:
        assert [c.run("get_user", {}, source=source).result["user_id"] for _ in range(3)] == [1, 2, 3]
        c.recycle()
        assert c.state == "dead"
        assert c.run("get_user", {}, source=source).result["user_id"] == 1
        assert c.state == "idle"


def test_idle_lifetime_recycles_the_container(project):
    source = ("def get_user(email, callback):\n    global_['n'] = global_.get('n', 0) + 1\n"
              "    callback(None, {'user_id': global_['n']})\n")
    with RunnerClient(project, idle_lifetime_s=0) as c:
        assert c.run("get_user", {}, source=source).result["user_id"] == 1
        assert c.run("get_user", {}, source=source).result["user_id"] == 1
    states = []
    with RunnerClient(project, idle_lifetime_s=0.2, on_state=states.append) as c:
        assert c.run("get_user", {}, source=source).result["user_id"] == 1
        c._reaper.join(10)  # the idle container is thrown away without another run
        assert c.state == "dead" and c._child is None and states[-2:] == ["idle", "dead"]
        assert c.run("get_user", {}, source=source).result["user_id"] == 1


def test_infinite_loop_times_out_and_next_run_works(client):
    r = run(client, "get_user", "def get_user(email, callback):\n    while True:\n        pass\n", timeout=1)
    assert r.outcome == "timeout" and r.error["message"] == TIMEOUT_MESSAGE
    assert "timeout" in codes(r)
    assert client.run("login", ALICE).outcome == "ok"


@pytest.mark.parametrize(("body", "expect"), [
    ("import os\n    os._exit(3)", "exited with code 3"),
    ("import ctypes\n    ctypes.string_at(0)", "SIGSEGV"),
])
def test_a_dying_child_is_reported_crashed_and_replaced(client, body, expect):
    r = run(client, "get_user", f"def get_user(email, callback):\n    print('before')\n    {body}\n")
    assert r.outcome == "crashed" and expect in r.error["message"]
    if "SIGSEGV" in expect:
        frames = r.error["traceback"]  # from the faulthandler report: the entry down to the crash
        assert frames[0]["function"] == "get_user" and frames[0]["line"] == 4 and not frames[0]["library"]
        assert frames[-1]["function"] == "string_at" and frames[-1]["library"]
    assert client.run("login", ALICE).outcome == "ok"


def test_sys_exit_is_crashed_and_the_container_is_recycled(client):
    client.run("get_user", {}, source="def get_user(email, callback):\n    global_['k'] = 1\n    callback()\n")
    r = run(client, "get_user", "import sys\ndef get_user(email, callback):\n    sys.exit(4)\n")
    assert r.outcome == "crashed" and "sys.exit(4)" in r.error["message"]
    after = run(client, "get_user", "def get_user(email, callback):\n    callback(None, {'user_id': global_.get('k')})\n")
    assert after.result == {"user_id": None}


def test_memory_error_is_crashed(client):
    r = run(client, "get_user", "def get_user(email, callback):\n    x = bytearray(10**12)\n")
    assert r.outcome == "crashed" and "MemoryError" in r.error["message"]
    assert client.run("login", ALICE).outcome == "ok"


def test_stop_from_another_thread(client):
    states = []
    client.on_state = states.append

    def stop_once_running(event):  # from the runner thread; stop() is called from yet another one
        if event.get("text") == "started":
            threading.Thread(target=client.stop).start()

    try:
        r = run(client, "get_user", "import time\ndef get_user(email, callback):\n    print('started')\n"
                                    "    time.sleep(30)\n", timeout=20, on_event=stop_once_running)
    finally:
        client.on_state = None
    assert r.outcome == "error" and r.error == {"type": "Stopped", "message": "stopped by the user", "traceback": []}
    assert "running" in states and states[-1] == "dead"
    assert client.run("login", ALICE).outcome == "ok"


# -- the database --------------------------------------------------------------------------------

WRITER = """
def get_user(email, callback):
    db.execute(text("UPDATE users SET migrated = 1 WHERE email = :e"), {"e": email})
    db.commit()
    with db.begin():
        db.execute(text("INSERT INTO users (email, password_hash) VALUES ('new@x', 'h')"))
    callback(None, {"user_id": "legacy|1"})
"""


def test_dry_run_leaves_the_sqlite_file_byte_for_byte_unchanged(client, project):
    db_file = project.root / "legacy.db"
    before = hashlib.sha256(db_file.read_bytes()).hexdigest()
    r = run(client, "get_user", WRITER, {"email": "alice@example.com"})
    assert r.outcome == "ok" and r.committed is False
    statements = [s["statement"] for s in r.sql]
    assert statements[0] == "BEGIN" and statements[-1] == "ROLLBACK"
    assert any(s.startswith("COMMIT -- held back") for s in statements)
    assert hashlib.sha256(db_file.read_bytes()).hexdigest() == before


def test_commit_writes(tmp_path):
    import sqlite3

    p = make_project(tmp_path / "p")
    with RunnerClient(p, use_spare=False) as c:
        r = c.run("get_user", {"email": "bob@example.com"}, source=WRITER, commit=True)
    assert r.outcome == "ok" and r.committed is True
    con = sqlite3.connect(p.root / "legacy.db")
    assert con.execute("SELECT migrated FROM users WHERE email = 'bob@example.com'").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM users WHERE email = 'new@x'").fetchone() == (1,)
    con.close()


def test_sql_trace_masks_password_params_and_counts(client):
    r = run(client, "login", """
def login(email, password, callback):
    db.execute(text("SELECT :user_pwd AS a, :other AS b, :email AS c"), {"user_pwd": "x", "other": password, "email": email})
    callback(None, {"user_id": "1"})
""", ALICE)
    select = next(s for s in r.sql if s["statement"].startswith("SELECT"))
    assert select["params"] == {"user_pwd": "****", "other": "****", "email": "alice@example.com"}
    assert select["duration_ms"] is not None and select["error"] is None


def test_engines_the_script_makes_are_traced_too(client, project):
    url = f"sqlite:///{project.root / 'legacy.db'}"
    r = run(client, "get_user", f"""
from sqlalchemy import create_engine
def get_user(email, callback):
    engine = create_engine({url!r})
    with engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM users")).scalar()
    callback(None)
""")
    assert any("count(*)" in s["statement"] for s in r.sql)


# -- rules from profile and trace ----------------------------------------------------------------

def test_profile_rules(client):
    r = run(client, "login", """
def login(email, password, callback):
    row = db.execute(text("SELECT password_hash FROM users WHERE id = 1")).first()
    callback(None, {"email": email, "app_metadata": {"plan": "gold"}, "hash": row.password_hash,
                    "user_metadata": {"pw": password}})
""", ALICE)
    assert r.outcome == "ok"
    assert {"missing-user-id", "app-metadata-name", "secret-in-profile"} <= set(codes(r))
    assert "wonderland-42" not in json.dumps([f.to_dict() for f in r.findings])


def test_delete_in_login_from_the_trace(client):
    r = run(client, "login", """
def login(email, password, callback):
    table = "users"
    db.execute(text("DEL" + "ETE FROM " + table + " WHERE id = 2"))
    callback(None, {"user_id": "legacy|1"})
""", ALICE)
    assert "delete-in-login" in codes(r)


def test_not_marked_migrated_in_migration_mode(tmp_path):
    p = make_project(tmp_path / "m", {"login": LOGIN}, mode="migration")
    with RunnerClient(p, use_spare=False) as c:
        plain = c.run("login", ALICE)
        marked = c.run("login", ALICE, source=LOGIN.replace(
            "    return callback(None,",
            "    db.execute(text('UPDATE users SET migrated = 1 WHERE id = :i'), {'i': row.id})\n"
            "    return callback(None,"))
    assert plain.outcome == "ok" and "not-marked-migrated" in codes(plain)
    assert marked.outcome == "ok" and "not-marked-migrated" not in codes(marked)


def test_lint_findings_come_with_the_run(client):
    r = run(client, "get_user", """
def get_user(email, callback):
    row = db.execute(text("SELECT id FROM users WHERE email = '" + email + "'")).first()
    callback(None)
""", {"email": "a@b.c"})
    assert "sql-string-concat" in codes(r)


def test_script_too_large(client):
    filler = "# " + "x" * 100 + "\n"
    r = run(client, "get_user", "def get_user(email, callback):\n    callback(None)\n" + filler * 1100)
    assert r.outcome == "not_found" and "script-too-large" in codes(r)


# -- context and input ---------------------------------------------------------------------------

def test_context_is_passed_before_callback_and_delete_gets_empty(tmp_path):
    p = make_project(tmp_path / "ctx", context_object=True)
    org = {"organization": {"id": "org_1", "name": "acme"}}
    with RunnerClient(p, use_spare=False) as c:
        r = c.run("get_user", {"email": "a", "context": org},
                  source="def get_user(email, context, callback):\n    callback(None, {'user_id': context['organization']['id']})\n")
        d = c.run("delete", {"user_id": "1", "context": org},
                  source="def delete_user(user_id, context, callback):\n    callback(None, context)\n")
    assert r.result == {"user_id": "org_1"}
    assert d.result == {}


def test_unusable_input_raises_before_running(client):
    with pytest.raises(RunInputError, match="unknown input key 'emial'"):
        client.run("get_user", {"emial": "x"})
    with pytest.raises(RunInputError, match="unknown script"):
        client.run("nope", {})
    with pytest.raises(RunInputError, match="does not exist"):
        client.run("verify", {"email": "x"})


# -- secrets -------------------------------------------------------------------------------------

def test_secret_values_are_masked_everywhere(tmp_path, monkeypatch):
    secret = "s3cr3t-Value-9"
    monkeypatch.setenv("CUSTOMDB_CONFIG_API_KEY", secret)
    p = make_project(tmp_path / "sec", configuration='API_KEY = { secret = true }\nPLAIN = "visible"\n')
    source = """
import sys
def get_user(email, callback):
    key = configuration["API_KEY"]
    print("the key is", key)
    log.warning("key=%s", key)
    print(key, file=sys.stderr)
    db.execute(text("SELECT :k AS k, '" + key + "' AS literal"), {"k": key})
    assert configuration["PLAIN"] == "visible"
    callback(None, {"user_id": "1", "api": key, "note": "uses " + key})
"""
    with RunnerClient(p, use_spare=False) as c:
        ok = c.run("get_user", {"email": "a"}, source=source)
        failing = c.run("get_user", {"email": "a"},
                        source="def get_user(email, callback):\n    raise ValueError('bad key ' + configuration['API_KEY'])\n")
        environ = c.run("get_user", {"email": "a"}, source=(
            "import os\ndef get_user(email, callback):\n"
            "    callback(None, {'user_id': str(sorted(k for k in os.environ if k.startswith('CUSTOMDB_')))})\n"))
    assert "CUSTOMDB_CONFIG_API_KEY" not in environ.result["user_id"]  # secrets reach scripts only as configuration
    dumped = json.dumps(ok.to_dict()) + json.dumps(failing.to_dict())
    assert secret not in dumped
    assert ok.outcome == "ok" and "****" in json.dumps(ok.logs) and "****" in json.dumps(ok.sql)
    assert "secret-in-profile" in codes(ok)
    assert failing.error["message"] == "bad key ****"


def test_configuration_is_read_only(client):
    r = run(client, "get_user", "def get_user(email, callback):\n    configuration['X'] = 1\n")
    assert r.outcome == "error" and r.error["type"] == "TypeError"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX socket permissions")
def test_child_receives_the_channel_on_stdin_not_argv(client):
    import os

    client.run("login", ALICE)
    child = client._child
    with open(f"/proc/{child.pid}/cmdline", "rb") as f:
        argv = f.read().split(b"\0")
    assert b"--runner-child" in argv and not any(b"authkey" in a for a in argv)
    with open(f"/proc/{child.pid}/environ", "rb") as f:
        assert b"authkey" not in f.read()
    assert os.getpid() != child.pid


@pytest.mark.skipif(sys.platform == "win32", reason="kills with SIGKILL")
def test_child_does_not_outlive_a_killed_parent(project):
    import os
    import signal
    import subprocess
    import time

    parent = subprocess.Popen([sys.executable, "-c", f"""
import sys
from app.domain.project import load_project
from app.engine.runner import RunnerClient
c = RunnerClient(load_project({str(project.root)!r}), use_spare=False)
c.warm()
print(c._child.pid, flush=True)
c.run("get_user", {{}}, source="def get_user(email, callback):\\n    while True:\\n        pass\\n", timeout=60)
"""], stdout=subprocess.PIPE, text=True)
    child_pid = int(parent.stdout.readline())
    time.sleep(0.3)  # the child is now spinning in the script's loop
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        os.kill(child_pid, signal.SIGKILL)
        pytest.fail("the runner child outlived its parent")


@pytest.mark.parametrize("command", [["/nonexistent/python-for-customdb"],
                                     [sys.executable, "-c", "import sys; print('broken install', file=sys.stderr); sys.exit(5)"]])
def test_a_child_that_cannot_start_is_a_crashed_result_not_an_exception(project, monkeypatch, command):
    import app.engine.child as child_module

    monkeypatch.setattr(child_module, "child_command", lambda: command)
    with RunnerClient(project, use_spare=False) as c:
        r = c.run("login", ALICE)
        assert r.outcome == "crashed" and r.error["type"] == "ChildStartError"
        assert c.state == "dead"
        monkeypatch.undo()
        assert c.run("login", ALICE).outcome == "ok"


@pytest.mark.postgres
def test_the_database_password_is_masked_like_a_secret(tmp_path, pg_url):
    from app.engine.secrets import DATABASE_PASSWORD, set_secret

    p = make_project(tmp_path / "pg", db=False)
    set_secret(p, DATABASE_PASSWORD, pg_url.password)  # as the user stores it: in the keychain
    with RunnerClient(p, use_spare=False) as c:
        r = c.run("get_user", {"email": "a"}, database=pg_url.url, source="""
def get_user(email, callback):
    print("connected with", db.engine.url.password)
    db.execute(text("SELECT :p AS p"), {"p": db.engine.url.password})
    callback(Exception("pw " + db.engine.url.password))
""")
    assert r.outcome == "error" and r.error["message"] == "pw ****"
    assert pg_url.password not in json.dumps(r.to_dict())
    assert r.logs == [{"stream": "stdout", "text": "connected with ****"}]


def test_a_thread_still_running_is_waited_for_until_the_time_limit(client):
    r = run(client, "get_user", """
import threading, time
def get_user(email, callback):
    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
""", timeout=1)
    assert r.outcome == "timeout" and "timeout" in codes(r) and "callback-not-called" not in codes(r)
    assert client.run("login", ALICE).outcome == "ok"


def test_async_entry_that_raises_is_an_error(client):
    r = run(client, "get_user", "async def get_user(email, callback):\n    raise KeyError('k')\n")
    assert r.outcome == "error" and r.error["type"] == "KeyError"
    assert r.error["traceback"][0]["function"] == "get_user"


def test_input_gets_eof_and_closing_stdout_breaks_nothing(client):
    r = run(client, "get_user", "import sys\ndef get_user(email, callback):\n    sys.stdout.close()\n    input('? ')\n")
    assert r.outcome == "error" and r.error["type"] == "EOFError"
    after = run(client, "get_user", "def get_user(email, callback):\n    print('still here')\n    callback(None)\n")
    assert after.logs == [{"stream": "stdout", "text": "still here"}]


def test_a_statement_flood_is_traced_up_to_a_cap_with_a_notice(client):
    r = run(client, "get_user", """
def get_user(email, callback):
    for i in range(6000):
        db.execute(text("SELECT :i"), {"i": i})
    callback(None)
""")
    assert r.outcome == "not_found"
    assert len(r.sql) == 5000
    assert any("SQL trace truncated" in line["text"] for line in r.logs)


def test_logs_stream_to_the_parent_while_the_run_goes_on(client, tmp_path):
    flag = tmp_path / "seen"

    def on_event(event):  # the script only finishes once the parent has seen its first line
        if event.get("text") == "tick":
            flag.touch()

    r = run(client, "get_user", f"""
import os, time
def get_user(email, callback):
    print("tick")
    while not os.path.exists({str(flag)!r}):
        time.sleep(0.01)
    callback(None)
""", timeout=10, on_event=on_event)
    assert r.outcome == "not_found"


def test_a_failing_on_event_callback_does_not_break_the_run(client):
    def broken(event):
        raise RuntimeError("GUI bug")

    r = run(client, "get_user", "def get_user(email, callback):\n    print('x')\n    callback(None)\n", on_event=broken)
    assert r.outcome == "not_found" and r.logs == [{"stream": "stdout", "text": "x"}]
