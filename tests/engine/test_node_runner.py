"""JavaScript action scripts through the Node container: the hosted rules decided parent-side,
real file names and lines in errors, and the hostile scripts the Python runner survives."""

from __future__ import annotations

import os
import threading
import time

import pytest

from app.engine.node_runner import NodeRunnerClient
from app.engine.runner import RunnerClient
from app.runtime.protocol import TIMEOUT_MESSAGE
from tests.node_host_support import GET_USER_JS, LOGIN_JS, make_js_project

ALICE = {"email": "alice@example.com", "password": "wonderland-42"}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_js_project(tmp_path_factory.mktemp("js") / "proj", {"login": LOGIN_JS, "get_user": GET_USER_JS},
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


def test_a_javascript_project_gets_the_node_container(client):
    assert isinstance(client, NodeRunnerClient)


def test_login_ok_wrong_password_and_unknown_user_with_hosted_log_events(client, project):
    ok = client.run("login", ALICE)
    assert (ok.outcome, ok.log_event, ok.result) == ("ok", "s", {"user_id": "legacy|1", "email": "alice@example.com"})
    wrong = client.run("login", {**ALICE, "password": "nope"})
    assert (wrong.outcome, wrong.log_event, wrong.error["type"]) == ("rejected", "fp", "WrongUsernameOrPasswordError")
    frame = wrong.error["traceback"][-1]
    assert frame["file"] == str(project.root / "scripts" / "login.js") and frame["line"] == 9
    unknown = client.run("login", {"email": "nobody@example.com", "password": "x"})
    assert (unknown.outcome, unknown.log_event, unknown.error["message"]) == ("rejected", "fu", "unknown user")


def test_get_user_found_and_not_found(client):
    assert client.run("get_user", {"email": "bob@example.com"}).result == {"user_id": "legacy|2",
                                                                           "email": "bob@example.com"}
    assert client.run("get_user", {"email": "nobody@example.com"}).outcome == "not_found"


def test_create_validation_error_is_rejected_fs_with_its_code(client):
    r = run(client, "create", "function create(user, callback) {\n"
                              "  callback(new ValidationError('user_exists', 'taken'));\n}\n", {"user": {"email": "a"}})
    assert (r.outcome, r.log_event, r.error["code"], r.error["message"]) == ("rejected", "fs", "user_exists", "taken")
    ok = run(client, "create", "function create(user, callback) { callback(); }", {"user": {}})
    assert (ok.outcome, ok.log_event) == ("ok", "ss")


def test_unauthorized_and_plain_errors(client):
    r = run(client, "login", "function login(e, p, cb) { cb(new UnauthorizedError('blocked')); }")
    assert (r.outcome, r.error["code"]) == ("rejected", "unauthorized")
    r = run(client, "login", "function login(e, p, cb) { cb(new Error('db down')); }")
    assert (r.outcome, r.error["type"], r.error["message"]) == ("error", "Error", "db down")
    r = run(client, "login", "function login(e, p, cb) { cb('text'); }")
    assert r.outcome == "error" and "wrong-callback-arguments" in codes(r)


def test_callback_twice_first_call_counts_with_the_second_line(client):
    r = run(client, "login", "function login(e, p, cb) {\n  cb(null, {user_id: 'a'});\n  cb(null, {user_id: 'b'});\n}")
    assert r.result == {"user_id": "a"}
    twice = next(f for f in r.findings if f.code == "callback-called-twice")
    assert twice.line == 3 and "first at line 2" in twice.message


def test_callback_not_called_is_reported_at_once_not_at_the_limit(client):
    r = run(client, "login", "function login(e, p, cb) {\n  if (!e) return;\n  cb(null, {user_id: 'x'});\n}")
    assert r.outcome == "timeout" and r.error["type"] == "CallbackNotCalled"  # not the parent's Timeout
    assert TIMEOUT_MESSAGE in r.error["message"] and "callback-not-called" in codes(r)


def test_anonymous_async_and_helper_files_load(client):
    anon = run(client, "login", "function (email, password, callback) {\n  callback(null, {user_id: 'x'});\n}\n")
    assert anon.outcome == "ok" and "anonymous-entry" in codes(anon)
    asynchronous = run(client, "login", "async function login(e, p, cb) {\n"
                                        "  await new Promise((r) => setTimeout(r, 5));\n  cb(null, {user_id: 'y'});\n}")
    assert asynchronous.result == {"user_id": "y"}
    helpers = run(client, "login", "const PREFIX = 'h|';\nfunction id(n) { return PREFIX + n; }\n"
                                   "function login(e, p, cb) { cb(null, {user_id: id(1)}); }\n")
    assert helpers.result == {"user_id": "h|1"}
    alias = run(client, "get_user", "function getByEmail(email, cb) { cb(null); }", {"email": "a"})
    assert alias.outcome == "not_found"


def test_syntax_error_and_missing_entry_are_invalid_with_the_line(client):
    r = run(client, "login", "function login(e, p, cb) {\n  cb(null, {user_id: 'x'}\n}\n")
    assert r.outcome == "invalid" and r.findings[0].code == "syntax-error" and r.findings[0].line == 2  # where node itself points
    r = run(client, "login", "function helper() {}\nfunction other() {}\n")
    assert r.outcome == "invalid" and "missing-entry" in codes(r)


def test_uncaught_exception_in_a_timer_and_unhandled_rejection_are_errors_with_script_frames(client, project):
    r = run(client, "login", "function login(e, p, cb) {\n  setTimeout(() => {\n    null.x;\n  }, 1);\n}")
    assert r.outcome == "error" and r.error["type"] == "TypeError"
    assert r.error["traceback"][0]["file"] == str(project.root / "scripts" / "login.js")
    assert r.error["traceback"][-1]["line"] == 3
    r = run(client, "login", "function login(e, p, cb) {\n  Promise.reject(new RangeError('late'));\n}")
    assert (r.outcome, r.error["type"], r.error["origin"]) == ("error", "RangeError", "unhandled promise rejection")
    r = run(client, "login", "async function login(e, p, cb) {\n  throw new TypeError('bad');\n}")
    assert (r.outcome, r.error["message"], r.error["traceback"][-1]["line"]) == ("error", "bad", 2)


def test_global_is_kept_per_container_and_recycle_resets_it(project):
    with RunnerClient(project, use_spare=False) as c:
        src = "function login(e, p, cb) { global.n = (global.n || 0) + 1; cb(null, {user_id: 'u', n: global.n}); }"
        assert [c.run("login", {}, source=src).result["n"] for _ in range(3)] == [1, 2, 3]
        c.recycle()
        assert c.run("login", {}, source=src).result["n"] == 1


def test_configuration_is_a_frozen_copy_and_secrets_are_masked(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.setenv("CUSTOMDB_CONFIG_API_KEY", "s3cr3t-value")
    p = make_js_project(tmp_path / "p", configuration="API_KEY = { secret = true }\n")
    src = ("'use strict';\nfunction login(e, p, cb) {\n  console.log('key', configuration.API_KEY);\n"
           "  try { configuration.API_KEY = 'x'; } catch (err) { console.log('frozen'); }\n"
           "  cb(new Error('bad key ' + configuration.API_KEY));\n}")
    with RunnerClient(p, use_spare=False) as c:
        r = c.run("login", {}, source=src)
    blob = str(r.to_dict())
    assert "s3cr3t-value" not in blob and "frozen" in blob and r.error["message"].startswith("bad key ")


def test_console_output_is_captured_in_order_and_a_flood_is_capped(client):
    r = run(client, "login", "function login(e, p, cb) {\n  console.log('one');\n  console.error('two');\n"
                             "  process.stdout.write('three\\nfour');\n  cb(null, {user_id: 'x'});\n}")
    assert [(x["stream"], x["text"]) for x in r.logs] == [("stdout", "one"), ("stderr", "two"),
                                                          ("stdout", "three"), ("stdout", "four")]
    flood = run(client, "login", "function login(e, p, cb) {\n  const s = 'x'.repeat(1000);\n"
                                 "  for (let i = 0; i < 20000; i++) console.log(s);\n  cb(null, {user_id: 'f'});\n}")
    assert flood.outcome == "ok" and sum(len(x["text"]) for x in flood.logs) < 1.2 * 1024 * 1024
    assert flood.logs[-1]["text"].startswith("[output capped")


def test_deep_recursion_is_an_error_and_the_container_lives_on(client):
    r = run(client, "login", "function login(e, p, cb) {\n  function f() { return f() + 1; }\n  f();\n}")
    assert (r.outcome, r.error["type"]) == ("error", "RangeError")
    assert len(r.error["traceback"]) <= 100
    assert run(client, "login", "function login(e, p, cb) { cb(null, {user_id: 'x'}); }").outcome == "ok"


@pytest.mark.parametrize("body", ["while (true) {}", "setTimeout(() => { while (true) {} }, 5);",
                                  "setTimeout(() => cb(null, {user_id: 'late'}), 5000);"])
def test_stuck_scripts_time_out_with_the_hosted_message_and_the_next_run_works(client, body):
    src = "function login(e, p, cb) {\n  global.mark = 1;\n  " + body + "\n}"
    r = run(client, "login", src, timeout=1.5)
    assert (r.outcome, r.error["message"]) == ("timeout", TIMEOUT_MESSAGE)
    assert "timeout" in codes(r)
    after = run(client, "login", "function login(e, p, cb) { cb(null, {user_id: 'x', mark: global.mark || 0}); }")
    assert after.result == {"user_id": "x", "mark": 0}  # a recycled container: global starts empty


def test_answered_then_stuck_keeps_the_answer_and_recycles(client):
    r = run(client, "login", "function login(e, p, cb) {\n  cb(null, {user_id: 'z'});\n  while (true) {}\n}")
    assert (r.outcome, r.result) == ("ok", {"user_id": "z"})
    assert "container was recycled" in r.logs[-1]["text"]


@pytest.mark.parametrize("body, words", [("process.exit(3);", "process.exit(3)"),
                                         ("process.abort();", "SIGABRT")])
def test_exit_and_native_crash_are_crashed_and_replaced(client, body, words):
    r = run(client, "login", "function login(e, p, cb) {\n  " + body + "\n}")
    assert r.outcome == "crashed" and words in r.error["message"]
    assert run(client, "login", "function login(e, p, cb) { cb(null, {user_id: 'x'}); }").outcome == "ok"


@pytest.mark.skipif(os.name == "nt", reason="POSIX process groups")
def test_a_child_process_left_running_ends_with_its_run(project):
    src = ("function login(e, p, cb) {\n  const c = require('child_process').spawn('sleep', ['60']);\n"
           "  cb(null, {user_id: 'x', pid: c.pid});\n}")
    with RunnerClient(project, use_spare=False) as c:
        r = c.run("login", {}, source=src)
        pid = r.result["pid"]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the script's child process outlived its run")
        assert c.run("login", {}, source="function login(e, p, cb) { cb(null, {user_id: 'y'}); }").outcome == "ok"


def test_garbage_on_the_channel_is_crashed_with_the_protocol_message(client):
    src = ("function login(e, p, cb) {\n  const fs = require('fs');\n"
           "  for (let fd = 3; fd < 64; fd++) {\n"
           "    try { if (fs.fstatSync(fd).isSocket()) { fs.writeSync(fd, Buffer.from([0, 0, 0, 5, 0x7b, 0x22, 0xff, 0xfe, 0x7d])); break; } }"
           " catch (e) {}\n  }\n}")
    r = run(client, "login", src)
    assert r.outcome == "crashed"
    assert r.error["message"].startswith("the runner child broke the channel protocol: ")
    assert run(client, "login", "function login(e, p, cb) { cb(null, {user_id: 'x'}); }").outcome == "ok"


def test_stdin_reads_end_of_file(client):
    r = run(client, "login", "function login(e, p, cb) {\n"
                             "  cb(null, {user_id: 'x', input: require('fs').readFileSync(0, 'utf8')});\n}")
    assert r.result == {"user_id": "x", "input": ""}


def test_stop_from_another_thread_ends_the_run(client):
    timer = threading.Timer(0.5, client.stop)
    timer.start()
    r = run(client, "login", "function login(e, p, cb) { while (true) {} }")
    assert (r.outcome, r.error["type"]) == ("error", "Stopped")


def test_a_node_other_than_the_tenants_major_is_noted(tmp_path):
    p = make_js_project(tmp_path / "p", {"login": "function login(e, p, cb) { cb(null, {user_id: 'x'}); }"},
                        runtime='node = "18"\n')
    with RunnerClient(p, use_spare=False) as c:
        r = c.run("login", {})
    note = next(f for f in r.findings if f.code == "node-version-differs")
    assert note.severity == "info" and "the tenant runs Node 18" in note.message
    assert r.outcome == "ok"


def test_a_missing_node_is_a_crashed_result_naming_the_fix(tmp_path):
    p = make_js_project(tmp_path / "p", {"login": "function login(e, p, cb) { cb(); }"},
                        runtime='node_executable = "no-such-node-here"\n')
    with RunnerClient(p, use_spare=False) as c:
        r = c.run("login", {})
    assert r.outcome == "crashed" and "no-such-node-here" in r.error["message"]


def test_a_secret_in_the_profile_is_flagged_and_masked(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.setenv("CUSTOMDB_CONFIG_API_KEY", "s3cr3t-value")
    p = make_js_project(tmp_path / "p", configuration="API_KEY = { secret = true }\n")
    src = "function getUser(email, cb) { cb(null, { user_id: 'u1', email, note: 'key ' + configuration.API_KEY }); }"
    with RunnerClient(p, use_spare=False) as c:
        r = c.run("get_user", {"email": "a@example.com"}, source=src)
    assert r.outcome == "ok" and r.result["note"] == "key ****"
    assert "secret-in-profile" in codes(r) and "s3cr3t-value" not in str(r.to_dict())
