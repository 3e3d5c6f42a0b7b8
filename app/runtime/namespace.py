"""The globals a script runs with: exactly the names of `app.runtime.api.INJECTED`.

`db` is a Connection inside a transaction. In a dry run (the default) it is a `DryRunConnection`:
`db.commit()` is held back (noted in the SQL trace), `db.begin()` inside the run's transaction
becomes a savepoint, and the whole transaction is rolled back when the run ends, so the legacy
database is left exactly as it was. With commit requested, `db` is a plain Connection whose
transaction is committed at the end.

Engines the script makes itself follow the same rule in a dry run: see `app.runtime.dry_run`.
"""

from __future__ import annotations

import logging
import types
from collections.abc import Callable, Mapping
from typing import Any

import bcrypt
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine

from app.runtime import errors


class DryRunConnection(Connection):
    """A Connection that never commits: the run's transaction is rolled back at the end. Its SQL
    is checked before it is sent (app.runtime.dry_run), and AUTOCOMMIT is refused on a server."""

    _on_held_commit: Callable[[], None] | None = None
    customdb_always_dry = True  # read by app.runtime.dry_run's statement check
    _customdb_dry = None

    def commit(self) -> None:
        if self._on_held_commit is not None:
            self._on_held_commit()

    def begin(self):  # type: ignore[override]
        if self.in_transaction():
            return self.begin_nested()
        return super().begin()

    def execution_options(self, **opt: Any):  # type: ignore[override]
        level = opt.get("isolation_level")
        if isinstance(level, str) and level.upper() == "AUTOCOMMIT" and self.dialect.name != "sqlite":
            from app.runtime.dry_run import refuse_autocommit

            raise refuse_autocommit(self, "the injected db")
        return super().execution_options(**opt)


def make_engine(url: str) -> Engine:
    """An engine for the legacy database. SQLite gets explicit BEGIN (pysqlite otherwise starts
    transactions lazily and commits on its own around savepoints), so a dry run stays a dry run."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite" and engine.dialect.driver == "pysqlite":
        @event.listens_for(engine, "connect")
        def _no_implicit_transactions(dbapi_connection, record):
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _explicit_begin(conn):
            conn.connection.driver_connection.execute("BEGIN")
    return engine


def script_logger(handler: logging.Handler) -> logging.Logger:
    """The `log` global: records become the run's `log` lines."""
    logger = logging.getLogger("customdb.script")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger


def injected(configuration: Mapping[str, str], global_: dict[str, Any], db: Connection,
             log: logging.Logger) -> dict[str, Any]:
    """Exactly the injected names, in the order of `INJECTED`."""
    return {
        "configuration": types.MappingProxyType(dict(configuration)),
        "global_": global_,
        "db": db,
        "text": text,
        "bcrypt": bcrypt,
        "log": log,
        "WrongUsernameOrPasswordError": errors.WrongUsernameOrPasswordError,
        "ValidationError": errors.ValidationError,
        "UnauthorizedError": errors.UnauthorizedError,
    }


def module_globals(names: dict[str, Any], filename: str, key: str) -> dict[str, Any]:
    """A fresh module namespace for one run of the script."""
    import builtins

    return {"__name__": f"customdb_script_{key}", "__file__": filename, "__builtins__": builtins,
            "__doc__": None, **names}
