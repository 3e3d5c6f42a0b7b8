"""What a Node run's events mean: the hosted contract decided on the parent side.

The Node host only reports (`call` per callback invocation, `done`, `finding`); this module turns
those into the run's outcome, error, findings and log event with the same domain rules the Python
runner uses (app.domain.outcome.classify, app.domain.profile.check_profile): the first call
counts, a second is `callback-called-twice`, no call is `callback-not-called`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.domain.findings import Finding, Severity, finding
from app.domain.outcome import (
    EXCEPTION,
    NOT_AN_ERROR,
    UNAUTHORIZED,
    VALIDATION,
    WRONG_CREDENTIALS,
    Answer,
    classify,
)
from app.domain.profile import check_profile
from app.domain.scripts import ScriptKind
from app.runtime.protocol import TIMEOUT_MESSAGE

_KINDS = {"WrongUsernameOrPasswordError": WRONG_CREDENTIALS, "ValidationError": VALIDATION,
          "UnauthorizedError": UNAUTHORIZED}


@dataclass
class NodeVerdict:
    outcome: str
    result: Any = None
    error: dict[str, Any] | None = None
    log_event: str | None = None
    findings: list[Finding] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)  # lines the run's output should carry too


def _result_error(err: dict[str, Any] | None, line: int | None = None, script_file: str = "") -> dict[str, Any] | None:
    """A protocol error object (docs/protocol.md) as the run result's `error`."""
    if not err:
        return None
    if "type" in err and "class" not in err:  # already in the result's shape (a `failure`)
        return {"type": str(err["type"]), "message": str(err.get("message", "")),
                "traceback": list(err.get("traceback") or ())}
    error: dict[str, Any] = {"type": str(err.get("class") or "Error"), "message": str(err.get("message", "")),
                             "traceback": list(err.get("traceback") or ())}
    fields = err.get("fields") or {}
    if err.get("kind") != "value":
        if err.get("platform") == "ValidationError":
            error["code"] = str(fields.get("code"))
        elif err.get("platform") == "UnauthorizedError":
            error["code"] = "unauthorized"
    if err.get("origin"):
        error["origin"] = err["origin"]
    if not error["traceback"] and line is not None:
        error["traceback"] = [{"function": "callback", "file": script_file, "line": line, "library": False}]
    return error


def _answer(call: dict[str, Any]) -> Answer:
    err = call.get("error")
    if not err:
        return Answer(result=call.get("value"))
    name = str(err.get("class") or "Error")
    if err.get("kind") == "value":
        return Answer(error_kind=NOT_AN_ERROR, error_type=name, error_message=str(err.get("message")))
    fields = err.get("fields") or {}
    return Answer(error_kind=_KINDS.get(str(err.get("platform")), EXCEPTION), error_type=name,
                  error_message=str(err.get("message") or ""),
                  error_code=str(fields["code"]) if fields.get("code") is not None else None,
                  error_has_user=bool(fields.get("user_id_or_email")))


def _twice(key: str, calls: list[dict[str, Any]]) -> Finding:
    extra = len(calls) - 1
    line = calls[0].get("line")
    where = f" (first at line {line})" if line else ""
    return finding("callback-called-twice",
                   f"callback was called {len(calls)} times; the first call counts{where} and the hosted platform's "
                   f"behaviour after {'another call' if extra == 1 else f'{extra} more calls'} is unpredictable — "
                   "return right after calling callback", key, calls[1].get("line"))


def decide(k: ScriptKind, calls: list[dict[str, Any]], done: dict[str, Any], script_file: str, *,
           timeout_s: float, secret_values: Iterable[str] = (), passwords: Iterable[str] = (),
           requires_username: bool = False) -> NodeVerdict:
    """The verdict of one run from its `call` events (in order) and its `done` (docs/protocol.md)."""
    key = k.key
    failure = done.get("failure") or None
    if failure:
        stage = failure.get("stage")
        error = _result_error(failure.get("error") or {"type": "Error", "message": ""})
        if stage == "load":
            code = failure.get("code") if failure.get("code") in ("syntax-error", "missing-entry") else "syntax-error"
            return NodeVerdict("invalid", error=error,
                               findings=[finding(code, error["message"], key, failure.get("line"))])
        return NodeVerdict("crashed" if stage in ("exit", "memory") else "error", error=error)
    findings: list[Finding] = []
    thrown = done.get("thrown") or None
    if not calls:
        if thrown:
            return NodeVerdict("error", error=_result_error(thrown), findings=findings)
        message = ("the entry returned without calling callback and nothing it started is still running; the hosted "
                   f"platform would wait for its time limit ({timeout_s:g} s) and then fail with '{TIMEOUT_MESSAGE}'")
        findings.append(finding("callback-not-called", message, key, done.get("entry_line")))
        return NodeVerdict("timeout", error={"type": "CallbackNotCalled", "message": message, "traceback": []},
                           findings=findings)
    first = calls[0]
    line = first.get("line")
    err = first.get("error") or {}
    if int(first.get("args") or 0) > 2:
        findings.append(finding("wrong-callback-arguments", "callback takes at most 2 arguments (error, result); "
                                f"it got {first.get('args')}", key, line))
    if err.get("kind") == "class":
        findings.append(finding("wrong-callback-arguments", f"callback got the class {err.get('class')}, not an "
                                f"instance: write callback(new {err.get('class')}(...))", key, line))
    if len(calls) > 1:
        findings.append(_twice(key, calls))
    answer = _answer(first)
    verdict = classify(key, answer)
    findings.extend(verdict.findings)
    if answer.error_kind is None and isinstance(answer.result, dict) and key in ("login", "get_user"):
        findings.extend(check_profile(answer.result, key, secret_values=secret_values,
                                      input_passwords=passwords, requires_username=requires_username))
    error = _result_error(first.get("error"), line, script_file) if answer.error_kind is not None else None
    out = NodeVerdict(verdict.outcome, answer.result if answer.error_kind is None else None, error,
                      verdict.log_event, findings)
    if thrown:
        frames = "".join(f"\n    at {f.get('function')} ({f.get('file')}:{f.get('line')})"
                         for f in reversed(thrown.get("traceback") or ()))
        out.stderr.append(f"the entry threw after callback was called: {thrown.get('class')}: "
                          f"{thrown.get('message')}{frames}")
    return out


def host_finding(event: dict[str, Any], key: str) -> Finding:
    """A `finding` event of the host (module-not-available, connection-left-open, ...) as a Finding."""
    try:
        severity = Severity(str(event.get("severity") or "warning"))
    except ValueError:
        severity = Severity.WARNING
    line = event.get("line")
    return Finding(str(event.get("code") or "host"), severity, str(event.get("message") or ""), key,
                   line if isinstance(line, int) else None)
