"""One run inside the child: load the script from the text it was sent, inject the globals, call
the entry with the arguments it was sent, report what happened (docs/protocol.md).

Order of the events a run sends: log, sql and call events as they happen, then exactly one `done`
(after the output pipes are drained, so nothing of this run reaches the next one). What the run
means (outcome, findings, log event) is the parent's to decide (app/domain/hosted.py).
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from app.domain.entry import Entry, find_entry
from app.domain.findings import Finding, finding
from app.domain.scripts import ScriptKind, kind
from app.runtime.answer import Callback, describe_exception, error_object, frames, jsonable
from app.runtime.capture import Capture, Channel, RunOutput
from app.runtime.dry_run import HELD_COMMIT, DryRunGuard, end_dry_run, install_engine_guard
from app.runtime.masking import Masker
from app.runtime.namespace import DryRunConnection, injected, make_engine, module_globals, script_logger
from app.runtime.postmortem import add_sources, describe_failure
from app.runtime.protocol import DEFAULT_LOG_CAP
from app.runtime.sqltrace import RunTrace, SqlTracer

_CACHE_SIZE = 32
_THREAD_POLL_S = 0.02


def _paused_seconds() -> float:
    """The debugger's paused time so far (0 when no debugger was ever loaded: ordinary runs)."""
    debugger = sys.modules.get("app.runtime.debugger")
    return debugger.paused_seconds() if debugger is not None else 0.0


class ScriptLoadError(Exception):
    """The script cannot load: syntax error or no entry."""

    def __init__(self, error: dict[str, Any], found: Finding):
        super().__init__(error["message"])
        self.error = error
        self.finding = found


class _Fatal(Exception):
    """The script ended the process (sys.exit) or ran out of memory: reported as `crashed`."""

    def __init__(self, error: dict[str, Any], exit_code: int, stage: str):
        super().__init__(error["message"])
        self.error = error
        self.exit_code = exit_code
        self.stage = stage  # the `done` failure's stage: exit | memory


class ScriptRunner:
    """The container's state (global_, engines, compiled scripts) and the run procedure."""

    def __init__(self, channel: Channel, output: RunOutput, capture: Capture, handler: Any):
        self.channel = channel
        self.output = output
        self.capture = capture
        self.global_: dict[str, Any] = {}
        self.engines: dict[str, Engine] = {}
        self.tracer = SqlTracer()
        self.tracer.install()
        install_engine_guard()  # a dry run also covers the engines a script makes itself
        self.log = script_logger(handler)
        self._compiled: dict[tuple[str, str, str], tuple[Any, Entry]] = {}
        self._masker: tuple[tuple[str, ...], Masker] = ((), Masker(()))
        self._pending = False

    def warm_up(self) -> None:
        """Make the first real run cheap: load the SQLite dialect and SQLAlchemy's statement paths."""
        engine = make_engine("sqlite://")
        with engine.connect() as conn:
            conn.execute(text("SELECT :x"), {"x": 1}).first()
        engine.dispose()

    # -- loading -----------------------------------------------------------------------------------
    def load(self, key: str, k: ScriptKind, source: str, filename: str) -> tuple[Any, Entry]:
        cache_key = (key, filename, source)
        hit = self._compiled.get(cache_key)
        if hit is not None:
            return hit
        try:
            tree = ast.parse(source, filename=filename)
            code = compile(tree, filename, "exec")
        except (SyntaxError, ValueError) as e:
            line = getattr(e, "lineno", None)
            message = getattr(e, "msg", None) or str(e)
            error = {"type": type(e).__name__, "message": message,
                     "traceback": [{"function": "<module>", "file": filename, "line": line, "library": False}]}
            raise ScriptLoadError(error, finding("syntax-error", message, key, line)) from None
        entry = find_entry(tree, k)
        if entry is None:
            message = (f"no entry function: define `def {k.python_name}({', '.join(k.python_signature())})` "
                       "(or keep exactly one top-level function)")
            raise ScriptLoadError({"type": "MissingEntry", "message": message, "traceback": []},
                           finding("missing-entry", message, key))
        if len(self._compiled) >= _CACHE_SIZE:
            self._compiled.clear()
        self._compiled[cache_key] = (code, entry)
        return code, entry

    def masker(self, secrets: list[str]) -> Masker:
        """The Masker of these secrets: the last one is kept, as the secrets rarely change between
        runs and a Masker compiles a pattern of them."""
        key = tuple(secrets)
        if self._masker[0] != key:
            self._masker = (key, Masker(secrets))
        return self._masker[1]

    def _engine(self, url: str) -> Engine:
        engine = self.engines.get(url)
        if engine is None:
            engine = self.engines[url] = make_engine(url)
        return engine

    # -- one run -----------------------------------------------------------------------------------
    def run(self, command: dict[str, Any], wrap: Callable[..., Any] | None = None) -> int | None:
        """Run one `run` command; returns an exit code when the child must end afterwards. `wrap`
        (the debugger) is called as wrap(call, *arguments) instead of call(*arguments) around the
        module's execution and the entry's call."""
        run_id = int(command["run"])
        arguments = [(str(a.get("name")), a.get("value")) for a in command.get("arguments") or ()
                     if isinstance(a, dict)]
        secrets = [s for s in command.get("secrets") or () if isinstance(s, str)]
        masker = self.masker(secrets)
        passwords = [v for n, v in arguments if n in ("password", "new_password") and isinstance(v, str)]
        limits = command.get("limits") or {}
        self.output.start(run_id, int(limits.get("log_bytes") or DEFAULT_LOG_CAP), masker)
        trace = RunTrace(run_id, self.channel.post, masker, passwords)
        self.channel.streaming(True)
        self.tracer.current = trace
        limit = sys.getrecursionlimit()
        exit_code: int | None = None
        try:
            report = self._run(command, run_id, arguments, masker, passwords, wrap)
        except _Fatal as fatal:
            report = _report(failure={"stage": fatal.stage, "error": fatal.error})
            exit_code = fatal.exit_code
        finally:
            end_dry_run()
            self.tracer.end_run()  # entries still waiting for their row count go out now
            sys.setrecursionlimit(limit)
            self.capture.reinstall()
        if trace.dropped:
            self.output.emit("stderr", f"[SQL trace truncated: {trace.dropped} more statements were not traced]")
        failure = report.get("failure")
        for error in (report.get("thrown"), failure.get("error") if failure else None):
            add_sources(error, command.get("filename") or "", command.get("source") or "", masker)
        self.capture.finish_run()
        self.output.stop()
        self.channel.streaming(False)
        self.channel.send({"type": "done", "run": run_id, **report, "exit": exit_code is not None})
        return exit_code

    def _run(self, command: dict[str, Any], run_id: int, arguments: list[tuple[str, Any]], masker: Masker,
             passwords: list[str], wrap: Callable[..., Any] | None) -> dict[str, Any]:
        key = command["script"]
        k = kind(key)
        filename = command["filename"]
        commit = bool(command.get("commit"))
        try:
            code, entry = self.load(key, k, command["source"], filename)
        except ScriptLoadError as invalid:
            return _report(failure={"stage": "load", "error": invalid.error, "code": invalid.finding.code,
                                    "line": invalid.finding.line})
        report = _report(entry_line=entry.line)
        callback = Callback(run_id, filename, masker, passwords, self.channel.post, command["source"])
        try:
            db = self._connect(command["database_url"], commit)
        except Exception as e:  # noqa: BLE001 - any driver error is the user's to read
            report["failure"] = {"stage": "connect", "error": describe_exception(e, filename, masker)}
            return report

        guard = None if commit else DryRunGuard(self.tracer.note, lambda line: self.output.emit("stderr", line))
        if guard is not None:
            guard.start()
        paused = _paused_seconds()
        started = time.perf_counter()
        try:
            if wrap is None:
                returned = self._call(code, entry, k, command, arguments, db, callback)
            else:
                returned = wrap(self._call, code, entry, k, command, arguments, db, callback)
            report["returned"] = None if inspect.isawaitable(returned) else jsonable(returned)
        except (SystemExit, MemoryError) as e:
            with contextlib.suppress(Exception):
                if guard is not None:
                    guard.end()
                self._close(db, commit=False)
            raise _Fatal(*self._fatal(e, filename, masker)) from None
        except BaseException as e:  # noqa: BLE001 - the script's exception is the run's to report
            report["thrown"] = error_object(e, describe_failure(e, filename, masker, passwords))
        # the script's own time: not what it spent paused at debugger stops
        report["duration_ms"] = round((time.perf_counter() - started - (_paused_seconds() - paused)) * 1000, 3)
        report["pending"] = self._pending
        if guard is not None:
            guard.end()  # roll back what the script's own connections wrote
        try:
            report["committed"] = self._close(db, commit)
        except Exception as e:  # noqa: BLE001 - e.g. a deferred constraint failing at COMMIT
            report["failure"] = {"stage": "commit", "error": describe_exception(e, filename, masker)}
        return report

    def _connect(self, url: str, commit: bool) -> Connection:
        engine = self._engine(url)
        if commit:
            return engine.connect()
        db = DryRunConnection(engine)
        db._on_held_commit = lambda: self.tracer.note(HELD_COMMIT)
        db.begin()
        return db

    @staticmethod
    def _close(db: Connection, commit: bool) -> bool:
        """End the run's transaction; True when something was committed."""
        if db.closed:
            return False
        committed = False
        try:
            if db.in_transaction():
                if commit:
                    db.commit()  # a failure here is the run's error: the user asked for these writes
                    committed = True
                else:
                    try:
                        db.rollback()
                    except Exception:  # noqa: BLE001 - e.g. the server dropped the connection: nothing was committed
                        db.invalidate()
            elif commit:
                committed = True  # the script committed its own transaction
        finally:
            with contextlib.suppress(Exception):
                db.close()
        return committed

    def _call(self, code: Any, entry: Entry, k: ScriptKind, command: dict[str, Any],
              arguments: list[tuple[str, Any]], db: Connection, callback: Callback) -> Any:
        """Execute the module, call the entry, wait while what it started may still call callback;
        returns what the entry returned."""
        names = injected(command.get("configuration") or {}, self.global_, db, self.log)
        g = module_globals(names, command["filename"], k.key)
        before = set(threading.enumerate())
        self._pending = False
        exec(code, g)  # noqa: S102 - running the user's script is this module's job
        fn = g.get(entry.name)
        if not callable(fn):
            raise TypeError(f"the entry {entry.name!r} is not callable")
        value = fn(*[v for _, v in arguments], callback)
        if inspect.isawaitable(value):
            self._await(value, callback, before)
        else:
            _wait_for_threads(callback, before)
        self._pending = bool(_script_threads(before))
        return value

    @staticmethod
    def _await(awaitable: Any, callback: Callback, before: set[threading.Thread]) -> None:
        """Run an async entry; keep the loop going while its tasks may still call callback."""
        import asyncio

        loop = asyncio.new_event_loop()
        try:
            answered = callback.attach_loop(loop)

            async def main() -> None:
                await awaitable

            loop.run_until_complete(main())
            while not callback.called.is_set():
                pending = {t for t in asyncio.all_tasks(loop) if not t.done()}
                if pending:
                    loop.run_until_complete(asyncio.wait(pending | {answered},
                                                         return_when=asyncio.FIRST_COMPLETED))
                elif _script_threads(before):
                    callback.called.wait(_THREAD_POLL_S)
                else:
                    break
        finally:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    @staticmethod
    def _fatal(e: BaseException, filename: str, masker: Masker) -> tuple[dict[str, Any], int]:
        if isinstance(e, SystemExit):
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            message = (f"the script called sys.exit({e.code!r}); on the hosted platform this ends the "
                       "container, so this one was recycled too")
        else:
            code = 70
            message = "the script ran out of memory (MemoryError); the container was recycled"
        return ({"type": type(e).__name__, "message": masker.text(message),
                 "traceback": frames(e.__traceback__, filename)}, code,
                "exit" if isinstance(e, SystemExit) else "memory")


def _script_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t not in before]


def _wait_for_threads(callback: Callback, before: set[threading.Thread]) -> None:
    """The entry returned without answering: wait while threads it started may still answer.
    The parent's time limit bounds this wait."""
    while not callback.called.is_set() and _script_threads(before):
        callback.called.wait(_THREAD_POLL_S)


def _report(**fields: Any) -> dict[str, Any]:
    """The fields of a `done` event (docs/protocol.md), defaults first."""
    return {"returned": None, "thrown": None, "pending": False, "committed": False, "duration_ms": None,
            "entry_line": None, "failure": None, **fields}
