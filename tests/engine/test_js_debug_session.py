"""JsDebugSession's API beyond what `customdb debug` uses: evaluate and watches in a paused Node
frame, breakpoints changed while paused, and the time limit that does not count paused time."""

from __future__ import annotations

import time

import pytest

from app.engine.debug_session import DebugSessionError, Finished, Stop
from app.engine.js_debug_session import JsDebugSession, debug_session_for
from app.engine.runner import RunnerClient
from tests.js_support import require_node
from tests.node_host_support import LOGIN_JS, make_js_project

ALICE = {"email": "alice@example.com", "password": "wonderland-42"}


@pytest.fixture
def client(tmp_path):
    require_node()
    c = RunnerClient(make_js_project(tmp_path / "p", {"login": LOGIN_JS}, timeout_s=1), use_spare=False)
    yield c
    c.close()


def test_the_client_of_a_javascript_project_gets_the_javascript_debugger(client):
    assert isinstance(debug_session_for(client), JsDebugSession)


def test_evaluate_and_watches_in_the_paused_frame(client):
    session = JsDebugSession(client)
    session.start("login", ALICE, [8], watches=["row.email.toUpperCase()"])
    stop = session.wait_stop()
    assert isinstance(stop, Stop) and stop.line == 8
    assert stop.watches[0]["repr"] == '"ALICE@EXAMPLE.COM"'
    assert session.evaluate("row.id + 41")["repr"] == "42"
    assert "nope is not defined" in session.evaluate("nope.x")["error"]
    with pytest.raises(DebugSessionError):
        session.expand(1)
    session.continue_(breakpoints=["10"])  # moved while paused: the new set applies at once
    stop = session.wait_stop()
    assert isinstance(stop, Stop) and (stop.reason, stop.line) == ("breakpoint", 10)
    assert "hash" in stop.locals
    session.continue_()
    finished = session.wait_stop()
    assert isinstance(finished, Finished) and finished.result.outcome == "ok"
    with pytest.raises(DebugSessionError):
        session.variables()


def test_time_paused_does_not_count_against_the_limit(client):
    session = JsDebugSession(client)
    session.start("login", ALICE, [7])  # the project's limit is 1 s
    assert isinstance(session.wait_stop(), Stop)
    time.sleep(1.5)  # a user reading the variables
    session.continue_()
    finished = session.wait_stop()
    assert isinstance(finished, Finished) and finished.result.outcome == "ok"
    assert finished.result.duration_ms < 1500  # the 1.5 s paused are not the run's


def test_close_while_paused_ends_the_run_and_the_container_serves_the_next_run(client):
    session = JsDebugSession(client)
    session.start("login", ALICE, [7])
    assert isinstance(session.wait_stop(), Stop)
    session.close()
    assert session.state == "finished" and session.result.error["type"] == "Stopped"
    assert client.run("login", ALICE).outcome == "ok"


def test_break_on_callback_error_stops_at_the_scripts_call(tmp_path):
    require_node()
    p = make_js_project(tmp_path / "p", {"get_user": """\
        function getUser(email, callback) {
          const reason = 'no such user: ' + email;
          return callback(new Error(reason));
        }
        """})
    with RunnerClient(p, use_spare=False) as client:
        session = JsDebugSession(client)
        session.start("get_user", {"email": "x@y.org"}, break_on_callback_error=True)
        stop = session.wait_stop()
        assert (stop.reason, stop.line, stop.function) == ("exception", 3, "getUser")
        assert stop.locals["reason"] == '"no such user: x@y.org"'
        assert stop.exception["type"] == "CallbackError" and "no such user: x@y.org" in stop.exception["message"]
        session.continue_()
        assert session.wait_stop().result.outcome == "error"


def test_run_to_cursor_stops_on_that_line(client):
    session = JsDebugSession(client)
    session.start("login", ALICE, [6])
    assert session.wait_stop().line == 6
    session.run_to_cursor(9)
    stop = session.wait_stop()
    assert isinstance(stop, Stop) and (stop.line, stop.function) == (9, "login") and "hash" in stop.locals
    session.continue_()
    assert session.wait_stop().result.outcome == "ok"
