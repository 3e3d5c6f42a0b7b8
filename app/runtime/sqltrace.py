"""The SQL trace of a run: every statement any engine sent (also engines the script made itself,
because the listeners sit on the Engine class), with masked parameters, duration, row count and
error, plus BEGIN / COMMIT / ROLLBACK from the connection events.

Each entry is streamed to the parent as it happens: `{statement, params, duration_ms, rows, error}`.

`rows` of a statement that returns rows (SELECT, ...) is the number of rows the script read from
its result (DB-API `rowcount` is -1 for a SELECT on SQLite and the whole result set on other
drivers, neither of which says what the script used). The rows are counted as SQLAlchemy hands them
out, by standing in for the result's fetch strategy: nothing is fetched that the script did not ask
for and the script sees the same rows. Such an entry is sent when its count is final — the result
was closed or exhausted (`.first()`, `.scalar()`, `.all()`, the end of a loop) or dropped, or the
run ended — and the entries after it wait, so the trace keeps the order the statements ran in. One
still open after `_PENDING_GRACE_S` (a paused debugger, a slow loop, a run about to time out) is
sent with `rows` null rather than held back: null means unknown, never a guess. INSERT / UPDATE /
DELETE keep the DB-API rowcount (null when the driver does not know it).
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from app.runtime.masking import MASK, Masker, sensitive_name
from app.runtime.protocol import MAX_SQL_ENTRIES

_VALUE_CAP = 300
_STATEMENT_CAP = 10_000
_MAX_PARAM_SETS = 50
_T0 = "_customdb_t0"
_PENDING = "_customdb_pending"  # on an execution context: the entry its result will count for
_TRACE_BYTES = 4 * 1024 * 1024
_PENDING_GRACE_S = 2.0  # how long an open result may hold its entry (and the ones after it) back
_WATCH_S = 0.1
_DML = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "UPSERT"})
_FIRST_WORD = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/|\()*(\w+)", re.DOTALL)


class _Entry:
    """One trace entry on its way out. `mode`: None (rows known when made), "read" (rows = what the
    script read) or "returning" (SQLite DML ... RETURNING: its rowcount grows as rows are read, so
    the count is trusted only once the result was read to its end)."""

    __slots__ = ("message", "mode", "count", "attached", "exhausted", "final", "gone", "since")

    def __init__(self, message: dict[str, Any], mode: str | None):
        self.message = message
        self.mode = mode
        self.count = 0
        self.attached = False  # a result is counting for it
        self.exhausted = False
        self.final = mode is None
        self.gone = False  # its result was dropped (set from __del__: no locks there)
        self.since = time.monotonic()

    def rows(self) -> int | None:
        if self.mode is None:
            return self.message["rows"]
        if not self.attached or not self.final:
            return None
        if self.mode == "returning" and not self.exhausted:
            return None
        return self.count


_NAMES: dict[object, bool] = {}  # parameter name -> sensitive_name(name)
_STATEMENTS: dict[str, tuple[str, bool]] = {}  # raw statement -> (stripped, starts with DML)
_CACHE_CAP = 2048


def _sensitive(name: object) -> bool:
    """`sensitive_name`, remembered per name: the same few parameter names come back every run."""
    hit = _NAMES.get(name)
    if hit is None:
        if len(_NAMES) >= _CACHE_CAP:
            _NAMES.clear()
        hit = _NAMES[name] = sensitive_name(name)
    return hit


def _statement(statement: str) -> tuple[str, bool]:
    """(stripped text, whether its first word is DML), worked out once per distinct statement."""
    hit = _STATEMENTS.get(statement)
    if hit is None:
        text = statement.strip()
        match = _FIRST_WORD.match(statement)
        if len(_STATEMENTS) >= _CACHE_CAP:
            _STATEMENTS.clear()
        hit = _STATEMENTS[statement] = (text, bool(match) and match.group(1).upper() in _DML)
    return hit


class RunTrace:
    """Per-run state: where entries go, what to mask, and the entries still waiting for a count."""

    def __init__(self, run_id: int, send: Callable[[dict[str, Any]], None], masker: Masker,
                 passwords: Iterable[str]):
        self.run_id = run_id
        self.send = send
        self.masker = masker
        self.passwords = frozenset(p for p in passwords if isinstance(p, str) and p)
        self.count = 0
        self.dropped = 0
        self.size = 0  # rough size of what was sent, so a statement flood stays small in both processes
        self._queue: deque[_Entry] = deque()
        self._lock = threading.RLock()
        self._finished = False

    def value(self, name: object, value: Any) -> Any:
        if value is None or isinstance(value, bool | int | float):
            return MASK if value is not None and not isinstance(value, bool) and _sensitive(name) else value
        if _sensitive(name):
            return MASK
        if isinstance(value, bytes | bytearray | memoryview):
            return f"<{len(value)} bytes>"
        text = value if isinstance(value, str) else str(value)
        if text in self.passwords:
            return MASK
        text = self.masker.text(text)
        return text if len(text) <= _VALUE_CAP else text[:_VALUE_CAP] + "…"

    def param_set(self, params: Any) -> Any:
        if isinstance(params, dict):
            return {str(k): self.value(k, v) for k, v in params.items()}
        if isinstance(params, list | tuple):
            return [self.value(None, v) for v in params]
        return self.value(None, params)

    def record(self, statement: str, params: Any, duration_ms: float | None, rows: int | None,
               error: str | None) -> None:
        """An entry whose row count is known now."""
        message = self._message(statement, params, duration_ms, rows, error)
        if message is None:
            return
        with self._lock:
            if not self._queue and not self._finished:  # nothing waits for a count ahead of it: out at once
                self.send(message)
                return
            self._enqueue(_Entry(message, None))

    def open(self, statement: str, params: Any, duration_ms: float | None, mode: str) -> _Entry | None:
        """An entry whose row count is known later (see `_Entry`); None when the trace is full."""
        message = self._message(statement, params, duration_ms, None, None)
        if message is None:
            return None
        entry = _Entry(message, mode)
        self._enqueue(entry)
        return entry

    def settle(self, entry: _Entry, *, exhausted: bool = False, error: str | None = None) -> None:
        """The entry's count is final (its result closed, ran out, or failed)."""
        with self._lock:
            if entry.final:
                return
            entry.exhausted = exhausted
            if error is not None:
                entry.message["error"] = self.masker.text(error)
                entry.attached = False
            entry.final = True
            self._flush_locked()

    def pending(self) -> bool:
        return bool(self._queue)

    def poll(self, now: float | None = None) -> None:
        """Send what became final (also results dropped meanwhile); an entry older than the grace
        period goes out with `rows` null instead of holding the trace back any longer."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._flush_locked()
            while self._queue and now - self._queue[0].since >= _PENDING_GRACE_S:
                head = self._queue[0]
                head.attached = False  # whatever it counts from now on arrives too late
                head.final = True
                self._flush_locked()

    def finish(self) -> None:
        """The run is over: every count is as final as it gets; send everything left."""
        with self._lock:
            self._finished = True
            for entry in self._queue:
                entry.final = True
            self._flush_locked()

    # -- internals -------------------------------------------------------------------------------
    def _message(self, statement: str, params: Any, duration_ms: float | None, rows: int | None,
                 error: str | None) -> dict[str, Any] | None:
        if self.count >= MAX_SQL_ENTRIES or self.size >= _TRACE_BYTES:
            self.dropped += 1
            return None
        self.count += 1
        statement = self.masker.text(_statement(statement)[0])
        if len(statement) > _STATEMENT_CAP:  # masked first: a cut never leaves half a secret
            statement = statement[:_STATEMENT_CAP] + "…"
        self.size += len(statement) + 64 * (len(params) if isinstance(params, dict | list) else 1)
        return {"type": "sql", "run": self.run_id, "statement": statement, "params": params,
                "duration_ms": None if duration_ms is None else round(duration_ms, 3),
                "rows": rows, "error": None if error is None else self.masker.text(error)}

    def _enqueue(self, entry: _Entry) -> None:
        with self._lock:
            if self._finished:
                return
            self._queue.append(entry)
            self._flush_locked()

    def _flush_locked(self) -> None:
        queue = self._queue
        while queue and (queue[0].final or queue[0].gone):
            entry = queue.popleft()
            entry.final = True
            entry.message["rows"] = entry.rows()
            self.send(entry.message)


class _CountingFetch:
    """Stands in for a CursorResult's fetch strategy: hands out exactly what the real one does and
    counts it. A close inside a fetch means the rows ran out; the count is settled after that fetch
    returned its rows. Dropping the result drops this object too, which settles the count."""

    __slots__ = ("_inner", "_entry", "_trace", "_fetching", "_closed")

    def __init__(self, inner: Any, entry: _Entry, trace: RunTrace):
        self._inner = inner
        self._entry = entry
        self._trace = trace
        self._fetching = False
        self._closed = False

    def __getattr__(self, name: str) -> Any:  # alternate_cursor_description, buffers, ...
        return getattr(self._inner, name)

    def _done(self) -> None:
        if self._closed:
            self._trace.settle(self._entry, exhausted=True)

    def fetchone(self, result: Any, dbapi_cursor: Any, hard_close: bool = False) -> Any:
        self._fetching = True
        try:
            row = self._inner.fetchone(result, dbapi_cursor, hard_close)
        finally:
            self._fetching = False
        if row is not None:
            self._entry.count += 1
        self._done()
        return row

    def fetchmany(self, result: Any, dbapi_cursor: Any, size: int | None = None) -> Any:
        self._fetching = True
        try:
            rows = self._inner.fetchmany(result, dbapi_cursor, size)
        finally:
            self._fetching = False
        self._entry.count += len(rows) if rows else 0
        self._done()
        return rows

    def fetchall(self, result: Any, dbapi_cursor: Any) -> Any:
        self._fetching = True
        try:
            rows = self._inner.fetchall(result, dbapi_cursor)
        finally:
            self._fetching = False
        self._entry.count += len(rows) if rows else 0
        self._done()
        return rows

    def _closing(self) -> None:
        if self._fetching:
            self._closed = True  # the rows ran out: settled once the fetch has been counted
        else:
            self._trace.settle(self._entry)  # closed by the script (or .first() / .scalar())

    def soft_close(self, result: Any, dbapi_cursor: Any) -> None:
        self._inner.soft_close(result, dbapi_cursor)
        self._closing()

    def hard_close(self, result: Any, dbapi_cursor: Any) -> None:
        self._inner.hard_close(result, dbapi_cursor)
        self._closing()

    def yield_per(self, result: Any, dbapi_cursor: Any, num: int) -> None:
        self._inner.yield_per(result, dbapi_cursor, num)
        if result.cursor_strategy is not self:  # the real strategy swapped itself for a buffered one
            self._inner = result.cursor_strategy
            result.cursor_strategy = self

    def handle_exception(self, result: Any, dbapi_cursor: Any, err: BaseException) -> Any:
        return self._inner.handle_exception(result, dbapi_cursor, err)

    def __del__(self) -> None:
        self._entry.gone = True  # no locks here: the next record or the watcher sends it


def _attach(result: Any, entry: _Entry, trace: RunTrace) -> None:
    """Make `result` count the rows it hands out into `entry`."""
    try:
        if getattr(result, "_soft_closed", True) or not result.returns_rows:
            trace.settle(entry)  # nothing left to read (or read already by SQLAlchemy): unknown
            return
        entry.attached = True
        result.cursor_strategy = _CountingFetch(result.cursor_strategy, entry, trace)
    except Exception:  # noqa: BLE001 - an unexpected result type: the count is unknown, the run goes on
        entry.attached = False
        trace.settle(entry)


def _is_dml(statement: str, context: Any) -> bool:
    if context is not None and (getattr(context, "isinsert", False) or getattr(context, "isupdate", False)
                                or getattr(context, "isdelete", False)):
        return True
    return _statement(statement)[1]


class SqlTracer:
    """Installs the class-level listeners once; `current` decides whether and where they report."""

    def __init__(self) -> None:
        self._current: RunTrace | None = None
        self._wake = threading.Event()
        self._watching = False

    @property
    def current(self) -> RunTrace | None:
        return self._current

    @current.setter
    def current(self, trace: RunTrace | None) -> None:
        self._current = trace
        if trace is not None and not self._wake.is_set():
            self._wake.set()  # the watcher polls while a run is traced

    def _listeners(self) -> tuple[tuple[str, Callable[..., Any]], ...]:
        return (("before_cursor_execute", self._before), ("after_cursor_execute", self._after),
                ("handle_error", self._error), ("begin", self._begin), ("commit", self._commit),
                ("rollback", self._rollback))

    def _listen(self, on: bool) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        for name, fn in self._listeners():
            if on:
                event.listen(Engine, name, fn)
            else:
                event.remove(Engine, name, fn)

    def install(self) -> None:
        self._listen(True)
        if not self._watching:  # started now, before any run, so a run never counts it as the script's
            self._watching = True
            threading.Thread(target=self._watch, name="customdb-sql-watch", daemon=True).start()

    def uninstall(self) -> None:
        self._listen(False)
        self._watching = False
        self._wake.set()

    @contextlib.contextmanager
    def suspended(self) -> Iterator[None]:
        """No listeners for a while that is never traced (the rehearsal's batch): SQLAlchemy then
        calls nothing of ours around each of its 200,000 statements (about 3% of its time)."""
        if self._current is not None:
            raise RuntimeError("the SQL trace cannot be suspended during a traced run")
        self._listen(False)
        try:
            yield
        finally:
            self._listen(True)

    def end_run(self) -> RunTrace | None:
        """Stop tracing and send what the run's trace still holds."""
        trace, self.current = self.current, None
        if trace is not None:
            trace.finish()
        return trace

    def _watch(self) -> None:
        """While a run is traced, send entries whose result was dropped and let an entry that
        waits too long go without its count (a few wake-ups a second; none between runs)."""
        while self._watching:
            self._wake.wait()
            trace = self._current
            if trace is None:
                self._wake.clear()
                if self._current is not None:
                    self._wake.set()
                continue
            time.sleep(_WATCH_S)
            if trace.pending():
                with contextlib.suppress(Exception):  # e.g. the parent went away: the main loop notices
                    trace.poll()

    # -- listeners ---------------------------------------------------------------------------------
    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self._current is not None:
            conn.info.setdefault(_T0, []).append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        trace = self._current
        if trace is None:
            return
        stack = conn.info.get(_T0)
        duration = (time.perf_counter() - stack.pop()) * 1000 if stack else None
        params = self._params(trace, parameters, context, executemany)
        rowcount = getattr(cursor, "rowcount", -1)
        rowcount = rowcount if isinstance(rowcount, int) and rowcount >= 0 else None
        if getattr(cursor, "description", None) is None:  # no rows come back: the DB-API count
            trace.record(statement, params, duration, rowcount, None)
            return
        main = (not executemany and context is not None and hasattr(context, "_setup_result_proxy")
                and statement == getattr(context, "statement", None))
        if _is_dml(statement, context):
            if conn.dialect.name != "sqlite":
                trace.record(statement, params, duration, rowcount, None)
            elif main:  # DML ... RETURNING on SQLite: rowcount is 0 until the rows are read
                self._count_result(trace, context, trace.open(statement, params, duration, "returning"))
            else:
                trace.record(statement, params, duration, None, None)
        elif main:
            self._count_result(trace, context, trace.open(statement, params, duration, "read"))
        else:  # a statement SQLAlchemy runs and reads itself (e.g. a sequence's next value)
            trace.record(statement, params, duration, None, None)

    @staticmethod
    def _count_result(trace: RunTrace, context: Any, entry: _Entry | None) -> None:
        """Have the result this execution is about to build count into `entry`: the context makes
        it right after this event, in `_setup_result_proxy`, wrapped here for this one context."""
        if entry is None:
            return
        try:
            state = context.__dict__
        except AttributeError:  # an execution context of an unusual dialect: the count stays unknown
            trace.settle(entry)
            return
        previous = state.get(_PENDING)
        if previous is not None:  # never got its result (SQLAlchemy read it itself): unknown
            previous[1].settle(previous[0])
        state[_PENDING] = (entry, trace)
        if "_setup_result_proxy" in state:
            return
        original = context._setup_result_proxy

        def setup_result_proxy() -> Any:
            result = original()
            state.pop("_setup_result_proxy", None)
            waiting = state.pop(_PENDING, None)
            if waiting is not None:
                _attach(result, *waiting)
            return result

        state["_setup_result_proxy"] = setup_result_proxy

    def _error(self, ctx) -> None:
        trace = self._current
        if trace is None or ctx.statement is None:
            return
        err = ctx.original_exception
        message = f"{type(err).__name__}: {err}".splitlines()[0][:500] if err is not None else "error"
        context = ctx.execution_context
        waiting = context.__dict__.pop(_PENDING, None) if context is not None else None
        if waiting is not None:  # it ran, then building its result failed
            waiting[1].settle(waiting[0], error=message)
            return
        duration = None
        if ctx.connection is not None:
            stack = ctx.connection.info.get(_T0)
            duration = (time.perf_counter() - stack.pop()) * 1000 if stack else None
        trace.record(ctx.statement, self._params(trace, ctx.parameters, ctx.execution_context,
                                                 False), duration, None, message)

    def _begin(self, conn) -> None:
        if self._current is not None:
            self._current.record("BEGIN", None, None, None, None)

    def _commit(self, conn) -> None:
        if self._current is not None:
            self._current.record("COMMIT", None, None, None, None)

    def _rollback(self, conn) -> None:
        if self._current is not None:
            self._current.record("ROLLBACK", None, None, None, None)

    def note(self, statement: str) -> None:
        """A pseudo-entry, e.g. a COMMIT the dry run held back."""
        if self._current is not None:
            self._current.record(statement, None, None, None, None)

    @staticmethod
    def _params(trace: RunTrace, parameters: Any, context: Any, executemany: bool) -> Any:
        compiled = getattr(context, "compiled", None) if context is not None else None
        sets = getattr(context, "compiled_parameters", None) if compiled is not None else None
        if sets:  # named, as the script wrote them (the DBAPI form may be positional)
            cleaned = [trace.param_set(s) for s in sets[:_MAX_PARAM_SETS]]
            if len(sets) == 1 and not executemany:
                return cleaned[0] or None
            return cleaned
        if parameters is None:
            return None
        if executemany and isinstance(parameters, list | tuple):
            return [trace.param_set(p) for p in list(parameters)[:_MAX_PARAM_SETS]]
        cleaned = trace.param_set(parameters)
        return cleaned or None
