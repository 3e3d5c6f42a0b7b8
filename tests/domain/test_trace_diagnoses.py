"""Hosted messages that are not stack traces: each one explained, with what to do."""

from __future__ import annotations

import json

import pytest

from app.domain.traces import analyze, diagnose, to_json
from app.domain.traces.origin import frame_origin


def codes(text: str) -> list[str]:
    return [d.code for d in diagnose(text)]


def test_execution_time_limit_says_what_causes_it():
    (d,) = diagnose("12:00 Error: Request to Webtask exceeded allowed execution time\n")
    assert d.code == "execution-time-limit" and d.line == 1
    assert "never calls" in d.message and "slow" in d.message


@pytest.mark.parametrize("host, code", [
    ("127.0.0.1", "unreachable-private-address"), ("localhost", "unreachable-private-address"),
    ("10.1.2.3", "unreachable-private-address"), ("192.168.0.9", "unreachable-private-address"),
    ("172.20.0.5", "unreachable-private-address"), ("::1", "unreachable-private-address"),
    ("db.example.com", "connection-refused"), ("8.8.8.8", "connection-refused"),
])
def test_connection_refused_tells_private_addresses_apart(host, code):
    (d,) = diagnose(f"Error: connect ECONNREFUSED {host}:5432\n")
    assert d.code == code and d.extra["address"] == f"{host}:5432"
    if code == "unreachable-private-address":
        assert "cannot reach your machine" in d.message


def test_socket_and_connect_timeouts():
    assert codes("RequestError: Error: ESOCKETTIMEDOUT\n") == ["socket-timeout"]
    assert codes("Error: connect ETIMEDOUT 93.184.216.34:3306\n") == ["connect-timeout"]


def test_a_module_the_runtime_lacks_names_module_and_version():
    (d,) = diagnose("Error: Cannot find module 'pg@4.3.0'\n")
    assert d.code == "module-not-available" and d.extra == {"module": "pg", "version": "4.3.0"}
    (d,) = diagnose("Error: Cannot find module '@scope/pkg'\n")
    assert d.extra == {"module": "@scope/pkg", "version": None}


def test_compilation_failed_and_unhandled_exceptions():
    (d,) = diagnose("Compilation failed: Unexpected token '}'\n")
    assert d.code == "compilation-failed" and "Unexpected token '}'" in d.message
    assert codes("Script generated an unhandled asynchronous exception.\n") == ["unhandled-exception"]
    assert codes("Script generated an unhandled synchronous exception.\n") == ["unhandled-exception"]


def test_sandbox_error_body():
    body = {"code": 500, "error": "Script generated an unhandled asynchronous exception.",
            "details": "TypeError: Cannot read properties of undefined (reading 'rows')",
            "name": "TypeError", "message": "Cannot read properties of undefined (reading 'rows')",
            "fromSandbox": True}
    (d,) = diagnose("response: " + json.dumps(body) + "\n")
    assert d.code == "sandbox-error" and d.extra["error"]["name"] == "TypeError"
    assert "no callback received" in d.message


@pytest.mark.parametrize("event, script", [
    ("s", "login"), ("fp", "login"), ("fu", "login"), ("f", "login"), ("ss", "create"), ("fs", "create"),
    ("scp", "change_password"), ("fcp", "change_password"), ("fce", "change_email"), ("fv", "verify"),
    ("fdu", "delete"), ("fcpr", "get_user"),
])
def test_tenant_log_events_say_what_the_script_answered(event, script):
    line = json.dumps({"date": "2026-11-24T10:02:12.877Z", "type": event, "connection": "legacy-users",
                       "user_name": "alice@example.com", "user_id": "auth0|legacy|1", "log_id": "9"})
    (d,) = diagnose(line)
    assert (d.code, d.event, d.script, d.connection) == ("log-event", event, script, "legacy-users")
    assert "called back" in d.message or "failed" in d.message or "answered" in d.message
    expected = {"delete": {"user_id": "legacy|1"}, "create": {"user": {"email": "alice@example.com"}}}
    assert d.input == expected.get(script, {"email": "alice@example.com"})


def test_a_log_export_array_and_log_stream_wrappers():
    events = [{"type": "fp", "date": "d", "user_name": "a@b.c"},
              {"log_id": "1", "data": {"type": "s", "date": "d", "user_name": "b@b.c"}},
              {"type": "not-a-code", "date": "d"}]
    found = diagnose(json.dumps(events, indent=2))
    assert [(d.event, d.input) for d in found] == [("fp", {"email": "a@b.c"}), ("s", {"email": "b@b.c"})]


def test_a_log_event_carrying_the_time_limit_gets_both_explanations():
    line = json.dumps({"type": "f", "date": "d", "user_name": "dave@example.org", "connection": "c",
                       "details": {"error": {"message": "Request to Webtask exceeded allowed execution time"}}})
    (d,) = diagnose(line)
    assert d.event == "f" and "time limit" in d.message and d.input == {"email": "dave@example.org"}


def test_ordinary_text_and_json_give_nothing():
    assert diagnose("all good\n" * 100) == []
    assert diagnose('{"type": "fp"}') == []  # a "type" alone is not a log event
    assert diagnose('{"level": "info", "type": "request"}\n') == []
    assert diagnose("[" * 50_000) == []


def test_hosted_frames_carry_their_origin():
    assert frame_origin("/data/io/node18/2b7e1f60-aa/webtask.js", False) == "script"
    assert frame_origin("/data/io/2b7e1f60-aa/webtask.js", False) == "script"
    assert frame_origin("/data/sandbox/lib/sandbox.js", False) == "platform"
    assert frame_origin("/data/io/4f9a0b.js", False) == "platform"
    assert frame_origin("/data/_verquire/pg/8.7.1/node_modules/pg/lib/client.js", True) == "platform"
    assert frame_origin("node:internal/process/task_queues", True) == "library"
    assert frame_origin("/srv/app/node_modules/pg/lib/client.js", True) == "library"
    assert frame_origin("/home/me/proj/scripts/login.js", False) == "script"


def test_webtask_frames_map_by_the_entry_name():
    text = ("Error: boom\n"
            "    at Query.<anonymous> (/data/io/node18/0a9b3c4d-11/webtask.js:9:7)\n"
            "    at login (/data/io/node18/0a9b3c4d-11/webtask.js:4:3)\n"
            "    at Object.run (/data/sandbox/lib/runner.js:20:5)\n")
    (t,) = analyze(text)
    assert [(f.origin, f.script) for f in t.frames] == [("platform", None), ("script", "login"), ("script", "login")]
    doc = to_json([t], diagnose(text))
    assert doc["diagnoses"] == [] and doc["traces"][0]["frames"][0]["origin"] == "platform"
