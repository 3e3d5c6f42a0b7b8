"""The hosted contract, decided on the parent side: what a host reported about one run (its `call`
events and its `done`, docs/protocol.md) becomes the run's outcome, result, error, findings and
hosted log event.

Every host only reports; the rules live here once: the first callback call counts, a second one
is `callback-called-twice`, the callback's arguments are checked, a Login / Get User profile is
checked, no call at all is the platform's timeout. Pure: no I/O, no host language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.domain.findings import CODES, Finding, Severity, finding
from app.domain.outcome import (
    EXCEPTION,
    NOT_AN_ERROR,
    UNAUTHORIZED,
    VALIDATION,
    WRONG_CREDENTIALS,
    Answer,
    classify,
)
from app.domain.platforms.auth0 import AUTH0
from app.domain.profile import check_profile

TIMEOUT_MESSAGE = AUTH0.limits.timeout_message
PLATFORM_ERRORS = {"WrongUsernameOrPasswordError": WRONG_CREDENTIALS, "ValidationError": VALIDATION,
                   "UnauthorizedError": UNAUTHORIZED}
_PROFILE_SCRIPTS = ("login", "get_user")
_RESULT_ERROR_KEYS = ("class", "platform", "kind", "message", "fields", "traceback")


@dataclass
class Decision:
    """What the run means, as `RunResult` fields; `notes` are stderr lines to add to its logs."""

    outcome: str
    result: Any = None
    error: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)
    log_event: str | None = None
    committed: bool = False
    duration_ms: float | None = None
    notes: list[str] = field(default_factory=list)


def decide(key: str, calls: Sequence[Mapping[str, Any]], done: Mapping[str, Any], *, timeout_s: float,
           secret_values: Iterable[str] = (), passwords: Iterable[str] = (),
           requires_username: bool = False) -> Decision:
    """The run's meaning from its reports. `calls` are the run's `call` events in the order sent."""
    failure = done.get("failure") or None
    stage = failure.get("stage") if isinstance(failure, Mapping) else None
    duration = done.get("duration_ms")
    if stage is not None and stage != "commit":
        return _failed(key, stage, failure, duration)
    decision = Decision("error", duration_ms=duration, committed=bool(done.get("committed")))
    thrown = done.get("thrown") or None
    if calls:
        _answered(decision, key, calls, secret_values, passwords, requires_username)
        if thrown:
            decision.notes.append("uncaught exception after callback was called:\n" + format_traceback(thrown))
    elif thrown:
        decision.error = result_error(thrown)
    else:
        message = ("the entry returned without calling callback and nothing it started is still running; "
                   f"the hosted platform would wait for its time limit ({timeout_s or 20:g} s) and then fail "
                   f"with '{TIMEOUT_MESSAGE}'")
        decision.findings.append(finding("callback-not-called", message, key, done.get("entry_line")))
        decision.outcome = "timeout"
        decision.error = {"type": "CallbackNotCalled", "message": message, "traceback": []}
    if stage == "commit":  # e.g. a deferred constraint failing at COMMIT: the user asked for these writes
        decision.outcome, decision.committed = "error", False
        decision.error = result_error(failure.get("error") or {})
    return decision


def _failed(key: str, stage: str, failure: Mapping[str, Any], duration: float | None) -> Decision:
    error = result_error(failure.get("error") or {})
    if stage == "load":
        code = failure.get("code") if failure.get("code") in ("syntax-error", "missing-entry") else "syntax-error"
        return Decision("invalid", error=error, findings=[finding(code, error["message"], key, failure.get("line"))])
    if stage == "connect":
        error["message"] = f"could not connect to the legacy database: {error['message']}"
        return Decision("error", error=error)
    if stage in ("exit", "memory"):
        return Decision("crashed", error=error)
    return Decision("error", error=error, duration_ms=duration)


def _answered(decision: Decision, key: str, calls: Sequence[Mapping[str, Any]], secret_values: Iterable[str],
              passwords: Iterable[str], requires_username: bool) -> None:
    """The first call decides; the rest are counted."""
    first = calls[0]
    answer, error, findings = _answer(key, first, secret_values, passwords, requires_username)
    if len(calls) > 1:
        findings.append(_twice(key, calls))
    verdict = classify(key, answer)
    findings.extend(verdict.findings)
    decision.findings.extend(findings)
    decision.outcome, decision.log_event, decision.error = verdict.outcome, verdict.log_event, error
    decision.result = answer.result if answer.error_kind is None else None


def _answer(key: str, call: Mapping[str, Any], secret_values: Iterable[str], passwords: Iterable[str],
            requires_username: bool) -> tuple[Answer, dict[str, Any] | None, list[Finding]]:
    line = call.get("line")
    findings: list[Finding] = []

    def wrong(message: str) -> None:
        findings.append(finding("wrong-callback-arguments", message, key, line))

    keywords = [str(k) for k in call.get("keywords") or ()]
    if keywords:
        wrong(f"callback takes positional arguments only (error, result); it got {', '.join(sorted(keywords))}=...")
    count = call.get("args") or 0
    if isinstance(count, int) and count > 2:
        wrong(f"callback takes at most 2 arguments (error, result); it got {count}")
    err = call.get("error")
    if not isinstance(err, Mapping):
        value = call.get("value")
        if isinstance(value, dict) and key in _PROFILE_SCRIPTS:
            findings.extend(check_profile(value, key, secret_values=secret_values, input_passwords=passwords,
                                          requires_username=requires_username))
        return Answer(result=value), None, findings
    kind = err.get("kind")
    name = str(err.get("class") or "Error")
    if kind == "class":
        wrong(f"callback got the class {name}, not an instance: write callback({name}(...))")
    error = result_error(err)
    if kind == "value":
        return Answer(error_kind=NOT_AN_ERROR, error_type=name, error_message=error["message"]), error, findings
    fields = err.get("fields") if isinstance(err.get("fields"), Mapping) else {}
    return Answer(error_kind=PLATFORM_ERRORS.get(str(err.get("platform")), EXCEPTION), error_type=name,
                  error_message=error["message"], error_code=error.get("code"),
                  error_has_user=bool(fields.get("user_id_or_email"))), error, findings


def host_finding(event: Mapping[str, Any], key: str) -> Finding:
    """A `finding` event (what only the host can see) as a finding of the run."""
    line = event.get("line") if isinstance(event.get("line"), int) else None
    code, message = str(event.get("code") or "host-finding"), str(event.get("message") or "")
    try:
        severity: Severity | None = Severity(str(event.get("severity")))
    except ValueError:
        severity = None  # the code's own default
    if code in CODES:
        return finding(code, message, key, line, severity)
    return Finding(code, severity or Severity.WARNING, message, key, line)


def result_error(err: Mapping[str, Any]) -> dict[str, Any]:
    """A reported error object as the run result's `error`: {type, message, traceback, code?, ...}
    (the host's extra fields, e.g. the Python post-mortem's `chain`, are kept)."""
    if "type" in err and "class" not in err:  # already in the result's shape (a host failure)
        return {"type": str(err["type"]), "message": str(err.get("message", "")),
                "traceback": list(err.get("traceback") or ()), **{k: v for k, v in err.items()
                                                                  if k not in ("type", "message", "traceback")}}
    error: dict[str, Any] = {"type": str(err.get("class") or "Error"), "message": str(err.get("message", "")),
                             "traceback": list(err.get("traceback") or ())}
    platform = err.get("platform")
    fields = err.get("fields") if isinstance(err.get("fields"), Mapping) else {}
    if err.get("kind") != "value":
        if platform == "ValidationError":
            error["code"] = str(fields.get("code"))
        elif platform == "UnauthorizedError":
            error["code"] = "unauthorized"
    error.update({k: v for k, v in err.items() if k not in _RESULT_ERROR_KEYS})
    return error


def format_traceback(err: Mapping[str, Any]) -> str:
    """A reported error as a Python-style traceback text (for the log)."""
    lines = [f"  File \"{f.get('file')}\", line {f.get('line')}, in {f.get('function')}\n"
             for f in err.get("traceback") or () if isinstance(f, Mapping)]
    return "".join(["Traceback (most recent call last):\n", *lines, f"{err.get('class')}: {err.get('message')}\n"])


def _twice(key: str, calls: Sequence[Mapping[str, Any]]) -> Finding:
    count = len(calls)
    extra = count - 1
    first_line = calls[0].get("line")
    where = f" (first at line {first_line})" if first_line else ""
    return finding("callback-called-twice",
                   f"callback was called {count} times; the first call counts{where} and the hosted "
                   f"platform's behaviour after {'another call' if extra == 1 else f'{extra} more calls'} "
                   "is unpredictable — return right after calling callback",
                   key, calls[1].get("line"))
