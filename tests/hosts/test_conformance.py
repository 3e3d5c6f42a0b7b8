"""What every runner host must do, whatever its language (docs/protocol.md). Each test runs a case
of the host's script set through a real RunnerClient and asserts what a user sees in the result."""

from __future__ import annotations

import contextlib
import sys
import threading
import time

import pytest

from app.engine.runner import RunnerClient
from tests.hosts.conftest import SECRET

ALICE = {"email": "alice@example.com", "password": "wonderland-42"}


def run(host, tmp_path, case, input=None, *, timeout=None, **options):  # noqa: A002
    project, key = host.project(tmp_path / case, case, **options)
    with RunnerClient(project, use_spare=False) as client:
        return client.run(key, input if input is not None else {"email": "alice@example.com"}, timeout=timeout)


def codes(result):
    return [f.code for f in result.findings]


def test_a_login_that_answers_a_profile_is_ok_with_the_success_log_event(host, tmp_path):
    r = run(host, tmp_path, "login_ok", ALICE)
    assert r.outcome == "ok" and r.log_event == "s" and r.error is None
    assert r.result == {"user_id": "legacy|1", "email": "alice@example.com"}


def test_a_wrong_password_is_rejected_as_fp_and_an_unknown_user_as_fu(host, tmp_path):
    wrong = run(host, tmp_path, "login_ok", {"email": "alice@example.com", "password": "nope"})
    assert wrong.outcome == "rejected" and wrong.log_event == "fp"
    assert wrong.error["type"] == "WrongUsernameOrPasswordError" and wrong.result is None
    unknown = run(host, tmp_path / "u", "login_ok", {"email": "nobody@example.com", "password": "x"})
    assert unknown.outcome == "rejected" and unknown.log_event == "fu"


def test_get_user_answering_nothing_is_not_found(host, tmp_path):
    r = run(host, tmp_path, "get_user_not_found")
    assert r.outcome == "not_found" and r.result is None and r.error is None


def test_a_validation_error_from_create_is_rejected_with_its_code(host, tmp_path):
    r = run(host, tmp_path, "validation_rejected", {"user": {"email": "a@example.com", "password": "pw"}})
    assert r.outcome == "rejected" and r.log_event == "fs"
    assert r.error["type"] == "ValidationError" and r.error["code"] == "user_exists"


@pytest.mark.parametrize("case", ["error_thrown", "error_passed"])
def test_an_error_thrown_or_passed_to_callback_is_error_with_its_message(host, tmp_path, case):
    r = run(host, tmp_path, case)
    assert r.outcome == "error" and r.error["message"] == "the legacy API is down"
    assert r.error["traceback"], "the error points into the script"


def test_a_script_that_never_ends_is_timeout_at_the_limit(host, tmp_path):
    started = time.monotonic()
    r = run(host, tmp_path, "endless_loop", timeout=1)
    assert r.outcome == "timeout" and r.error["message"] == "Request to Webtask exceeded allowed execution time"
    assert "timeout" in codes(r) and time.monotonic() - started < 30


def test_a_script_that_ends_its_process_is_crashed_and_the_next_run_is_healthy(host, tmp_path):
    crash, key = host.project(tmp_path / "crash", "exit_process")
    healthy, _ = host.project(tmp_path / "healthy", "get_user_profile")
    with RunnerClient(crash, use_spare=False) as client:
        r = client.run(key, {"email": "a@example.com"})
        assert r.outcome == "crashed" and "exited with code 3" in r.error["message"]
        again = client.run("get_user", {"email": "a@example.com"}, source=healthy.read_script("get_user"))
        assert again.outcome == "ok" and again.result["user_id"] == "legacy|1"


def test_a_script_that_does_not_compile_is_invalid(host, tmp_path):
    r = run(host, tmp_path, "syntax_error")
    assert r.outcome == "invalid" and "syntax-error" in codes(r)


def test_callback_twice_the_first_call_counts_and_the_second_is_a_finding(host, tmp_path):
    r = run(host, tmp_path, "callback_twice")
    assert r.outcome == "ok" and r.result["user_id"] == "first"
    twice = next(f for f in r.findings if f.code == "callback-called-twice")
    assert "called 2 times" in twice.message and twice.line is not None


def test_callback_never_called_is_the_platforms_timeout_with_a_finding(host, tmp_path):
    r = run(host, tmp_path, "callback_never")
    assert r.outcome == "timeout" and r.error["type"] == "CallbackNotCalled"
    assert "callback-not-called" in codes(r)


def test_output_arrives_as_log_lines_of_the_right_stream(host, tmp_path):
    r = run(host, tmp_path, "output")
    assert {"stream": "stdout", "text": "to stdout"} in r.logs
    assert {"stream": "stderr", "text": "to stderr"} in r.logs


def test_sql_statements_arrive_as_sql_events_with_their_parameters_and_rows(host, tmp_path):
    events = []
    project, key = host.project(tmp_path / "sql", "sql")
    with RunnerClient(project, use_spare=False) as client:
        r = client.run(key, {"email": "alice@example.com"}, on_event=events.append)
    assert r.outcome == "ok"
    select = next(s for s in r.sql if "FROM users" in s["statement"])
    assert "alice@example.com" in str(select["params"]) and select["rows"] == 1
    assert any(e["type"] == "sql" and "FROM users" in e["statement"] for e in events)


def test_secret_values_are_masked_in_logs_and_result_and_the_profile_is_flagged(host, tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTOMDB_CONFIG_API_KEY", SECRET)
    r = run(host, tmp_path, "secret_everywhere", configuration='API_KEY = { secret = true }\n')
    assert r.outcome == "ok"
    assert SECRET not in str(r.to_dict())
    assert {"stream": "stdout", "text": "using ****"} in r.logs and r.result["note"] == "key ****"
    assert "secret-in-profile" in codes(r)


def test_stop_ends_a_running_script_at_once(host, tmp_path):
    project, key = host.project(tmp_path / "stop", "endless_loop")
    with RunnerClient(project, use_spare=False) as client:
        client.warm()
        threading.Timer(0.5, client.stop).start()
        started = time.monotonic()
        r = client.run(key, {"email": "a@example.com"}, timeout=60)
    assert r.outcome == "error" and r.error["type"] == "Stopped" and time.monotonic() - started < 20


def test_the_container_keeps_global_between_runs_until_recycled(host, tmp_path):
    project, key = host.project(tmp_path / "g", "keeps_global")
    with RunnerClient(project, use_spare=False) as client:
        assert [client.run(key, {"email": "a@example.com"}).result["runs"] for _ in range(2)] == [1, 2]
        client.recycle()
        assert client.run(key, {"email": "a@example.com"}).result["runs"] == 1


needs_fds = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the attack finds its socket in /proc")


@needs_fds
def test_garbage_written_onto_the_channel_is_crashed_with_a_clear_message(host, tmp_path):
    if "proc-fds" not in host.features:
        pytest.skip(f"the {host.name} host cannot reach its channel's descriptor")
    r = run(host, tmp_path, "channel_garbage")
    assert r.outcome == "crashed"
    assert r.error["message"].startswith("the runner child broke the channel protocol: ")


@needs_fds
def test_a_frame_that_never_completes_is_timeout_at_the_limit(host, tmp_path):
    if "proc-fds" not in host.features:
        pytest.skip(f"the {host.name} host cannot reach its channel's descriptor")
    started = time.monotonic()
    r = run(host, tmp_path, "channel_partial_frame", timeout=2)
    assert r.outcome == "timeout" and 2 <= time.monotonic() - started < 30


# -- issue 19 (reliab): what a script must not be able to do, whatever the host ---------------------

def test_sql_transaction_control_cannot_commit_a_dry_run(host, tmp_path):
    import hashlib

    project, key = host.project(tmp_path / "sqlcommit", "dry_run_sql_commit")
    before = hashlib.sha256((project.root / "legacy.db").read_bytes()).hexdigest()
    with RunnerClient(project, use_spare=False) as client:
        r = client.run(key, {"email": "alice@example.com"})
    assert r.outcome == "error" and r.committed is False, (r.outcome, r.error)
    assert hashlib.sha256((project.root / "legacy.db").read_bytes()).hexdigest() == before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds processes through /proc")
def test_processes_a_script_starts_end_with_its_run(host, tmp_path):
    import os
    import secrets

    mark = f"customdb-conformance-{secrets.token_hex(6)}"

    def marked() -> list[int]:
        found = []
        for name in os.listdir("/proc"):
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    if mark.encode() in f.read():
                        with open(f"/proc/{name}/stat", "rb") as s:
                            if s.read().rsplit(b")", 1)[1].split()[0] != b"Z":
                                found.append(int(name))
            except (OSError, ValueError):
                continue
        return found

    project, key = host.project(tmp_path / "spawn", "spawns_processes", configuration=f'MARK = "{mark}"\n')
    try:
        with RunnerClient(project, use_spare=False) as client:
            r = client.run(key, {"email": "alice@example.com"})
            assert r.outcome == "not_found", r.error
            deadline = time.monotonic() + 15
            while marked() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert marked() == []  # gone while the container lives on
    finally:
        for pid in marked():
            with contextlib.suppress(OSError):
                os.kill(pid, 9)


def test_an_exception_whose_text_fails_is_an_error(host, tmp_path):
    r = run(host, tmp_path, "error_str_raises")
    assert r.outcome == "error", (r.outcome, r.error)


def test_escaped_and_cut_renderings_of_a_secret_are_masked(host, tmp_path, monkeypatch):
    import json

    weird = "pa\\ss'w\"rd-é-42"
    monkeypatch.setenv("CUSTOMDB_CONFIG_WEIRD", weird)
    r = run(host, tmp_path, "secret_rendered", configuration="WEIRD = { secret = true }\n")
    assert r.outcome == "not_found", r.error
    logs = json.dumps(r.logs, ensure_ascii=False)
    assert "rd-é-42" not in logs and "-42" not in logs and "****" in logs
