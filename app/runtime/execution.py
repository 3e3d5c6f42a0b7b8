"""One run inside the child: load the script from the text it was sent, inject the globals, call
the entry with the kind's arguments, enforce the callback rules, report one `done` event.

Order of the events a run sends: log and sql lines as they happen, then exactly one `done`
(after the output pipes are drained, so nothing of this run reaches the next one).
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import sys
import threading
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from app.domain.entry import Entry, find_entry
from app.domain.findings import Finding, finding
from app.domain.outcome import classify
from app.domain.scripts import ScriptKind, kind
from app.runtime.answer import Callback, describe_exception, frames, safe_str
from app.runtime.capture import Capture, Channel, RunOutput
from app.runtime.dry_run import HELD_COMMIT, DryRunGuard, end_dry_run, install_engine_guard
from app.runtime.masking import Masker
from app.runtime.namespace import DryRunConnection, injected, make_engine, module_globals, script_logger
from app.runtime.postmortem import add_sources, describe_failure
from app.runtime.protocol import DEFAULT_LOG_CAP, TIMEOUT_MESSAGE
from app.runtime.sqltrace import RunTrace, SqlTracer

_CACHE_SIZE = 32
_THREAD_POLL_S = 0.02


class _Invalid(Exception):
    """The script cannot load: syntax error or no entry."""

    def __init__(self, error: dict[str, Any], found: Finding):
        super().__init__(error["message"])
        self.error = error
        self.finding = found


class _Fatal(Exception):
    """The script ended the process (sys.exit) or ran out of memory: reported as `crashed`."""

    def __init__(self, error: dict[str, Any], exit_code: int):
        super().__init__(error["message"])
        self.error = error
        self.exit_code = exit_code


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

    def warm_up(self) -> None:
        """Make the first real run cheap: load the SQLite dialect and SQLAlchemy's statement paths."""
        engine = make_engine("sqlite://")
        with engine.connect() as conn:
            conn.execute(text("SELECT :x"), {"x": 1}).first()
        engine.dispose()

    # -- loading -----------------------------------------------------------------------------------
    def _load(self, key: str, k: ScriptKind, source: str, filename: str) -> tuple[Any, Entry]:
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
            raise _Invalid(error, finding("syntax-error", message, key, line)) from None
        entry = find_entry(tree, k)
        if entry is None:
            message = (f"no entry function: define `def {k.python_name}({', '.join(k.python_signature())})` "
                       "(or keep exactly one top-level function)")
            raise _Invalid({"type": "MissingEntry", "message": message, "traceback": []},
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
    def run(self, command: dict[str, Any]) -> int | None:
        """Run one command; returns an exit code when the child must end afterwards."""
        run_id = int(command["run"])
        args = command.get("args") or {}
        secrets = [s for s in command.get("secrets") or () if isinstance(s, str)]
        masker = self.masker(secrets)
        passwords = [args.get(p) for p in ("password", "new_password") if isinstance(args.get(p), str)]
        self.output.start(run_id, int(command.get("log_cap") or DEFAULT_LOG_CAP), masker)
        trace = RunTrace(run_id, self.channel.post, masker, passwords)
        self.channel.streaming(True)
        self.tracer.current = trace
        limit = sys.getrecursionlimit()
        exit_code: int | None = None
        try:
            report = self._run(command, masker, secrets, passwords)
        except _Fatal as fatal:
            report = {"outcome": "crashed", "result": None, "error": fatal.error, "findings": [],
                      "log_event": None, "duration_ms": None, "committed": False}
            exit_code = fatal.exit_code
        finally:
            end_dry_run()
            self.tracer.end_run()  # entries still waiting for their row count go out now
            sys.setrecursionlimit(limit)
            self.capture.reinstall()
        if trace.dropped:
            self.output.emit("stderr", f"[SQL trace truncated: {trace.dropped} more statements were not traced]")
        add_sources(report.get("error"), command.get("filename") or "", command.get("source") or "", masker)
        self.capture.finish_run()
        self.output.stop()
        self.channel.streaming(False)
        self.channel.send({"ev": "done", "run": run_id, **report, "exit": exit_code is not None})
        return exit_code

    def _run(self, command: dict[str, Any], masker: Masker, secrets: list[str],
             passwords: list[str]) -> dict[str, Any]:
        key = command["key"]
        k = kind(key)
        filename = command["filename"]
        args = command.get("args") or {}
        commit = bool(command.get("commit"))
        report: dict[str, Any] = {"outcome": "error", "result": None, "error": None, "findings": [],
                                  "log_event": None, "duration_ms": None, "committed": False}
        try:
            code, entry = self._load(key, k, command["source"], filename)
        except _Invalid as invalid:
            report.update(outcome="invalid", error=invalid.error, findings=[invalid.finding.to_dict()])
            return report

        callback = Callback(key, filename, masker, secrets, passwords, bool(command.get("requires_username")))
        try:
            db = self._connect(command["database_url"], commit)
        except Exception as e:  # noqa: BLE001 - any driver error is the user's to read
            error = describe_exception(e, filename, masker)
            error["message"] = f"could not connect to the legacy database: {error['message']}"
            report.update(error=error)
            return report

        guard = None if commit else DryRunGuard(self.tracer.note, lambda line: self.output.emit("stderr", line))
        if guard is not None:
            guard.start()
        started = time.perf_counter()
        uncaught: BaseException | None = None
        try:
            self._call(code, entry, k, command, args, db, callback)
        except (SystemExit, MemoryError) as e:
            with contextlib.suppress(Exception):
                if guard is not None:
                    guard.end()
                self._close(db, commit=False)
            raise _Fatal(*self._fatal(e, filename, masker)) from None
        except BaseException as e:  # noqa: BLE001 - the script's exception is the run's result
            uncaught = e
        duration = (time.perf_counter() - started) * 1000

        findings = list(callback.findings)
        twice = callback.twice_finding()
        if twice:
            findings.append(twice)
        if callback.answer is not None:
            verdict = classify(key, callback.answer)
            findings.extend(verdict.findings)
            report.update(outcome=verdict.outcome, log_event=verdict.log_event, error=callback.error,
                          result=callback.answer.result if callback.answer.error_kind is None else None)
            if uncaught is not None:
                tb = "".join(_format_exception(uncaught, filename))
                self.output.emit("stderr", masker.text(f"uncaught exception after callback was called:\n{tb}"))
        elif uncaught is not None:
            report.update(outcome="error", error=describe_failure(uncaught, filename, masker, passwords))
        else:
            timeout_s = command.get("timeout_s") or 20
            message = ("the entry returned without calling callback and nothing it started is still running; "
                       f"the hosted platform would wait for its time limit ({timeout_s:g} s) and then fail with "
                       f"'{TIMEOUT_MESSAGE}'")
            findings.append(finding("callback-not-called", message, key, entry.line))
            report.update(outcome="timeout", error={"type": "CallbackNotCalled", "message": message,
                                                    "traceback": []})
        report["duration_ms"] = round(duration, 3)
        if guard is not None:
            guard.end()  # roll back what the script's own connections wrote
        try:
            report["committed"] = self._close(db, commit)
        except Exception as e:  # noqa: BLE001 - e.g. a deferred constraint failing at COMMIT
            report.update(outcome="error", error=describe_exception(e, filename, masker), committed=False)
        report["findings"] = [masker.data(f.to_dict()) for f in findings]
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

    def _call(self, code: Any, entry: Entry, k: ScriptKind, command: dict[str, Any], args: dict[str, Any],
              db: Connection, callback: Callback) -> None:
        names = injected(command.get("configuration") or {}, self.global_, db, self.log)
        g = module_globals(names, command["filename"], k.key)
        before = set(threading.enumerate())
        exec(code, g)  # noqa: S102 - running the user's script is this module's job
        fn = g.get(entry.name)
        if not callable(fn):
            raise TypeError(f"the entry {entry.name!r} is not callable")
        positional = [args.get(p) for p in k.params]
        if command.get("context_enabled"):
            positional.append({} if k.always_empty_context else (command.get("context") or {}))
        positional.append(callback)
        value = fn(*positional)
        if inspect.isawaitable(value):
            self._await(value, callback, before)
        else:
            _wait_for_threads(callback, before)

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
        return {"type": type(e).__name__, "message": masker.text(message),
                "traceback": frames(e.__traceback__, filename)}, code


def _script_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t not in before]


def _wait_for_threads(callback: Callback, before: set[threading.Thread]) -> None:
    """The entry returned without answering: wait while threads it started may still answer.
    The parent's time limit bounds this wait."""
    while not callback.called.is_set() and _script_threads(before):
        callback.called.wait(_THREAD_POLL_S)


def _format_exception(e: BaseException, filename: str) -> list[str]:
    lines = [f"  File \"{f['file']}\", line {f['line']}, in {f['function']}\n" for f in frames(e.__traceback__, filename)]
    return ["Traceback (most recent call last):\n", *lines, f"{type(e).__name__}: {safe_str(e)}\n"]
