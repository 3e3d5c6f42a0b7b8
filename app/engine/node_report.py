"""What a Node run's events mean: the hosted contract decided on the parent side.

The Node host only reports (`call` per callback invocation, `done`, `finding`); this module turns
those into the run's outcome, error, findings and log event with the same domain rules the Python
runner uses (app.domain.outcome.classify, app.domain.profile.check_profile): the first call
counts, a second is `callback-called-twice`, no call is `callback-not-called`.
"""

from __future__ import annotations

import os
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
from app.domain.traces.v8 import parse_frame
from app.runtime.protocol import TIMEOUT_MESSAGE

JS_RUNTIME_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "runtime", "js")
_KINDS = {"WrongUsernameOrPasswordError": WRONG_CREDENTIALS, "ValidationError": VALIDATION,
          "UnauthorizedError": UNAUTHORIZED}
_MAX_FRAMES = 100


@dataclass
class NodeVerdict:
    outcome: str
    result: Any = None
    error: dict[str, Any] | None = None
    log_event: str | None = None
    findings: list[Finding] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)  # lines the run's output should carry too


def entry_names(k: ScriptKind) -> list[str]:
    """What the loader looks for, in order: the recommended JS name, then the names seen in the wild."""
    names = [k.js_name, *k.aliases, k.python_name]
    return [n for i, n in enumerate(names) if n.isidentifier() and n not in names[:i]]


def js_frames(stack: str | None, script_file: str) -> list[dict[str, Any]]:
    """The frames of a V8 stack, outermost first, without the host's own; anonymous ones marked."""
    if not stack:
        return []
    out = []
    for line in stack.splitlines():
        frame = parse_frame(line.strip())
        if frame is None or (frame.file or "").startswith(JS_RUNTIME_DIR + os.sep):
            continue
        name = frame.function or "<anonymous>"
        out.append({"function": name, "file": frame.file, "line": frame.line, "column": frame.column,
                    "library": frame.library or frame.file != script_file,
                    "anonymous": frame.anonymous or frame.function is None})
    out.reverse()
    first_user = next((i for i, f in enumerate(out) if f["file"] == script_file), None)
    if first_user:  # what called the entry (the host's socket and timers) is machinery, not the script's
        out = out[first_user:]
    return out[-_MAX_FRAMES:]


def js_error(described: dict[str, Any] | None, script_file: str, line: int | None = None) -> dict[str, Any] | None:
    """The run result's `error` object from the host's description of a thrown or passed error."""
    if not described:
        return None
    name = str(described.get("class") or described.get("name") or "Error")
    error: dict[str, Any] = {"type": name, "message": str(described.get("message") or ""),
                             "traceback": js_frames(described.get("stack"), script_file)}
    fields = described.get("fields") or {}
    if name == "ValidationError" and fields.get("code") is not None:
        error["code"] = str(fields["code"])
    elif name == "UnauthorizedError":
        error["code"] = "unauthorized"
    if not error["traceback"] and line is not None:
        error["traceback"] = [{"function": "callback", "file": script_file, "line": line, "library": False}]
    if described.get("origin"):
        error["origin"] = described["origin"]
    return error


def _answer(call: dict[str, Any], key: str) -> Answer:
    err = call.get("error")
    if err is None:
        return Answer(result=call.get("value"))
    if not err.get("is_error"):
        return Answer(error_kind=NOT_AN_ERROR, error_type=str(err.get("name")), error_message=str(err.get("message")))
    name = str(err.get("class") or err.get("name") or "Error")
    kind_ = _KINDS.get(name, EXCEPTION)
    fields = err.get("fields") or {}
    return Answer(error_kind=kind_, error_type=name, error_message=str(err.get("message") or ""),
                  error_code=str(fields["code"]) if fields.get("code") is not None else None,
                  error_has_user=bool(fields.get("user_id")))


def decide(k: ScriptKind, calls: list[dict[str, Any]], done: dict[str, Any], script_file: str, *,
           timeout_s: float, secret_values: Iterable[str] = (), passwords: Iterable[str] = (),
           requires_username: bool = False) -> NodeVerdict:
    """The verdict of one run from its `call` events (in order) and its `done`."""
    key = k.key
    invalid = done.get("invalid")
    if invalid:
        code = "syntax-error" if invalid.get("kind") == "syntax-error" else "missing-entry"
        message = str(invalid.get("message") or "")
        line = invalid.get("line")
        return NodeVerdict("invalid", error={"type": "SyntaxError" if code == "syntax-error" else "MissingEntry",
                                             "message": message,
                                             "traceback": [{"function": "<module>", "file": script_file,
                                                            "line": line, "library": False}] if line else []},
                           findings=[finding(code, message, key, line)])
    if "exited" in done:
        code = done.get("exited")
        return NodeVerdict("crashed", error={
            "type": "ProcessExit", "traceback": [],
            "message": f"the script called process.exit({code}); on the hosted platform this ends the container, "
                       "so this one was recycled too (global starts empty on the next run)"})
    findings: list[Finding] = []  # an anonymous entry is lint's to report (it comes with every run)
    if calls:
        first = calls[0]
        if int(first.get("argc") or 0) > 2:
            findings.append(finding("wrong-callback-arguments", f"callback takes at most 2 arguments (error, "
                                    f"result); it got {first.get('argc')}", key, first.get("line")))
        if len(calls) > 1:
            extra = len(calls) - 1
            where = f" (first at line {first.get('line')})" if first.get("line") else ""
            findings.append(finding(
                "callback-called-twice",
                f"callback was called {len(calls)} times; the first call counts{where} and the hosted platform's "
                f"behaviour after {'another call' if extra == 1 else f'{extra} more calls'} is unpredictable — "
                "return right after calling callback", key, calls[1].get("line")))
        answer = _answer(first, key)
        verdict = classify(key, answer)
        findings.extend(verdict.findings)
        if answer.error_kind is None and isinstance(answer.result, dict) and key in ("login", "get_user"):
            findings.extend(check_profile(answer.result, key, secret_values=secret_values,
                                          input_passwords=passwords, requires_username=requires_username))
        error = None
        if answer.error_kind is not None:
            error = js_error(first.get("error"), script_file, first.get("line"))
        out = NodeVerdict(verdict.outcome, answer.result if answer.error_kind is None else None, error,
                          verdict.log_event, findings)
        late = done.get("threw")
        if late:
            out.stderr.append(f"the entry threw after callback was called: {late.get('stack') or late.get('message')}")
        return out
    thrown = done.get("threw") or done.get("uncaught")
    if thrown:
        return NodeVerdict("error", error=js_error(thrown, script_file), findings=findings)
    message = ("the entry returned without calling callback and nothing it started is still running; the hosted "
               f"platform would wait for its time limit ({timeout_s:g} s) and then fail with '{TIMEOUT_MESSAGE}'")
    findings.append(finding("callback-not-called", message, key, None))
    return NodeVerdict("timeout", error={"type": "CallbackNotCalled", "message": message, "traceback": []},
                       findings=findings)


def host_finding(event: dict[str, Any], key: str) -> Finding:
    """A `finding` event of the host (module-not-available, connection-left-open, ...) as a Finding."""
    try:
        severity = Severity(str(event.get("severity") or "warning"))
    except ValueError:
        severity = Severity.WARNING
    line = event.get("line")
    return Finding(str(event.get("code") or "host"), severity, str(event.get("message") or ""), key,
                   line if isinstance(line, int) else None)
