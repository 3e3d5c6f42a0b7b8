"""The hosted contract decided from a host's reports (docs/protocol.md `call` and `done`): what
each kind of report means for the run, with no host involved."""

from __future__ import annotations

from app.domain.hosted import decide, host_finding

DONE = {"type": "done", "run": 1, "returned": None, "thrown": None, "pending": False, "committed": False,
        "duration_ms": 1.5, "entry_line": 2, "failure": None, "exit": False}
PROFILE = {"user_id": "legacy|1", "email": "alice@example.com"}


def call(seq=1, error=None, value=None, **extra):
    return {"type": "call", "run": 1, "seq": seq, "line": 3 + seq, "function": "login", "args": 2,
            "keywords": [], "error": error, "value": value, **extra}


def error(cls="RuntimeError", platform=None, kind="error", message="boom", **fields):
    return {"class": cls, "platform": platform, "kind": kind, "message": message, "fields": fields,
            "traceback": [{"function": "login", "file": "/p/login.py", "line": 4, "library": False}]}


def codes(decision):
    return [f.code for f in decision.findings]


def test_a_profile_from_login_is_ok_logged_s_and_keeps_the_entrys_duration():
    d = decide("login", [call(value=PROFILE)], DONE, timeout_s=20)
    assert (d.outcome, d.log_event, d.result, d.error, d.duration_ms) == ("ok", "s", PROFILE, None, 1.5)


def test_the_first_call_counts_and_the_second_is_reported_at_its_line():
    d = decide("login", [call(value=PROFILE), call(2, error=error())], DONE, timeout_s=20)
    assert d.outcome == "ok" and codes(d) == ["callback-called-twice"] and d.findings[0].line == 5
    assert "first at line 4" in d.findings[0].message


def test_a_validation_error_is_rejected_with_its_code_in_the_result_error():
    d = decide("create", [call(error=error("ValidationError", "ValidationError", code="user_exists"))], DONE,
               timeout_s=20)
    assert (d.outcome, d.log_event, d.error["code"]) == ("rejected", "fs", "user_exists")


def test_a_subclass_of_a_platform_error_counts_as_that_error():
    wrong = error("MyWrongPassword", "WrongUsernameOrPasswordError", user_id_or_email="alice@example.com")
    d = decide("login", [call(error=wrong)], DONE, timeout_s=20)
    assert (d.outcome, d.log_event, d.error["type"]) == ("rejected", "fp", "MyWrongPassword")


def test_a_string_as_the_error_is_an_error_with_a_finding():
    d = decide("login", [call(error=error("str", kind="value", message="nope"))], DONE, timeout_s=20)
    assert d.outcome == "error" and codes(d) == ["wrong-callback-arguments"]


def test_keyword_and_surplus_arguments_are_findings():
    d = decide("login", [call(value=PROFILE, args=3, keywords=["profile"])], DONE, timeout_s=20)
    assert codes(d) == ["wrong-callback-arguments", "wrong-callback-arguments"]


def test_no_call_and_nothing_thrown_is_the_platforms_timeout_pointing_at_the_entry():
    d = decide("login", [], DONE, timeout_s=7)
    assert d.outcome == "timeout" and codes(d) == ["callback-not-called"] and d.findings[0].line == 2
    assert "(7 s)" in d.findings[0].message


def test_an_exception_after_callback_keeps_the_answer_and_adds_a_log_note():
    d = decide("login", [call(value=PROFILE)], {**DONE, "thrown": error(message="late")}, timeout_s=20)
    assert d.outcome == "ok" and d.notes[0].startswith("uncaught exception after callback was called:")
    assert d.notes[0].endswith("RuntimeError: late\n")


def test_failures_decide_before_any_call():
    load = {"stage": "load", "code": "missing-entry", "error": {"type": "MissingEntry", "message": "no entry",
                                                                "traceback": []}}
    assert decide("login", [], {**DONE, "failure": load}, timeout_s=20).outcome == "invalid"
    connect = {"stage": "connect", "error": {"type": "OperationalError", "message": "refused", "traceback": []}}
    d = decide("login", [], {**DONE, "failure": connect}, timeout_s=20)
    assert d.outcome == "error" and d.error["message"] == "could not connect to the legacy database: refused"
    memory = {"stage": "memory", "error": {"type": "MemoryError", "message": "out", "traceback": []}}
    assert decide("login", [call(value=PROFILE)], {**DONE, "failure": memory}, timeout_s=20).outcome == "crashed"


def test_a_failed_commit_turns_the_answer_into_an_error_that_committed_nothing():
    commit = {"stage": "commit", "error": {"type": "IntegrityError", "message": "deferred", "traceback": []}}
    d = decide("create", [call(value=None)], {**DONE, "committed": True, "failure": commit}, timeout_s=20)
    assert (d.outcome, d.committed, d.error["type"]) == ("error", False, "IntegrityError")


def test_a_host_finding_keeps_its_code_severity_and_line():
    f = host_finding({"type": "finding", "run": 1, "code": "connection-left-open", "severity": "info",
                      "message": "left open", "line": 9}, "login")
    assert (f.code, f.severity.value, f.message, f.line) == ("connection-left-open", "info", "left open", 9)
