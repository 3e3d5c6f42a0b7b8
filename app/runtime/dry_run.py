"""A dry run also covers the engines a script makes itself.

`create_engine(url).begin()`, `db.engine.connect()` or an ORM `Session` would otherwise commit for
real while `db` is rolled back. `install_engine_guard` makes every Engine in the child hand out a
`GuardedConnection`; during a dry run (between `DryRunGuard.start` and `end`) such a connection
holds back its commits (noted in the SQL trace), gets an explicit BEGIN on SQLite (pysqlite begins
lazily, and SQLite commits when a savepoint opened outside a transaction is released), and is rolled
back when it closes or the run ends. A connection that exists during a dry run stays dry for its
life (one kept in `global_` too), and what it wrote is undone after every run, so its locks never
outlive a run. A connection in AUTOCOMMIT mode (SQLite's aside) or a two-phase transaction cannot be
rolled back: the dry run refuses it with `DryRunRefused`, naming the rule, plus a log line.

Below those, a cursor-level check (`_check_statement`, SQLAlchemy's `before_cursor_execute` on
every Engine) sees every statement a dry connection sends, the injected `db` included, whatever
way it was sent (`text()`, `exec_driver_sql`, an ORM session): SQL that would end or commit the
run's transaction (`COMMIT`, `END`, `ROLLBACK`, `BEGIN`, `SET autocommit`, MySQL's implicit
commits; see app/runtime/sql_control.py) is refused before it reaches the database; a DB-API
connection found in autocommit mode is refused; and a SQLite transaction the engine ended on its
own (ON CONFLICT ROLLBACK) is begun again before the next statement, so that statement is rolled
back too. Raw DB-API connections (`sqlite3.connect`, `engine.raw_connection()`,
`db.connection.driver_connection`) are outside SQLAlchemy and not guarded. Outside a dry run a
GuardedConnection is a plain Connection.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from app.runtime.sql_control import control

HELD_COMMIT = "COMMIT -- held back: dry run (run with commit to write)"


class DryRunRefused(RuntimeError):
    """A dry run met something whose writes it could not roll back."""


class DryRunGuard:
    """One dry run's rule for the connections the script opens itself: which joined, where held
    commits and refusals are reported, and the rollback at the end."""

    def __init__(self, note: Callable[[str], None], warn: Callable[[str], None]):
        self.note = note  # a pseudo-entry in the SQL trace
        self.warn = warn  # a log line of the run

    def start(self) -> None:
        global _active
        _active = self

    def join(self, conn: GuardedConnection) -> None:
        with _dry_lock:
            _dry_connections.add(conn)

    def refuse(self, what: str, hint: str = "") -> DryRunRefused:
        message = (f"dry run: {what}, so its writes could not be rolled back; the dry run refuses it. "
                   f"{hint}Run with commit writes on (customdb run --commit, or the Run panel's \"commit "
                   "writes\") to let it write.")
        with contextlib.suppress(Exception):
            self.warn(f"[dry run] refused: {what}")
        return DryRunRefused(message)

    def undo(self) -> None:
        """Roll back what the script's connections wrote so far; they stay open and dry. The
        rehearsal calls this after every Get User call, with the undo of the injected `db`."""
        if _dry_connections:
            _undo_dry_connections()

    def end(self) -> None:
        """Roll back every connection the script opened during the run and left open (a closed one
        was rolled back when it closed); they stay usable, and stay dry."""
        global _active
        if _active is self:
            _active = None
        _undo_dry_connections()


_active: DryRunGuard | None = None  # the dry run going on in this child, if any
_QUIET = DryRunGuard(lambda _: None, lambda _: None)  # refusals outside a started dry run (the batch's query)
_dry_connections: weakref.WeakSet[GuardedConnection] = weakref.WeakSet()  # every dry one still alive
_dry_lock = threading.Lock()


def _undo_dry_connections() -> None:
    with _dry_lock:
        connections = list(_dry_connections)
    for conn in connections:
        with contextlib.suppress(Exception):  # a dropped connection has nothing left to undo
            conn._undo()


class GuardedConnection(Connection):
    """Every Engine's Connection in the child (see `install_engine_guard`). Outside a dry run it is
    a plain Connection; a connection that exists during a dry run joins it and stays dry."""

    _customdb_dry: DryRunGuard | None = None
    _customdb_held = False  # a commit was held back: the DB-API transaction is still open

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if _active is not None:
            try:
                self._dry()
            except DryRunRefused:
                self.close()
                raise

    def _dry(self) -> DryRunGuard | None:
        guard = self._customdb_dry
        if guard is None and _active is not None:
            guard = self._customdb_dry = _active
            guard.join(self)
        if guard is not None and self.dialect.name != "sqlite" and not (self.closed or self.invalidated):
            try:
                autocommit = self.dialect.detect_autocommit_setting(self.connection.dbapi_connection)
            except Exception:  # noqa: BLE001 - the dialect cannot tell (NotImplementedError): go on
                autocommit = False
            if autocommit:
                raise guard.refuse("a connection the script opened is in AUTOCOMMIT mode "
                                   "(each statement commits at once)")
        return guard

    def _begin_impl(self, transaction: Any) -> None:
        guard = self._dry()
        super()._begin_impl(transaction)
        if guard is not None and self.dialect.name == "sqlite":
            # pysqlite begins lazily and lets SQLite commit when a savepoint outside a transaction
            # is released; an explicit BEGIN keeps everything inside one transaction
            raw = self.connection.driver_connection
            if getattr(raw, "in_transaction", True) is False:
                raw.execute("BEGIN")

    def _commit_impl(self) -> None:
        guard = self._dry()
        if guard is None:
            super()._commit_impl()
            return
        self._customdb_held = True
        guard.note(HELD_COMMIT)

    def _commit_twophase_impl(self, xid: Any, is_prepared: bool) -> None:
        if self._dry() is None:
            super()._commit_twophase_impl(xid, is_prepared)
            return
        self._customdb_held = True
        self._customdb_dry.note(HELD_COMMIT)

    def begin_twophase(self, xid: Any = None):  # type: ignore[override]
        guard = self._dry()
        if guard is not None:  # a prepared transaction outlives the connection: nothing could undo it
            raise guard.refuse("a two-phase transaction (a prepared transaction outlives the connection)")
        return super().begin_twophase(xid)

    def execution_options(self, **opt: Any):  # type: ignore[override]
        level = opt.get("isolation_level")
        if isinstance(level, str) and level.upper() == "AUTOCOMMIT" and self.dialect.name != "sqlite":
            guard = self._dry()
            if guard is not None:
                raise guard.refuse("execution_options(isolation_level='AUTOCOMMIT') on a connection "
                                   "the script opened")
        return super().execution_options(**opt)

    def _undo(self) -> None:
        """Roll back what this connection wrote (also after a held-back commit)."""
        if self.closed or self.invalidated:
            return
        if self.in_transaction():
            self.rollback()  # also ends a transaction still open after a held-back commit
        elif self._customdb_held:
            self.connection.dbapi_connection.rollback()
            if self._customdb_dry is not None:
                self._customdb_dry.note("ROLLBACK -- dry run: the writes of a held-back commit")
        self._customdb_held = False

    def close(self) -> None:
        if self._customdb_held:  # the pool may be set not to roll back on return
            with contextlib.suppress(Exception):
                self._undo()
        super().close()


def dry_guard(conn: Connection) -> DryRunGuard | None:
    """The dry run `conn` belongs to, or None when its statements may write."""
    if isinstance(conn, GuardedConnection):
        return conn._dry()
    if getattr(conn, "customdb_always_dry", False):  # the injected `db` of a dry run (namespace.py)
        return _active or _QUIET
    return None


def refuse_autocommit(conn: Connection, what: str) -> DryRunRefused:
    """The refusal of AUTOCOMMIT asked of a dry connection."""
    return (dry_guard(conn) or _QUIET).refuse(f"execution_options(isolation_level='AUTOCOMMIT') on {what}")


def _check_statement(conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any,
                     executemany: bool) -> None:
    """Every statement of a dry connection, before it is sent: see the module's docstring."""
    if _active is None and getattr(conn, "_customdb_dry", None) is None \
            and not getattr(conn, "customdb_always_dry", False):
        return  # not a dry run: the common case of `--commit`, decided by two attribute reads
    guard = dry_guard(conn)
    if guard is None:
        return
    dialect = conn.dialect.name
    found = control(statement, dialect)
    if found:
        raise guard.refuse(f"the SQL statement {found} would end the run's transaction",
                           "For a savepoint use db.begin_nested(). ")
    raw = getattr(cursor, "connection", None)
    if dialect == "sqlite":
        if getattr(raw, "in_transaction", True) is False:  # ended by SQLite itself: begin again
            raw.execute("BEGIN")
            guard.note("BEGIN -- dry run: SQLite had ended the transaction; a new one keeps this run dry")
        return
    if raw is not None and not isinstance(conn, GuardedConnection):  # GuardedConnection._dry checked it
        try:
            autocommit = conn.dialect.detect_autocommit_setting(raw)
        except Exception:  # noqa: BLE001 - the dialect cannot tell (NotImplementedError): go on
            autocommit = False
        if autocommit:
            raise guard.refuse("the connection is in AUTOCOMMIT mode (each statement commits at once)")


def end_dry_run() -> None:
    """After every run: end the dry run going on, if any (a run may end the unusual way), and undo
    what connections kept from an earlier dry run (e.g. in `global_`) wrote since, so their locks
    never outlive a run."""
    if _active is not None:
        _active.end()
    elif _dry_connections:
        _undo_dry_connections()


def install_engine_guard() -> None:
    """Every Engine in this process (also those a script makes itself) hands out GuardedConnection,
    and every statement of a dry connection is checked before it is sent."""
    Engine._connection_cls = GuardedConnection
    if not event.contains(Engine, "before_cursor_execute", _check_statement):
        event.listen(Engine, "before_cursor_execute", _check_statement)
