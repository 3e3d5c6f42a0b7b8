"""DebugSession through a real runner child: stepping, inline requests, masking, the paused time
limit, and that no child is ever left paused when the session or the container closes."""

from __future__ import annotations

import time

import pytest

from app.engine.debug_session import DebugSession, DebugSessionError, Finished, Stop, breakpoint_spec
from app.engine.runner import RunnerClient
from app.runtime.debugger import BreakpointError
from tests.runner_support import LOGIN, make_project

ALICE = {"email": "alice@example.com", "password": "wonderland-42"}

SECRET_LOGIN = '''
def login(email, password, callback):
    key = configuration["API_KEY"]
    salted = key + ":" + email
    profile = {"user_id": "legacy|1", "email": email}
    return callback(None, profile)
'''

SLOW_THEN_OK = '''
def login(email, password, callback):
    a = 1
    b = a + 1
    return callback(None, {"user_id": "legacy|1", "email": email})
'''

BOOM = '''
def check(row):
    return row["missing"]

def login(email, password, callback):
    row = {"id": 1}
    return check(row)
'''


@pytest.fixture
def client(tmp_path):
    project = make_project(tmp_path / "p", {"login": LOGIN})
    c = RunnerClient(project, use_spare=False)
    yield c
    c.close()


def _run_steps(session: DebugSession, steps: list[str]) -> tuple[list[Stop], Finished]:
    stops = []
    while True:
        outcome = session.wait_stop()
        if isinstance(outcome, Finished):
            return stops, outcome
        stops.append(outcome)
        getattr(session, steps.pop(0) if steps else "continue_")()


def test_stepping_through_login_in_the_child_ends_with_the_run_result(client):
    session = DebugSession(client)
    session.start("login", ALICE, stop_on_entry=True)
    stops, finished = _run_steps(session, ["step_over", "step_over", "step_over"])
    assert [(s.reason, s.line, s.function) for s in stops] == [
        ("step", 3, "login"), ("step", 5, "login"), ("step", 7, "login")]  # lines 3-4 are one statement
    assert stops[0].locals == {"email": "'alice@example.com'", "password": "'wonderland-42'",
                               "callback": "<callback>"}
    assert stops[1].locals["row"].startswith("(1, 'alice@example.com', '$2b$")
    assert finished.result.outcome == "ok"
    assert finished.result.result == {"user_id": "legacy|1", "email": "alice@example.com"}
    assert [s["statement"] for s in finished.result.sql][0] == "BEGIN"
    assert client.state == "idle"
    assert client.run("login", ALICE).outcome == "ok"  # the container is free again


def test_inline_requests_while_paused_and_secrets_masked(tmp_path, monkeypatch):
    secret = "s3cr3t-Value-9"
    monkeypatch.setenv("CUSTOMDB_CONFIG_API_KEY", secret)
    project = make_project(tmp_path / "sec", {"login": SECRET_LOGIN}, configuration="API_KEY = { secret = true }\n")
    with RunnerClient(project, use_spare=False) as c:
        session = DebugSession(c)
        session.start("login", ALICE, ["6"], watches=["salted.upper()"])
        stop = session.wait_stop()
        assert (stop.reason, stop.line) == ("breakpoint", 6)
        assert stop.locals["key"] == "'****'" and stop.locals["salted"] == "'****:alice@example.com'"
        assert stop.watches[0]["repr"] == "'S3CR3T-VALUE-9:ALICE@EXAMPLE.COM'"  # masking is exact-case
        names = {v["name"]: v for v in session.variables(0)}
        assert set(names) == {"email", "password", "callback", "key", "salted", "profile"}
        children = session.expand(names["profile"]["id"])
        assert [(c_["name"], c_["repr"]) for c_ in children] == [("'user_id'", "'legacy|1'"),
                                                                  ("'email'", "'alice@example.com'")]
        assert session.evaluate("configuration")["repr"] == "mappingproxy({'API_KEY': '****'})"
        assert session.evaluate("undefined_name")["error"].startswith("NameError")
        assert session.evaluate("print('from the console')")["repr"] == "None"
        with pytest.raises(DebugSessionError, match="no frame"):
            session.variables(7)
        session.continue_()
        finished = session.wait_stop()
        assert finished.result.outcome == "ok"
        assert {"stream": "stdout", "text": "from the console"} in finished.result.logs
        assert secret not in repr(stop) + repr(finished.result.to_dict())


def test_the_time_limit_counts_running_time_only(tmp_path):
    project = make_project(tmp_path / "t", {"login": SLOW_THEN_OK}, timeout_s=1)
    with RunnerClient(project, use_spare=False) as c:
        session = DebugSession(c)
        session.start("login", ALICE, [3])
        assert session.wait_stop().line == 3
        time.sleep(1.5)  # paused longer than the time limit
        session.continue_()
        assert session.wait_stop().result.outcome == "ok"


def test_a_script_that_runs_too_long_still_times_out(tmp_path):
    project = make_project(tmp_path / "t", {"login": "def login(email, password, callback):\n    while True:\n"
                                                     "        pass\n"}, timeout_s=0.5)
    with RunnerClient(project, use_spare=False) as c:
        session = DebugSession(c)
        session.start("login", ALICE)
        assert session.wait_stop().result.outcome == "timeout"


def test_uncaught_exception_stops_where_it_was_raised_then_the_run_reports_it(tmp_path):
    project = make_project(tmp_path / "b", {"login": BOOM})
    with RunnerClient(project, use_spare=False) as c:
        session = DebugSession(c)
        session.start("login", ALICE)
        stop = session.wait_stop()
        assert (stop.reason, stop.line, stop.function) == ("exception", 3, "check")
        assert stop.exception == {"type": "KeyError", "message": "'missing'"}
        assert [(f["function"], f["line"]) for f in stop.stack] == [("check", 3), ("login", 7)]
        assert session.variables(1)[0]["name"] == "email"
        session.step_over()  # nothing left to step through: the run ends
        result = session.wait_stop().result
        assert result.outcome == "error" and result.error["type"] == "KeyError"


def test_break_on_an_error_passed_to_callback(client):
    session = DebugSession(client)
    session.start("login", {"email": "alice@example.com", "password": "wrong"}, break_on_callback_error=True)
    stop = session.wait_stop()
    assert (stop.reason, stop.line, stop.function) == ("exception", 6, "login")
    session.continue_()
    assert session.wait_stop().result.outcome == "rejected"


def test_stop_while_paused_unwinds_and_keeps_the_container(client):
    client.warm()
    pid = client._child.pid
    session = DebugSession(client)
    session.start("login", ALICE, [4])  # a continuation line: stops on its statement
    assert session.wait_stop().line == 3
    session.stop()
    result = session.wait_stop().result
    assert result.outcome == "error" and result.error == {"type": "Stopped", "message": "stopped by the user",
                                                          "traceback": []}
    assert client.run("login", ALICE).outcome == "ok"
    assert client._child.pid == pid


def test_closing_a_paused_session_never_leaves_the_child_paused(client):
    session = DebugSession(client)
    session.start("login", ALICE, [4])
    session.wait_stop()
    session.close()
    assert session.state == "finished" and session.result.error["type"] == "Stopped"
    assert client.run("login", ALICE).outcome == "ok"  # the run lock was released


def test_closing_the_container_ends_a_paused_session(client):
    session = DebugSession(client)
    session.start("login", ALICE, [4])
    session.wait_stop()
    child = client._child
    client.close()  # e.g. the IDE closes the project: must not hang on the paused run
    assert session.state == "finished"
    assert child.wait_exit(5) is not None
    assert client.state == "dead"


def test_steps_are_refused_unless_paused_and_bad_breakpoints_before_starting(client):
    session = DebugSession(client)
    with pytest.raises(BreakpointError):
        session.start("login", ALICE, ["4 if ((("])
    assert session.state == "new"
    with pytest.raises(DebugSessionError):
        session.step_over()
    assert breakpoint_spec("12 if n > 1") == {"line": 12, "condition": "n > 1"}
    assert breakpoint_spec("7 hit >=3") == {"line": 7, "hit": ">=3"}
    assert client.run("login", ALICE).outcome == "ok"  # nothing was left holding the container


def test_a_session_closed_before_it_starts_never_takes_the_container(client):
    session = DebugSession(client)
    session.close()  # e.g. the window closed while the start was still queued
    with pytest.raises(DebugSessionError, match="closed"):
        session.start("login", ALICE, [5])
    assert session.state == "finished"
    assert client.run("login", ALICE).outcome == "ok"


def test_a_breakpoint_at_module_level_shows_the_script_names_without_the_injected_ones(tmp_path):
    source = "\nLIMIT = 3\nNAME = 'x'\n\ndef login(email, password, callback):\n    return callback(None)\n"
    project = make_project(tmp_path / "m", {"login": source})
    with RunnerClient(project, use_spare=False) as c:
        session = DebugSession(c)
        session.start("login", ALICE, [3])
        stop = session.wait_stop()
        assert (stop.reason, stop.line, stop.function) == ("breakpoint", 3, "<module>")
        assert stop.locals == {"LIMIT": "3"}
        session.continue_()
        assert isinstance(session.wait_stop(), Finished)


def test_an_evaluation_that_never_ends_is_bounded_by_the_time_limit(tmp_path):
    project = make_project(tmp_path / "h", {"login": SLOW_THEN_OK}, timeout_s=1)
    with RunnerClient(project, use_spare=False) as c:
        session = DebugSession(c)
        session.start("login", ALICE, [3])
        session.wait_stop()
        with pytest.raises(DebugSessionError, match="did not finish within 1 s"):
            session.evaluate("while True: pass")
        assert session.state == "finished" and session.result.outcome == "timeout"
        assert c.run("login", ALICE).outcome == "ok"  # a fresh child took over


def test_the_containers_stop_ends_a_running_debug_run(tmp_path):
    import threading

    project = make_project(tmp_path / "s", {"login": "def login(email, password, callback):\n    while True:\n"
                                                     "        pass\n"})
    with RunnerClient(project, use_spare=False) as c:
        session = DebugSession(c)
        session.start("login", ALICE, [99])
        threading.Timer(0.5, c.stop).start()
        result = session.wait_stop().result
        assert result.outcome == "error" and result.error["type"] == "Stopped"
        assert c.run("login", {"email": "a", "password": "b"}, timeout=0.5).outcome == "timeout"  # still usable


def test_time_paused_at_a_stop_is_not_in_the_runs_duration(tmp_path):
    """A run paused for 1.5 s at a breakpoint reports the script's own time (UX review B10: 35894 ms)."""
    project = make_project(tmp_path / "p", {"login": SLOW_THEN_OK})
    with RunnerClient(project, use_spare=False) as c:
        session = DebugSession(c)
        session.start("login", ALICE, [3])
        assert session.wait_stop().line == 3
        time.sleep(1.5)
        session.step_over()
        assert session.wait_stop().line == 4
        time.sleep(0.5)
        session.continue_()
        result = session.wait_stop().result
        assert result.outcome == "ok"
        assert result.duration_ms < 1000, result.duration_ms  # 2 s were spent paused
        assert c.run("login", ALICE).duration_ms < 1000  # and a plain run after it is not charged either
