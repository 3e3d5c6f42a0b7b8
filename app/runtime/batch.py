"""The `batch` command: Get User for many identifiers in one command (the migration rehearsal).

One run per user through the protocol costs a round trip, a fresh module and a full callback per
user; a rehearsal of 100,000 users would then take many times longer than the script itself. Here
the child loads the script once, runs the project's identifier query itself, calls the entry twice
per identifier (the second call checks that the answer is stable), undoes what any call wrote, and
streams compact verdicts back in chunks. Always a dry run, also for engines the script makes itself
(app/runtime/dry_run.py): their commits are held back and undone after every call, with `db`'s.

Command: the `run` fields (docs/protocol.md) with "type": "batch", plus "query" | "identifiers" |
         "feed": true, "limit": int | None, "recheck": [first, every] | None, "context_enabled",
         "requires_username", "login_profiles": {lower email: profile}, "chunk": int
Events:  {"type": "batch_total", "run": N, "total": T}          (not with "feed")
         {"type": "batch_rows", "run": N, "rows": [[identifier, [codes], user_id, email, message], ...]}
         {"type": "done", "run": N, "outcome": "ok" | "cancelled" | "error" | "invalid" | "crashed",
          "error": {...} | None, "count": int, "duration_ms", "exit": bool}
The parent may send {"type": "cancel"} at any time; it is read between chunks.

With "feed" (the rehearsal's worker processes, app/engine/rehearsal.py) the parent runs the
identifier query once and deals the users out: it sends {"type": "batch_feed", "start": i, "identifiers": [...]}
messages and finally {"type": "batch_feed", "end": true} (or a cancel). The child answers each fed
chunk with its rows, flushed at the chunk's end, so the parent knows which users every row is for
and keeps only a few chunks in flight: memory stays flat however many users there are.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import text

from app.domain.profile import check_profile, secret_field_name
from app.domain.scripts import kind
from app.runtime.answer import jsonable, safe_str
from app.runtime.dry_run import DryRunGuard
from app.runtime.masking import Masker
from app.runtime.namespace import DryRunConnection, injected, make_engine, module_globals
from app.runtime.protocol import DEFAULT_LOG_CAP

_FLUSH_S = 0.25
_THREAD_WAIT_S = 0.01


@functools.lru_cache(maxsize=512)
def _cached_clause(statement: str) -> Any:
    return text(statement)


def cached_text(statement: Any) -> Any:
    """`text()` that parses each distinct SQL string once. TextClause is generative (bindparams(),
    columns() return copies), so sharing one object between calls is safe; parsing the bind
    parameters again on every call was half the cost of a typical Get User."""
    if type(statement) is str:
        return _cached_clause(statement)
    return text(statement)


class _Cancelled(Exception):
    pass


class _Isolation:
    """Every call sees the database as it was before the batch, whatever the calls before it wrote.

    SQLite: one transaction per chunk with a savepoint; a call that changed rows (total_changes
    moved) is undone with ROLLBACK TO the savepoint, which is far cheaper than ending the
    transaction (no journal file per call); a read-only call costs nothing. The transaction is
    rolled back at every chunk's end, so DDL or other changes SQLite does not count cannot leak
    further, and the real database is never locked for longer than a chunk. Other databases:
    a rollback after every call.
    """

    SAVEPOINT = "customdb_batch"

    def __init__(self, db: Any, guard: DryRunGuard | None = None):
        self.db = db
        self.guard = guard  # the script's own connections: undone after every call too
        raw = getattr(db.connection, "driver_connection", None)
        self.sqlite = raw if hasattr(raw, "total_changes") else None
        self.changes = 0
        self.start()

    def start(self) -> None:
        if not self.db.in_transaction():
            self.db.begin()
        if self.sqlite is not None:
            self.sqlite.execute(f"SAVEPOINT {self.SAVEPOINT}")
            self.changes = self.sqlite.total_changes

    def restart(self) -> None:
        """End the transaction (rolled back) and start a fresh one."""
        if self.db.in_transaction():
            self.db.rollback()
        self.start()

    def after_call(self) -> None:
        if self.guard is not None:
            self.guard.undo()  # first, so their locks are gone before db's undo
        db = self.db
        if self.sqlite is None or not db.in_transaction() or db.in_nested_transaction():
            self.restart()  # not SQLite, or the script ended or nested a transaction itself
        elif self.sqlite.total_changes != self.changes:
            try:
                self.sqlite.execute(f"ROLLBACK TO {self.SAVEPOINT}")
            except Exception:  # noqa: BLE001 - the script rolled back (and began again): savepoint gone
                self.restart()
            self.changes = self.sqlite.total_changes


class _Checker:
    """The per-profile checks, with a fast path for the common flat profile without secrets."""

    def __init__(self, secrets: list[str], requires_username: bool):
        self.secrets = [s for s in secrets if s]
        self.requires_username = requires_username
        self._key_sets: dict[tuple, bool] = {}

    def problems(self, profile: Mapping[str, Any]) -> tuple[list[str], str | None]:
        """(codes, first message) of one profile."""
        codes: list[str] = []
        message = None
        user_id = profile.get("user_id", profile.get("id"))
        if user_id is None or (isinstance(user_id, str) and not user_id.strip()):
            codes.append("missing-user-id")
            message = "the profile has no user_id (or id)"
        if self._suspicious(profile):
            for f in check_profile(profile, "get_user", secret_values=self.secrets,
                                   requires_username=self.requires_username):
                if f.code == "secret-in-profile":
                    codes.append("secret-in-profile")
                    message = message or f.message
                    break
        return codes, message

    def _suspicious(self, profile: Mapping[str, Any]) -> bool:
        keys = tuple(profile)
        named = self._key_sets.get(keys)
        if named is None:
            named = self._key_sets[keys] = any(secret_field_name(str(k)) for k in keys)
        if named:
            return True
        secrets = self.secrets
        for value in profile.values():
            kind_ = type(value)
            if kind_ is str:
                if "$" in value or (secrets and any(s in value for s in secrets)):
                    return True
            elif kind_ is not bool and kind_ is not int and kind_ is not float and value is not None:
                return True  # nested data, or a str subclass: the full check
        return False


def _first_line(error: BaseException) -> str:
    """SQLAlchemy appends the statement and a help link on later lines: one line is enough here."""
    lines = safe_str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _describe(err: Any, masker: Masker) -> str:
    if isinstance(err, BaseException):
        message = getattr(err, "message", None) or _first_line(err)
        return masker.text(f"{type(err).__name__}: {message}")
    return masker.text(f"callback got {type(err).__name__} as its error argument")


def batch_command(conn: Any, channel: Any, runner: Any, command: dict[str, Any]) -> int | None:
    """Serve one batch command; returns an exit code when the child must end afterwards."""
    run_id = int(command["run"])
    started = time.perf_counter()
    secrets = [s for s in command.get("secrets") or () if isinstance(s, str)]
    masker = Masker(secrets)
    runner.output.start(run_id, int((command.get("limits") or {}).get("log_bytes") or DEFAULT_LOG_CAP), masker)
    channel.streaming(True)
    done: dict[str, Any] = {"type": "done", "run": run_id, "outcome": "ok", "error": None, "count": 0,
                            "exit": False}
    exit_code = None
    try:
        done["count"] = _serve(conn, channel, runner, command, masker, secrets)
    except _Cancelled as c:
        done.update(outcome="cancelled", count=c.args[0])
    except _Stop as s:
        done.update(outcome=s.outcome, error=s.error)
    except SystemExit as e:
        exit_code = e.code if isinstance(e.code, int) else 1
        done.update(outcome="crashed", exit=True, error={
            "type": "SystemExit", "message": "the script called sys.exit(); the container was recycled"})
    except MemoryError:  # before Exception, which it is: the container ends, as in a run
        exit_code = 70
        done.update(outcome="crashed", exit=True, error={
            "type": "MemoryError", "message": "the script ran out of memory; the container was recycled"})
    except Exception as e:  # noqa: BLE001 - never let the batch machinery end the container
        done.update(outcome="error", error={"type": type(e).__name__,
                                            "message": masker.text(f"the rehearsal failed: {_first_line(e)}")})
    finally:
        runner.capture.reinstall()
    runner.capture.finish_run()
    runner.output.stop()
    channel.streaming(False)
    done["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
    channel.send(done)
    return exit_code


class _Stop(Exception):
    def __init__(self, outcome: str, error: dict[str, Any]):
        super().__init__(error["message"])
        self.outcome = outcome
        self.error = error


def _serve(conn: Any, channel: Any, runner: Any, command: dict[str, Any], masker: Masker,
           secrets: list[str]) -> int:
    from app.runtime.execution import ScriptLoadError  # the one loader both commands share

    run_id = int(command["run"])
    key = command.get("script") or "get_user"
    k = kind(key)
    try:
        code, entry = runner.load(key, k, command["source"], command["filename"])
    except ScriptLoadError as invalid:
        raise _Stop("invalid", {"type": invalid.error["type"], "message": invalid.error["message"]}) from None
    engine = None
    try:
        engine = make_engine(command["database_url"])  # its own engine: the journal setting stays with it
        db = DryRunConnection(engine)
        _journal_in_memory(db)
        db.begin()
    except Exception as e:  # noqa: BLE001 - any driver error is the user's to read
        if engine is not None:
            engine.dispose()
        message = f"could not connect to the legacy database: {_first_line(e)}"
        raise _Stop("error", {"type": type(e).__name__, "message": masker.text(message)}) from None
    # a dry run for the connections the script opens itself, as in a run (held commits, AUTOCOMMIT refused)
    guard = DryRunGuard(runner.tracer.note, lambda line: runner.output.emit("stderr", line))
    try:
        if command.get("feed"):
            identifiers: Any = _Feed(conn)
        else:
            identifiers = _identifiers(db, command, masker)
            channel.send({"type": "batch_total", "run": run_id, "total": len(identifiers)})
        db.rollback()
        guard.start()
        isolation = _Isolation(db, guard)
        names = injected(command.get("configuration") or {}, runner.global_, db, runner.log)
        names["text"] = cached_text
        g = module_globals(names, command["filename"], k.key)
        exec(code, g)  # noqa: S102 - running the user's script is this module's job
        fn = g.get(entry.name)
        if not callable(fn):
            raise _Stop("error", {"type": "TypeError", "message": f"the entry {entry.name!r} is not callable"})
        call = _Caller(fn, isolation, masker, command)
        checker = _Checker(secrets, bool(command.get("requires_username")))
        logins = {str(e).lower(): p for e, p in (command.get("login_profiles") or {}).items()}
        with runner.tracer.suspended():  # a batch is never traced: no SQL hooks around its statements
            return _loop(conn, channel, run_id, identifiers, call, checker, logins, masker,
                         int(command.get("chunk") or 1000), command.get("recheck"))
    finally:
        with contextlib.suppress(Exception):
            guard.end()  # roll back (and leave dry) what the script's own connections wrote
        with contextlib.suppress(Exception):  # a dropped connection has nothing to roll back
            if db.in_transaction():
                db.rollback()
        with contextlib.suppress(Exception):
            db.close()
        engine.dispose()


def _journal_in_memory(db: Any) -> None:
    """SQLite in a rollback-journal mode: keep this connection's journal in memory and never spill
    dirty pages to the file before a commit. A batch never commits, so the database file is not
    written at all, and undoing a call's writes costs a memory copy instead of journal file I/O
    (measured: 3x cheaper per undone call). WAL databases are left alone: leaving WAL would
    rewrite the file's header. Per connection only; the engine is disposed after the batch."""
    raw = getattr(db.connection, "driver_connection", None)
    if not hasattr(raw, "total_changes"):
        return
    row = raw.execute("PRAGMA journal_mode").fetchone()
    if row and str(row[0]).lower() in ("delete", "truncate", "persist"):
        raw.execute("PRAGMA cache_spill = OFF")
        raw.execute("PRAGMA journal_mode = MEMORY")


def _identifiers(db: Any, command: dict[str, Any], masker: Masker) -> list[Any]:
    limit = command.get("limit")
    given = command.get("identifiers")
    if given is not None:
        values = list(given)
        return values[:limit] if limit is not None else values
    query = command.get("query") or "SELECT email FROM users"
    if limit is not None and limit <= 0:  # fetchmany(0) would mean "the driver's default batch", not none
        return []
    try:
        result = db.execute(text(query))
        rows = result.fetchall() if limit is None else result.fetchmany(limit)
    except Exception as e:  # noqa: BLE001 - the user's query: show why it failed
        raise _Stop("error", {"type": type(e).__name__,
                              "message": masker.text(f"the identifier query failed: {_first_line(e)}")}) from None
    return [row[0] if not isinstance(row[0], bytes | bytearray) else row[0].decode("utf-8", "replace")
            for row in rows]


class _Caller:
    """Calls the entry with one identifier and returns (error, result, called), rolling back writes."""

    def __init__(self, fn: Callable[..., Any], isolation: _Isolation, masker: Masker, command: dict[str, Any]):
        self.fn = fn
        self.isolation = isolation
        self.masker = masker
        self.context = [{}] if command.get("context_enabled") else []
        self.timeout_s = float((command.get("limits") or {}).get("timeout_s") or 20)
        self.loop: Any = None
        self.threads = threading.active_count()  # before the first call: more later are the script's

    def __call__(self, identifier: Any) -> tuple[Any, Any, bool, BaseException | None]:
        box: list[Any] = []

        def callback(*args: Any, **kwargs: Any) -> None:  # kwargs are the runner's finding
            if not box:
                box.append(args)

        raised = None
        try:
            value = self.fn(identifier, *self.context, callback)
            if value is not None and hasattr(value, "__await__"):
                self._await(value)
        except (SystemExit, MemoryError):
            raise
        except BaseException as e:  # noqa: BLE001 - the script's exception is this user's verdict
            raised = e
        if not box and raised is None and threading.active_count() > self.threads:
            deadline = time.monotonic() + self.timeout_s  # threads the script started may still answer
            while not box and threading.active_count() > self.threads and time.monotonic() < deadline:
                time.sleep(_THREAD_WAIT_S)
        self.isolation.after_call()
        if not box:
            return None, None, False, raised
        args = box[0]
        return (args[0] if args else None), (args[1] if len(args) > 1 else None), True, raised

    def _await(self, awaitable: Any) -> None:
        import asyncio

        if self.loop is None:
            self.loop = asyncio.new_event_loop()

        async def main() -> None:
            await awaitable

        self.loop.run_until_complete(main())


def _verdict(call: _Caller, checker: _Checker | None, identifier: Any,
             masker: Masker) -> tuple[list[str], Any, str | None, str | None, dict | None]:
    """(codes, user_id, email, message, profile) of one call; profile checks only with a checker."""
    err, result, called, raised = call(identifier)
    if not called:
        if raised is not None:
            return ["error"], None, None, _describe(raised, masker), None
        return ["error"], None, None, "Get User never called callback", None
    if err is not None:
        return ["error"], None, None, _describe(err, masker), None
    if not result:
        why = ("the identifier query returned NULL for this user (no e-mail?), so Get User cannot find them"
               if identifier is None else "Get User found no user for this identifier")
        return ["not-found"], None, None, why, None
    if type(result) is not dict and not isinstance(result, Mapping):
        return (["error"], None, None, f"Get User answered a {type(result).__name__} instead of a profile dict",
                None)
    codes, message = checker.problems(result) if checker is not None else ([], None)
    user_id = result.get("user_id", result.get("id"))
    email = result.get("email")
    return (codes, None if user_id is None else str(user_id), None if email is None else str(email),
            message, result)


_CHUNK_END = object()  # what _Feed yields after each fed chunk: flush its rows now


class _FeedStopped(Exception):
    pass


class _Feed:
    """The identifiers the parent feeds, chunk by chunk, each chunk followed by _CHUNK_END; it ends
    at {"end": true}. A cancel (or a closed channel) raises _FeedStopped, from the iteration or from
    cancelled(), which the loop asks at every flush: a cancel takes effect within _FLUSH_S, even in
    the middle of a chunk, and chunks read ahead while looking for it are kept, in order."""

    def __init__(self, conn: Any):
        self.conn = conn
        self.waiting: list[dict[str, Any]] = []
        self.index = -1  # the position, in the parent's identifier query, of the last identifier given

    def _take(self, message: dict[str, Any]) -> None:
        if message.get("type") in ("cancel", "exit"):
            raise _FeedStopped
        if message.get("type") == "batch_feed":
            self.waiting.append(message)

    def _receive(self, timeout: float | None) -> bool:
        try:
            message = self.conn.recv(timeout)
        except (ValueError, EOFError, OSError):
            raise _FeedStopped from None
        if message is None:
            return False
        self._take(message)
        return True

    def cancelled(self) -> bool:
        """Read what has arrived without waiting; raises _FeedStopped on a cancel."""
        while self._receive(0):
            pass
        return False

    def __iter__(self) -> Any:
        while True:
            while not self.waiting:
                self._receive(None)
            message = self.waiting.pop(0)
            if message.get("end"):
                return
            self.index = int(message.get("start") or 0) - 1
            for identifier in message.get("identifiers") or ():
                self.index += 1
                yield identifier
            yield _CHUNK_END


def _rechecked(recheck: Any) -> Callable[[int], bool]:
    """Which users get the second call (is the answer stable?): every one, or with [first, every]
    the first `first` users of the query and every `every`-th after them (by query position, so the
    report does not depend on how the users were split over workers)."""
    if not recheck:
        return lambda _index: True
    first, every = int(recheck[0]), max(int(recheck[1]), 1)
    return lambda index: index < first or index % every == 0


def _loop(conn: Any, channel: Any, run_id: int, identifiers: Any, call: _Caller, checker: _Checker,
          logins: dict[str, Any], masker: Masker, chunk: int, recheck: Any = None) -> int:
    rows: list[list[Any]] = []
    last_flush = time.monotonic()
    count = 0
    fed = isinstance(identifiers, _Feed)
    second_call = _rechecked(recheck)
    iterator = iter(identifiers)
    while True:
        try:
            identifier = next(iterator)
        except StopIteration:
            break
        except _FeedStopped:
            if rows:
                channel.send({"type": "batch_rows", "run": run_id, "rows": rows})
            raise _Cancelled(count) from None
        if identifier is _CHUNK_END:
            if rows:
                channel.send({"type": "batch_rows", "run": run_id, "rows": rows})
                rows = []
            last_flush = time.monotonic()
            call.isolation.restart()
            continue
        codes, user_id, email, message, profile = _verdict(call, checker, identifier, masker)
        if "error" not in codes and "not-found" not in codes:
            if second_call(identifiers.index if fed else count):
                codes2, user_id2, _, message2, profile2 = _verdict(call, None, identifier, masker)
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
                elif dict(login) != jsonable(dict(profile)):  # what a run would have answered (dates as text)
                    codes.append("profile-mismatch")
                    message = message or "Login (in a simulation) returned a different profile"
        rows.append([identifier, codes, user_id, email, message])
        count += 1
        if len(rows) >= chunk or time.monotonic() - last_flush >= _FLUSH_S:
            channel.send({"type": "batch_rows", "run": run_id, "rows": rows})
            rows = []
            last_flush = time.monotonic()
            call.isolation.restart()
            if fed:
                try:
                    identifiers.cancelled()
                except _FeedStopped:
                    raise _Cancelled(count) from None
            elif _cancel_requested(conn):
                raise _Cancelled(count)
    if rows:
        channel.send({"type": "batch_rows", "run": run_id, "rows": rows})
    return count


def _cancel_requested(conn: Any) -> bool:
    """A `cancel` (or `exit`, or a broken channel) waiting on the channel: read without waiting."""
    while True:
        try:
            message = conn.recv(0)
        except (ValueError, EOFError, OSError):
            return True
        if message is None:
            return False
        if message.get("type") in ("cancel", "exit"):
            return True
