"""The names the runtime injects into every script's globals: the single source of truth.

`app/runtime/namespace.py` builds exactly these names for a run, and the editor's completion stub
is generated from this table, so what users complete is what their scripts get.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InjectedName:
    name: str
    annotation: str  # a Python type expression, importable in a stub module
    doc: str
    stub_imports: tuple[str, ...] = ()  # import lines the stub needs for `annotation`


INJECTED: tuple[InjectedName, ...] = (
    InjectedName(
        "configuration", "Mapping[str, str]",
        "Read-only settings of the connection (customdb.toml [configuration]); secret values come "
        "from the OS keychain. Read credentials from here, never hard-code them.",
        ("from collections.abc import Mapping",),
    ),
    InjectedName(
        "global_", "dict[str, Any]",
        "Per-container cache that survives between runs until the container is recycled (about 20 "
        "minutes on the hosted platform). Cache tokens or pools here, never user data.",
        ("from typing import Any",),
    ),
    InjectedName(
        "db", "Connection",
        "A SQLAlchemy Connection to the legacy database, inside a transaction that is rolled back "
        "after the run unless writes are committed. Use db.execute(text(...), {params}).",
        ("from sqlalchemy.engine import Connection",),
    ),
    InjectedName("text", "type[TextClause]", "sqlalchemy.text: a SQL string with :named parameters.",
                 ("from sqlalchemy.sql.elements import TextClause",)),
    InjectedName("bcrypt", "ModuleType", "The bcrypt module: bcrypt.checkpw(password, hash), bcrypt.hashpw(...).",
                 ("from types import ModuleType",)),
    InjectedName("log", "Logger", "A logger whose records become the run's log lines (print output does too).",
                 ("from logging import Logger",)),
    InjectedName("WrongUsernameOrPasswordError", "type[WrongUsernameOrPasswordError]",
                 "Login refused: wrong password (pass the e-mail) or unknown user (pass nothing).",
                 ("from app.runtime.errors import WrongUsernameOrPasswordError",)),
    InjectedName("ValidationError", "type[ValidationError]",
                 'Create refused: ValidationError("user_exists", message).',
                 ("from app.runtime.errors import ValidationError",)),
    InjectedName("UnauthorizedError", "type[UnauthorizedError]",
                 "Any script: refuse with an `unauthorized` error carrying the message.",
                 ("from app.runtime.errors import UnauthorizedError",)),
)

INJECTED_NAMES: tuple[str, ...] = tuple(n.name for n in INJECTED)
