"""Rules decided from a run's SQL trace: Login must not delete from the legacy store, and in
migration mode a successful Login must mark the user migrated (write to the store) while Get User
must not: the platform also calls Get User for lookups that create nobody (signup, identifier-first,
management API), and a user marked there is stranded (docs/simulation.md, "Where to mark").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from app.domain.findings import Finding, finding
from app.domain.scripts import Mode

_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_FIRST_WORD = re.compile(r"[\s(]*([A-Za-z]+)")
_WRITE_VERBS = {"UPDATE", "INSERT", "MERGE", "REPLACE", "UPSERT"}
_DELETE_VERBS = {"DELETE", "TRUNCATE"}
_CTE_VERB = re.compile(r"\b(DELETE|UPDATE|INSERT|MERGE)\b", re.IGNORECASE)


def statement_verb(statement: str) -> str:
    """The statement's main verb (SELECT, UPDATE, DELETE, ...), upper case; '' when unknown."""
    text = _COMMENTS.sub(" ", statement or "")
    m = _FIRST_WORD.match(text)
    if not m:
        return ""
    verb = m.group(1).upper()
    if verb == "WITH":  # WITH ... DELETE/UPDATE: the data-modifying part decides
        inner = _CTE_VERB.search(text)
        return inner.group(1).upper() if inner else "SELECT"
    return verb


def _statements(sql: Iterable[Mapping[str, Any]]) -> Iterable[tuple[str, str, bool]]:
    for entry in sql:
        statement = str(entry.get("statement") or "")
        if statement.startswith("COMMIT --"):  # a commit the dry run held back: not a statement
            continue
        yield statement, statement_verb(statement), entry.get("error") is None


def trace_findings(key: str, mode: Mode | str, outcome: str, sql: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """delete-in-login and not-marked-migrated, from what the run actually sent."""
    entries = list(_statements(sql))
    out: list[Finding] = []
    if key == "login":
        deletes = [s for s, verb, _ in entries if verb in _DELETE_VERBS]
        if deletes:
            first = " ".join(deletes[0].split())[:80]
            out.append(finding(
                "delete-in-login",
                f"Login sent {len(deletes)} DELETE statement(s) to the legacy store (first: {first}); never "
                "delete the legacy user inside Login — an error mid-migration would lose the user. Delete "
                "migrated users later, in a separate process.", key))
    if Mode(mode) is not Mode.MIGRATION:
        return out
    marked = any(ok and verb in _WRITE_VERBS for _, verb, ok in entries)
    if key == "login" and outcome == "ok" and not marked:
        out.append(finding(
            "not-marked-migrated",
            "migration mode: the script answered a profile without writing to the legacy store; mark the "
            "user as migrated (e.g. UPDATE users SET migrated = true) before calling callback, otherwise a "
            "user deleted from the managed store migrates again at the next login", key))
    elif key == "get_user" and marked:
        out.append(finding(
            "marked-in-get-user",
            "migration mode: Get User wrote to the legacy store. The platform also calls it only to ask "
            "whether a user exists (signup, identifier-first, e-mail change, management API) and then "
            "creates nobody, so a user marked here is stranded: Login and Get User refuse them from then "
            "on. Mark in Login and in Change Password (the password reset), where the platform creates "
            "the user", key))
    return out
