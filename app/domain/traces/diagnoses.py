"""What the hosted platform printed, explained: one-line errors and tenant log events.

Most of what a customer sends is not a stack trace: the sandbox's one-line errors ("Request to
Webtask exceeded allowed execution time", `ESOCKETTIMEDOUT`, `Cannot find module 'pg@4.3.0'`...), its
JSON error bodies (`"fromSandbox": true`) and tenant log events (`{"type": "fp", ...}`). Each becomes a
`Diagnosis`: what happened, what to do, and (when the log names the user) the local run that
reproduces it. Pure: text in, data out.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# Tenant log event codes of database connections: (script, what the script answered to produce it).
LOG_EVENT_TYPES: dict[str, tuple[str, str]] = {
    "s": ("login", "Login called back a profile: callback(null, profile)"),
    "f": ("login", "Login failed with an error other than wrong credentials: callback(new Error(...)), "
                   "a thrown error, or an answer the platform could not use"),
    "fp": ("login", "Login called back WrongUsernameOrPasswordError with the user's e-mail or id "
                    "(the platform logs it as a wrong password)"),
    "fu": ("login", "Login called back WrongUsernameOrPasswordError without a user, or callback(null) "
                    "with no profile (the platform logs it as an unknown user)"),
    "ss": ("create", "Create called back with no error: callback(null)"),
    "fs": ("create", "Create called back an error (ValidationError('user_exists') when the user exists), "
                     "or Get User found the e-mail already taken"),
    "scp": ("change_password", "Change Password called back true"),
    "fcp": ("change_password", "Change Password called back an error or false"),
    "scpr": ("get_user", "Get User found the user when a password reset was requested"),
    "fcpr": ("get_user", "Get User answered not found or an error when a password reset was requested"),
    "sce": ("change_email", "Change Email called back true"),
    "fce": ("change_email", "Change Email called back an error or false"),
    "sv": ("verify", "Verify called back true"),
    "fv": ("verify", "Verify called back an error or false"),
    "sdu": ("delete", "Delete called back with no error"),
    "fdu": ("delete", "Delete called back an error"),
}
_LOG_EVENT_FIELDS = frozenset({"date", "log_id", "description", "connection", "connection_id", "user_name",
                               "client_id", "strategy"})
# every message below contains one of these ("TIMEDOUT": ESOCKETTIMEDOUT and ETIMEDOUT); each is one
# fast str.find pass over the document
_ANCHORS = ("exceeded allowed execution time", "TIMEDOUT", "ECONNREFUSED", "Cannot find module",
            "Compilation failed", "unhandled", "fromSandbox", '"type"')
_JSON_START = re.compile(r"\s*[\[{]")
_DECODER = json.JSONDecoder()
_ADDRESS = re.compile(r"(ECONNREFUSED|ETIMEDOUT)\s+\[?([0-9A-Za-z.:_-]+?)\]?:(\d{1,5})\b(?!:)")
_MODULE = re.compile(r"Cannot find module '([^']+)'")
_COMPILATION = re.compile(r"Compilation failed:\s*(.*)")
_UNHANDLED = re.compile(r"Script generated an unhandled (synchronous|asynchronous) exception", re.I)
_MAX_LINE = 64 * 1024  # a JSON log line longer than this is not parsed (it is still scanned for anchors)


@dataclass
class Diagnosis:
    code: str
    message: str
    line: int  # 1-based line of the document where the hosted message is
    event: str | None = None  # the tenant log event code, for log events
    script: str | None = None  # the script the message is about, when known
    connection: str | None = None
    input: dict[str, Any] | None = None  # what the script was called with, as far as the log says
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"code": self.code, "message": self.message, "line": self.line}
        for key in ("event", "script", "connection", "input"):
            value = getattr(self, key)
            if value is not None:
                d[key] = value
        d.update(self.extra)
        return d


def diagnose(text: str) -> list[Diagnosis]:
    """Every hosted message of the document, in text order (one per message and line)."""
    out: list[Diagnosis] = []
    positions = _anchor_positions(text)
    if not positions:
        return []
    document = _whole_json(text)
    if document is not None:
        for obj in _objects(document):
            d = _from_object(obj, 1)
            if d is not None:
                out.append(d)
        if out:
            return out
    # str.find per anchor (fast) gives the lines worth reading; most lines are noise
    number, counted_to, line_end = 1, 0, -1
    for at in positions:
        if at <= line_end:
            continue  # another anchor on a line already read
        start = text.rfind("\n", 0, at) + 1
        line_end = text.find("\n", at)
        if line_end < 0:
            line_end = len(text)
        number += text.count("\n", counted_to, start)
        counted_to = start
        line = text[start:line_end].rstrip("\r")
        found = _from_json_line(line, number)
        out.extend(found if found else _from_text(line, number))
    return out


def _anchor_positions(text: str) -> list[int]:
    positions: list[int] = []
    for anchor in _ANCHORS:
        at = text.find(anchor)
        while at >= 0:
            positions.append(at)
            end = text.find("\n", at)
            if end < 0:
                break
            at = text.find(anchor, end)  # one hit per line is enough
    positions.sort()
    return positions


# -- plain text messages -------------------------------------------------------------------------
def _from_text(line: str, number: int) -> list[Diagnosis]:
    out = []
    if "exceeded allowed execution time" in line:
        out.append(Diagnosis("execution-time-limit", (
            "The script did not call back within the platform's time limit (20 s): a path that never calls "
            "callback (an early return, an error branch without callback), or a database or API slow to "
            "answer. Run the script locally with the same input: a path without callback shows as "
            "callback-not-called at once, a slow statement in the SQL trace."), number))
    for m in _ADDRESS.finditer(line):
        out.append(_address_diagnosis(m.group(1), m.group(2), m.group(3), number))
    if "ESOCKETTIMEDOUT" in line:
        out.append(Diagnosis("socket-timeout", (
            "A request from the script timed out (ESOCKETTIMEDOUT): the database or API answered too slowly "
            "or never, often because a firewall drops the platform's connections. Allow the platform's "
            "outbound IP addresses on that host and give the driver a timeout shorter than 20 s."),
            number))
    m = _MODULE.search(line)
    if m:
        name, _, version = m.group(1).rpartition("@") if "@" in m.group(1)[1:] else (m.group(1), "", "")
        wanted = f"{name} {version}".strip()
        out.append(Diagnosis("module-not-available", (
            f"The tenant's Node runtime does not offer the module {wanted}: require a name and version the "
            "runtime lists (the tenant's canirequire page), or drop the version to get its default. "
            "Locally, the runner's finding module-not-available lists what the offline store has."),
            number, extra={"module": name, "version": version or None}))
    m = _COMPILATION.search(line)
    if m:
        detail = m.group(1).strip().rstrip('",}') or "no detail given"
        out.append(Diagnosis("compilation-failed", (
            f"The platform could not compile the script ({detail}): a syntax error, or syntax the tenant's "
            "Node version does not support. customdb lint shows the error with its line."), number))
    m = _UNHANDLED.search(line)
    if m:
        out.append(Diagnosis("unhandled-exception", (
            f"The script threw an error that no callback received ({m.group(1).lower()}): an exception inside "
            "a driver callback, a timer or a promise nobody caught. Catch it and pass it on with "
            "callback(err); a local run reports it as error with the script's frames."), number))
    return out


def _address_diagnosis(kind: str, host: str, port: str, number: int) -> Diagnosis:
    where = f"{host}:{port}"
    if _private(host):
        return Diagnosis("unreachable-private-address", (
            f"The script tried to reach {where}, a loopback or private-network address. The hosted sandbox "
            "runs on the platform's servers: it cannot reach your machine or your private network. Expose "
            "the database on an address the internet can reach, restricted to the platform's outbound IP "
            "addresses (or put an API in front of it)."), number, extra={"address": where})
    if kind == "ETIMEDOUT":
        return Diagnosis("connect-timeout", (
            f"Connecting to {where} timed out: a firewall drops the platform's connections, or the host is "
            "down. Allow the platform's outbound IP addresses on it."), number, extra={"address": where})
    return Diagnosis("connection-refused", (
        f"Nothing accepted the connection at {where}: the server is down, the port is wrong, or a firewall "
        "rejects the platform's IP addresses."), number, extra={"address": where})


def _private(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.endswith(".local"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


# -- JSON: sandbox error bodies and tenant log events ---------------------------------------------
def _whole_json(text: str) -> Any:
    if not _JSON_START.match(text):
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _from_json_line(line: str, number: int) -> list[Diagnosis]:
    start = line.find("{")
    if start < 0 or len(line) > _MAX_LINE:
        return []
    try:
        obj, _ = _DECODER.raw_decode(line, start)
    except (ValueError, RecursionError):
        return []
    out = []
    for item in _objects(obj):
        d = _from_object(item, number)
        if d is not None:
            out.append(d)
    return out


def _objects(value: Any, depth: int = 0) -> list[dict]:
    """The objects of a log export: a list of events, a log stream's {"data": {...}}, or one object."""
    if depth > 3:
        return []
    if isinstance(value, list):
        return [o for item in value[:100_000] for o in _objects(item, depth + 1)]
    if isinstance(value, dict):
        if isinstance(value.get("data"), dict) and "type" not in value:
            return [value["data"]]
        return [value]
    return []


def _from_object(obj: dict, number: int) -> Diagnosis | None:
    if obj.get("fromSandbox") is True:
        name = obj.get("name") or obj.get("code") or "Error"
        message = str(obj.get("message") or obj.get("error") or obj.get("details") or "")
        inner = _from_text(f"{obj.get('error', '')} {obj.get('message', '')} {obj.get('details', '')}", number)
        what = f"{inner[0].message} " if inner else ""
        return Diagnosis("sandbox-error", (
            f"The sandbox answered an error ({name}: {message[:300]}). {what}The body's stack, if any, is "
            "listed as a trace.").strip(), number, extra={"error": {"name": name, "message": message[:2000]}})
    code = obj.get("type")
    if code not in LOG_EVENT_TYPES or not isinstance(code, str) or obj.keys().isdisjoint(_LOG_EVENT_FIELDS):
        return None
    script = LOG_EVENT_TYPES[code][0]
    description = obj.get("description")
    user = obj.get("user_name")
    user = user if isinstance(user, str) else None
    connection = obj.get("connection")
    message = _event_message(code, description if isinstance(description, str) else None, _event_error(obj))
    if user:
        message += f" Reproduce it locally with {user}'s input in a dry run."
    return Diagnosis("log-event", message, number, event=code, script=script,
                     connection=connection if isinstance(connection, str) else None,
                     input=_event_input(script, obj, user))


@lru_cache(maxsize=512)
def _event_message(code: str, description: str | None, detail: str | None) -> str:
    """What a log event means (a log export repeats the same few events thousands of times)."""
    answered = LOG_EVENT_TYPES[code][1]
    parts = [f"Tenant log event {code}" + (f" ({description})" if description else "") + f": {answered}."]
    if detail:
        parts.append(f"The platform recorded: {detail[:500]}.")
        parts.extend(d.message for d in _from_text(detail, 1))
    return " ".join(parts)


def _event_error(obj: dict) -> str | None:
    details = obj.get("details")
    if isinstance(details, dict):
        error = details.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"]
        if isinstance(error, str):
            return error
    return None


def _event_input(script: str, obj: dict, user: str | None) -> dict[str, Any] | None:
    if script == "delete":
        user_id = obj.get("user_id")
        if isinstance(user_id, str) and user_id:
            return {"user_id": user_id.split("|", 1)[1] if user_id.startswith("auth0|") else user_id}
        return None
    if not user:
        return None
    if script == "create":
        return {"user": {"email": user}}
    return {"email": user}
