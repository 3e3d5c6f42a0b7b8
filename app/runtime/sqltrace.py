"""The SQL trace of a run: every statement any engine sent (also engines the script made itself,
because the listeners sit on the Engine class), with masked parameters, duration, row count and
error, plus BEGIN / COMMIT / ROLLBACK from the connection events.

Each entry is streamed to the parent as it happens: `{statement, params, duration_ms, rows, error}`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from app.runtime.masking import MASK, Masker, sensitive_name
from app.runtime.protocol import MAX_SQL_ENTRIES

_VALUE_CAP = 300
_STATEMENT_CAP = 10_000
_MAX_PARAM_SETS = 50
_T0 = "_customdb_t0"
_TRACE_BYTES = 4 * 1024 * 1024


class RunTrace:
    """Per-run state: where entries go and what to mask."""

    def __init__(self, run_id: int, send: Callable[[dict[str, Any]], None], masker: Masker,
                 passwords: Iterable[str]):
        self.run_id = run_id
        self.send = send
        self.masker = masker
        self.passwords = frozenset(p for p in passwords if isinstance(p, str) and p)
        self.count = 0
        self.dropped = 0
        self.size = 0  # rough size of what was sent, so a statement flood stays small in both processes

    def value(self, name: object, value: Any) -> Any:
        if value is None or isinstance(value, bool | int | float):
            return MASK if sensitive_name(name) and value is not None and not isinstance(value, bool) else value
        if sensitive_name(name):
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
        if self.count >= MAX_SQL_ENTRIES or self.size >= _TRACE_BYTES:
            self.dropped += 1
            return
        self.count += 1
        statement = self.masker.text(statement.strip())
        if len(statement) > _STATEMENT_CAP:
            statement = statement[:_STATEMENT_CAP] + "…"
        self.size += len(statement) + 64 * (len(params) if isinstance(params, dict | list) else 1)
        self.send({"ev": "sql", "run": self.run_id, "statement": statement, "params": params,
                   "duration_ms": None if duration_ms is None else round(duration_ms, 3),
                   "rows": rows, "error": None if error is None else self.masker.text(error)})


class SqlTracer:
    """Installs the class-level listeners once; `current` decides whether and where they report."""

    def __init__(self) -> None:
        self.current: RunTrace | None = None

    def install(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)
        event.listen(Engine, "handle_error", self._error)
        event.listen(Engine, "begin", self._begin)
        event.listen(Engine, "commit", self._commit)
        event.listen(Engine, "rollback", self._rollback)

    def uninstall(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        for name, fn in (("before_cursor_execute", self._before), ("after_cursor_execute", self._after),
                         ("handle_error", self._error), ("begin", self._begin), ("commit", self._commit),
                         ("rollback", self._rollback)):
            event.remove(Engine, name, fn)

    # -- listeners ---------------------------------------------------------------------------------
    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.current is not None:
            conn.info.setdefault(_T0, []).append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        trace = self.current
        if trace is None:
            return
        stack = conn.info.get(_T0)
        duration = (time.perf_counter() - stack.pop()) * 1000 if stack else None
        rows = getattr(cursor, "rowcount", -1)
        trace.record(statement, self._params(trace, parameters, context, executemany), duration,
                     rows if isinstance(rows, int) and rows >= 0 else None, None)

    def _error(self, ctx) -> None:
        trace = self.current
        if trace is None or ctx.statement is None:
            return
        duration = None
        if ctx.connection is not None:
            stack = ctx.connection.info.get(_T0)
            duration = (time.perf_counter() - stack.pop()) * 1000 if stack else None
        err = ctx.original_exception
        message = f"{type(err).__name__}: {err}".splitlines()[0][:500] if err is not None else "error"
        trace.record(ctx.statement, self._params(trace, ctx.parameters, ctx.execution_context,
                                                 False), duration, None, message)

    def _begin(self, conn) -> None:
        if self.current is not None:
            self.current.record("BEGIN", None, None, None, None)

    def _commit(self, conn) -> None:
        if self.current is not None:
            self.current.record("COMMIT", None, None, None, None)

    def _rollback(self, conn) -> None:
        if self.current is not None:
            self.current.record("ROLLBACK", None, None, None, None)

    def note(self, statement: str) -> None:
        """A pseudo-entry, e.g. a COMMIT the dry run held back."""
        if self.current is not None:
            self.current.record(statement, None, None, None, None)

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
