"""The migration rehearsal of a JavaScript project: Get User for every legacy user, twice, in one
warm Node container (dry runs), with the same per-user verdicts as the Python batch
(app/runtime/batch.py): not-found, error, missing-user-id, secret-in-profile, unstable-user-id,
profile-mismatch. The identifiers come from the rehearsal query, run read-only from here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from app.domain.project import Project

_FLUSH_S = 0.25
_PROFILE_CODES = ("missing-user-id", "secret-in-profile")


def identifiers(url: str, query: str, limit: int | None) -> list[Any]:
    """The first column of the rehearsal query, in a transaction that is rolled back."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(query))
            values = [row[0] for row in (rows.fetchmany(limit) if limit else rows.fetchall())]
            conn.rollback()
        return values
    finally:
        engine.dispose()


def rehearse(project: Project, ids: list[Any], *, logins: Mapping[str, Any], database: str | None,
             cancelled: Callable[[], bool], add_rows: Callable[[list[list[Any]]], None]) -> str:
    """Run Get User for each identifier; rows go to add_rows in chunks. "ok" or "cancelled"."""
    from app.engine.node_runner import NodeRunnerClient

    client = NodeRunnerClient(project, use_spare=False)
    rows: list[list[Any]] = []
    last = time.monotonic()
    try:
        for identifier in ids:
            rows.append(_verdict(client, identifier, logins, database))
            if time.monotonic() - last >= _FLUSH_S:
                add_rows(rows)
                rows, last = [], time.monotonic()
                if cancelled():
                    return "cancelled"
        if rows:
            add_rows(rows)
    finally:
        client.close()
    return "ok"


def _call(client: Any, identifier: Any, database: str | None) -> tuple[list[str], Any, str | None, str | None, Any]:
    """(codes, user_id, email, message, profile) of one Get User run."""
    r = client.run("get_user", {"email": identifier}, database=database)
    if r.outcome == "not_found":
        why = ("the identifier query returned NULL for this user (no e-mail?), so Get User cannot find them"
               if identifier is None else "Get User found no user for this identifier")
        return ["not-found"], None, None, why, None
    if r.outcome != "ok" or not isinstance(r.result, dict):
        error = r.error or {}
        message = f"{error.get('type', r.outcome)}: {error.get('message', '')}".strip(": ")
        return ["error"], None, None, message or f"Get User ended {r.outcome}", None
    profile = r.result
    codes = [f.code for f in r.findings if f.code in _PROFILE_CODES]
    message = next((f.message for f in r.findings if f.code in _PROFILE_CODES), None)
    user_id = profile.get("user_id", profile.get("id"))
    email = profile.get("email")
    return (list(dict.fromkeys(codes)), None if user_id is None else str(user_id),
            None if email is None else str(email), message, profile)


def _verdict(client: Any, identifier: Any, logins: Mapping[str, Any], database: str | None) -> list[Any]:
    codes, user_id, email, message, profile = _call(client, identifier, database)
    if "error" not in codes and "not-found" not in codes:
        codes2, user_id2, _, message2, profile2 = _call(client, identifier, database)
        if user_id2 != user_id or "not-found" in codes2 or "error" in codes2:
            codes.append("unstable-user-id")
            message = message or (f"the second call answered {user_id2!r} instead of {user_id!r}"
                                  if profile2 is not None else f"the second call: {message2}")
        login = logins.get(identifier.lower()) if logins and isinstance(identifier, str) else None
        if isinstance(login, Mapping) and profile is not None:
            login_id = login.get("user_id", login.get("id"))
            if login_id is not None and str(login_id) != user_id:
                codes.append("unstable-user-id")
                message = message or f"Login answered user_id {login_id!r}, Get User {user_id!r}"
            elif dict(login) != dict(profile):
                codes.append("profile-mismatch")
                message = message or "Login (in a simulation) returned a different profile"
    return [identifier, codes, user_id, email, message]
