"""What a script's answer means: the callback's arguments mapped to the run's outcome and to the
log event the hosted platform would write (`s`, `fp`, `fu`, `ss`, `fs`).

Pure: the child describes the answer as plain data (`Answer`) and this module decides.
Outcomes: ok | not_found | rejected | error | timeout | crashed | invalid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.domain.findings import Finding, finding
from app.domain.platforms.auth0 import AUTH0

OUTCOMES = ("ok", "not_found", "rejected", "error", "timeout", "crashed", "invalid")
# What the hosted platform's log calls each event (its log viewer shows these names).
LOG_EVENTS = AUTH0.log_events
EXIT_OK_OUTCOMES = frozenset({"ok", "not_found", "rejected"})

# How the child classifies the error a script hands to callback.
WRONG_CREDENTIALS = "wrong_credentials"  # WrongUsernameOrPasswordError
VALIDATION = "validation"  # ValidationError
UNAUTHORIZED = "unauthorized"  # UnauthorizedError
EXCEPTION = "exception"  # any other exception
NOT_AN_ERROR = "not_an_error"  # callback("text"): the first argument is neither None nor an exception


@dataclass(frozen=True)
class Answer:
    """The first callback call, as data."""

    error_kind: str | None = None  # one of the constants above, None for callback(None, ...)
    error_type: str | None = None
    error_message: str | None = None
    error_code: str | None = None  # ValidationError's code
    error_has_user: bool = False  # WrongUsernameOrPasswordError got a (truthy) user id or e-mail
    result: Any = None


@dataclass
class Verdict:
    outcome: str
    log_event: str | None
    findings: list[Finding] = field(default_factory=list)


def classify(key: str, answer: Answer) -> Verdict:
    """The outcome and hosted log event of a run whose script called callback (first call counts)."""
    if answer.error_kind is not None:
        return _failure(key, answer)
    result = answer.result
    if key == "login":
        if isinstance(result, dict):
            return Verdict("ok", "s")
        if not result:  # callback(None) from Login: the platform treats it as a failed login
            return Verdict("rejected", "fu")
        return Verdict("error", None, [_wrong(key, f"Login must answer callback(None, profile) with a dict; "
                                           f"it answered a {type(result).__name__}")])
    if key == "get_user":
        if isinstance(result, dict):
            return Verdict("ok", None)
        if not result:
            return Verdict("not_found", None)
        return Verdict("error", None, [_wrong(key, f"Get User must answer callback(None, profile) with a dict "
                                           f"or callback(None) when not found; it answered a "
                                           f"{type(result).__name__}")])
    if key == "create":
        return Verdict("ok", "ss")
    if key == "delete":
        return Verdict("ok", None)
    # verify, change_password, change_email: True / False (change_password may answer a dict)
    if result is True or (key == "change_password" and isinstance(result, dict)):
        return Verdict("ok", None)
    if result is False or result is None:
        return Verdict("rejected", None)
    return Verdict("error", None, [_wrong(key, f"the script must answer callback(None, True) or "
                                       f"callback(None, False); it answered a {type(result).__name__}")])


def _failure(key: str, answer: Answer) -> Verdict:
    signup_event = "fs" if key == "create" else None
    if answer.error_kind == WRONG_CREDENTIALS:
        event = ("fp" if answer.error_has_user else "fu") if key == "login" else signup_event
        return Verdict("rejected", event)
    if answer.error_kind in (VALIDATION, UNAUTHORIZED):
        return Verdict("rejected", signup_event)
    if answer.error_kind == NOT_AN_ERROR:
        return Verdict("error", signup_event, [_wrong(
            key, f"callback's first argument must be None or an exception; it got a {answer.error_type} "
                 "(use callback(Exception(message)))")])
    return Verdict("error", signup_event)


def _wrong(key: str, message: str) -> Finding:
    return finding("wrong-callback-arguments", message, key)


def describe_log_event(code: str) -> str:
    """`fp` → "fp: Failed Login (wrong password)": the code as the logs print it, and what it means."""
    name = LOG_EVENTS.get(code)
    return f"{code}: {name}" if name else code


def exit_code(outcome: str) -> int:
    """The CLI's exit code for an outcome: 0 for an answer the platform can use, 1 otherwise."""
    return 0 if outcome in EXIT_OK_OUTCOMES else 1
