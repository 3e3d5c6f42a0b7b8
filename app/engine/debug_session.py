"""`DebugSession`: drive the step debugger of a project's container from the parent (no Qt).

Blocking API for a worker thread, like `RunnerClient.run`: `start()` sends the `debug` command,
`wait_stop()` returns the next `Stop` (paused) or `Finished` (the run's `RunResult`); while
paused, `variables()`, `expand()`, `evaluate()` and `watches()` are answered inline by the child
and `continue_()`, `step_over()`, `step_into()`, `step_out()`, `run_to_cursor()`, `stop()`
resume it (each may carry the full breakpoint set). The time limit counts running time only:
the clock stops while the script is paused.

A session holds the container's run lock from `start()` until the run finishes, so no other run
can reach a paused child. `close()` (also called by `RunnerClient.close()` / `recycle()`) never
leaves a child paused: it stops a paused script cleanly, or kills a running one.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.domain.sqlrules import trace_findings
from app.engine.child import Child, ChildStartError
from app.engine.node import project_language
from app.engine.run_inputs import RunInputError, build_arguments, configuration_for, read_script
from app.engine.runner import (
    RunnerClient,
    RunResult,
    _dedupe,
    _finding,
    _mask_data,
    _mask_text,
    _masked,
)
from app.engine.trust import require_trusted
from app.runtime.debugger import BreakpointError, parse_breakpoints

__all__ = ["DebugSession", "DebugSessionError", "Stop", "Finished", "breakpoint_spec"]

_PARENT_LOG_SLACK = 64 * 1024
_STOP_GRACE_S = 5.0  # a stopped script gets this long to unwind before its child is killed


class DebugSessionError(RuntimeError):
    """A call that does not fit the session's state (e.g. stepping while the script runs)."""


@dataclass
class Stop:
    """The script is paused. `stack[0]` is the current frame; library frames have library=True."""

    reason: str  # breakpoint | step | exception
    file: str
    line: int
    function: str
    stack: list[dict[str, Any]] = field(default_factory=list)
    variables: list[dict[str, Any]] = field(default_factory=list)
    watches: list[dict[str, Any]] = field(default_factory=list)
    exception: dict[str, Any] | None = None
    condition_error: str | None = None

    @property
    def locals(self) -> dict[str, str]:
        """The current frame's names and capped, masked reprs."""
        return {v["name"]: v["repr"] for v in self.variables}

    def to_dict(self) -> dict[str, Any]:
        """One stop as `customdb debug --json` records it."""
        return {"reason": self.reason, "file": self.file, "line": self.line, "function": self.function,
                "locals": self.locals}


@dataclass
class Finished:
    """The run ended (normally, with an error, stopped, timed out or crashed)."""

    result: RunResult


def breakpoint_spec(text: str) -> dict[str, Any]:
    """`"LINE"`, `"LINE if COND"` (and `"LINE hit N"`) as the wire form of one breakpoint.
    Raises BreakpointError with a message fit for the user."""
    raw = text.strip()
    head, _, condition = raw.partition(" if ")
    head, _, hit = head.partition(" hit ")
    try:
        line = int(head.strip())
    except ValueError:
        raise BreakpointError(f"a breakpoint is LINE or \"LINE if CONDITION\", not {text!r}") from None
    spec: dict[str, Any] = {"line": line}
    if condition.strip():
        spec["condition"] = condition.strip()
    if hit.strip():
        spec["hit"] = hit.strip()
    parse_breakpoints([spec])  # validates line, condition syntax and hit count
    return spec


class DebugSession:
    """One debug run in `client`'s container. Thread-safe `close()`; the rest from one thread."""

    def __init__(self, client: RunnerClient):
        self.client = client
        self.state = "new"  # new | running | paused | finished
        self.result: RunResult | None = None
        self._child: Child | None = None
        self._command: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._reading = False
        self._user_stop = False
        self._closed = False
        self._req = 0
        self._logs: list[dict[str, str]] = []
        self._sql: list[dict[str, Any]] = []
        self._log_size = 0
        self._secrets: frozenset[str] = frozenset()
        self._on_event: Callable[[dict[str, Any]], None] | None = None
        self._timeout = 20.0
        self._left = 20.0  # running time left; only spent while the script runs
        self._started = 0.0
        self._static: list = []
        self._pending: list[dict[str, Any]] = []  # events of a batch not handled yet

    # -- start -------------------------------------------------------------------------------------
    def start(self, key: str, input: Mapping[str, Any] | None = None,  # noqa: A002
              breakpoints: Iterable[Any] = (), *, stop_on_entry: bool = False,
              step_into_libraries: bool = False, break_on_callback_error: bool = False,
              break_on_uncaught: bool = True, watches: Iterable[str] = (), commit: bool = False,
              timeout: float | None = None, source: str | None = None, database: str | None = None,
              on_event: Callable[[dict[str, Any]], None] | None = None) -> None:
        """Send the `debug` command. Input problems raise RunInputError / BreakpointError (and the
        secrets module's errors) before anything starts."""
        if self.state != "new":
            raise DebugSessionError("a DebugSession runs once; make a new one")
        client = self.client
        k = client._kind(key)
        if project_language(client.project) == "javascript":
            raise RunInputError("the step debugger runs Python scripts only for now; run the JavaScript script "
                                "(customdb run) and read its log lines, error frames and SQL trace")
        require_trusted(client.project)  # restricted mode (app/engine/trust.py)
        if source is None:
            path = client.project.script_path(key)
            if not path.is_file():
                raise RunInputError(f"{path} does not exist; create it or pick another script")
            source = read_script(path)
        bps = [_wire(b) for b in breakpoints]
        parse_breakpoints(bps)
        arguments, context = build_arguments(k, input, client.project.context_object)
        config = configuration_for(client.project)
        url, db_password = client._url(database)  # the database password is masked like a secret
        self._secrets = frozenset(config.secret_values) | ({db_password} if db_password else frozenset())
        self._static = client._lint(key, source)
        self._timeout = self._left = float(timeout if timeout is not None else client.project.timeout_s)
        self._on_event = on_event
        client.debug_session = self  # before waiting for the lock: a close() meanwhile must reach us
        client._run_lock.acquire()
        try:
            if self._closed:
                raise DebugSessionError("the session was closed before it started")
            client._stopping = False
            client._active = True  # client.stop() ends a debug run like a run
            client._run_counter += 1
            self._command = {
                "cmd": "debug", "run": client._run_counter, "key": key,
                "filename": client._filename(key), "source": source,
                "args": arguments, "context": context, "context_enabled": client.project.context_object,
                "commit": bool(commit), "configuration": dict(config.values), "secrets": sorted(self._secrets),
                "database_url": url, "log_cap": client.log_cap, "timeout_s": self._timeout,
                "requires_username": client.project.requires_username,
                "breakpoints": bps, "stop_on_entry": bool(stop_on_entry),
                "step_into_libraries": bool(step_into_libraries),
                "break_on_callback_error": bool(break_on_callback_error),
                "break_on_uncaught": bool(break_on_uncaught), "watches": [str(w) for w in watches],
            }
            self._started = time.perf_counter()
            try:
                self._child = client._acquire()
            except ChildStartError as e:
                client._set_state("dead")
                self._finish(RunResult(key, "crashed", error={"type": "ChildStartError", "message": str(e),
                                                             "traceback": []}, findings=self._static))
                return
            client._set_state("running")
            with self._lock:
                if self._closed:
                    raise DebugSessionError("the session was closed before it started")
                self.state = "running"
            self._child.send(self._command)
        except BaseException:
            if self.state != "finished":
                self._release()
            raise

    # -- waiting -----------------------------------------------------------------------------------
    def wait_stop(self) -> Stop | Finished:
        """Block until the script pauses or the run ends."""
        if self.state == "finished":
            return Finished(self.result)
        if self.state != "running":
            raise DebugSessionError(f"the script is {self.state}: resume it before waiting")
        with self._lock:
            self._reading = True
        try:
            return self._read_until_stop()
        finally:
            with self._lock:
                self._reading = False

    def _read_until_stop(self) -> Stop | Finished:
        child, key, run_id = self._child, self._command["key"], self._command["run"]
        try:
            while True:
                if self._pending:
                    message = self._pending.pop(0)
                else:
                    began = time.monotonic()
                    received = child.receive(self._left)
                    self._left -= time.monotonic() - began
                    if received is None:
                        return self._finish(self.client._timed_out(child, key, self._timeout, self._logs,
                                                                   self._sql, self._started))
                    self._pending.extend(_events(received))
                    continue
                if message.get("run") != run_id:
                    continue
                event = message.get("ev")
                if event == "paused":
                    self.state = "paused"
                    stop = _stop(_mask_data(message, self._secrets))
                    self._emit({"type": "paused", "stop": stop})
                    return stop
                if event == "done":
                    return self._finish(self._done(message))
                self._output(message)
        except (EOFError, OSError):
            if self._user_stop:
                self.client._stopping = True
            return self._finish(self.client._died(child, key, self._logs, self._sql, self._started))

    def _output(self, message: dict[str, Any]) -> None:
        event = message.get("ev")
        if event == "log":
            text = str(message.get("text", ""))
            self._log_size += len(text) + 1
            if self._log_size > self.client.log_cap + _PARENT_LOG_SLACK:
                return
            line = {"stream": str(message.get("stream", "stdout")), "text": _mask_text(text, self._secrets)}
            self._logs.append(line)
            self._emit({"type": "log", **line})
        elif event == "sql":
            entry = _mask_data({k: message.get(k) for k in ("statement", "params", "duration_ms", "rows", "error")},
                               self._secrets)
            self._sql.append(entry)
            self._emit({"type": "sql", **entry})

    def _emit(self, event: dict[str, Any]) -> None:
        """Hand an event to on_event; a callback that fails is dropped rather than ending the run."""
        if self._on_event is not None:
            try:
                self._on_event(event)
            except Exception:  # noqa: BLE001 - the viewer's problem must not become the run's
                self._on_event = None

    def _done(self, message: dict[str, Any]) -> RunResult:
        key = self._command["key"]
        result = RunResult(key, message.get("outcome", "error"), message.get("result"), message.get("error"),
                           [_finding(f) for f in message.get("findings") or ()], self._logs, self._sql,
                           message.get("log_event"), message.get("duration_ms"), bool(message.get("committed")))
        if self._user_stop:
            result.outcome, result.result, result.log_event = "error", None, None
            result.error = {"type": "Stopped", "message": "stopped by the user", "traceback": []}
            result.logs = [ln for ln in result.logs if "DebugStopped" not in ln["text"]]
        if message.get("exit"):
            self.client._drop_child()
        else:
            self.client._set_state("idle")
        return result

    def _finish(self, result: RunResult) -> Finished:
        client = self.client
        result.findings = _dedupe([*self._static, *result.findings,
                                   *trace_findings(result.script, client.project.mode, result.outcome, result.sql)])
        self.result = _masked(result, self._secrets)
        self._release()
        return Finished(self.result)

    def _release(self) -> None:
        with self._lock:
            if self.state == "finished":
                return
            self.state = "finished"
        client = self.client
        if getattr(client, "debug_session", None) is self:
            client.debug_session = None
        client._last_used = time.monotonic()
        client._active = False
        client._run_lock.release()

    # -- resuming ----------------------------------------------------------------------------------
    def _resume(self, command: dict[str, Any], breakpoints: Iterable[Any] | None,
                watches: Iterable[str] | None) -> None:
        if self.state != "paused":
            raise DebugSessionError(f"the script is {self.state}, not paused")
        if breakpoints is not None:
            bps = [_wire(b) for b in breakpoints]
            parse_breakpoints(bps)
            command["breakpoints"] = bps
        if watches is not None:
            command["watches"] = [str(w) for w in watches]
        self.state = "running"
        with contextlib.suppress(OSError):  # the child died: the next wait_stop() reports it
            self._child.send(command)

    def continue_(self, breakpoints: Iterable[Any] | None = None, watches: Iterable[str] | None = None) -> None:
        self._resume({"cmd": "continue"}, breakpoints, watches)

    def step_over(self, breakpoints: Iterable[Any] | None = None, watches: Iterable[str] | None = None) -> None:
        self._resume({"cmd": "step_over"}, breakpoints, watches)

    def step_into(self, breakpoints: Iterable[Any] | None = None, watches: Iterable[str] | None = None) -> None:
        self._resume({"cmd": "step_into"}, breakpoints, watches)

    def step_out(self, breakpoints: Iterable[Any] | None = None, watches: Iterable[str] | None = None) -> None:
        self._resume({"cmd": "step_out"}, breakpoints, watches)

    def run_to_cursor(self, line: int, breakpoints: Iterable[Any] | None = None,
                      watches: Iterable[str] | None = None) -> None:
        self._resume({"cmd": "run_to_cursor", "line": int(line)}, breakpoints, watches)

    def stop(self) -> None:
        """End the script: a paused one unwinds (the container survives); a running one is killed."""
        self._user_stop = True
        if self.state == "paused":
            self._resume({"cmd": "stop"}, None, None)
        elif self.state == "running" and self._child is not None:
            self.client._stopping = True
            self._child.kill()

    # -- inline requests while paused ----------------------------------------------------------------
    def _request(self, command: dict[str, Any]) -> Any:
        if self.state != "paused":
            raise DebugSessionError(f"the script is {self.state}; variables exist only while it is paused")
        self._req += 1
        command["req"] = self._req
        child = self._child
        with self._lock:
            self._reading = True
        key = self._command["key"]
        deadline = time.monotonic() + self._timeout  # an evaluation runs the user's code: bound it too
        try:
            child.send(command)
            while True:
                received = child.receive(deadline - time.monotonic())
                if received is None:
                    self._finish(self.client._timed_out(child, key, self._timeout, self._logs, self._sql,
                                                        self._started))
                    raise DebugSessionError(f"the request did not finish within {self._timeout:g} s; "
                                            "the run was ended")
                for message in _events(received):
                    if message.get("ev") == "reply" and message.get("req") == self._req:
                        if message.get("error"):
                            raise DebugSessionError(_mask_text(str(message["error"]), self._secrets))
                        return _mask_data(message.get("value"), self._secrets)
                    if message.get("run") == self._command["run"]:
                        self._output(message)  # e.g. what a print() in an evaluated expression wrote
        except (EOFError, OSError):
            self._finish(self.client._died(child, key, self._logs, self._sql, self._started))
            raise DebugSessionError("the child process ended while paused") from None
        finally:
            with self._lock:
                self._reading = False

    def variables(self, frame: int = 0) -> list[dict[str, Any]]:
        """[{name, type, repr, id}] of a frame of the current stop; `id` (when set) goes to expand()."""
        return self._request({"cmd": "frame_vars", "frame": frame})

    def expand(self, object_id: int) -> list[dict[str, Any]]:
        return self._request({"cmd": "expand", "id": object_id})

    def evaluate(self, expr: str, frame: int = 0) -> dict[str, Any]:
        """{expr, name, type, repr, id} or {expr, error}."""
        return self._request({"cmd": "evaluate", "expr": expr, "frame": frame})

    def complete(self, text: str, frame: int = 0, timeout: float | None = None) -> dict[str, Any]:
        """The debug console's completions of `text` (the input up to the cursor) over the frame's
        live names: `{"engine": "jedi" | "rlcompleter", "items": [{"name", "type", "signature", "doc",
        "prefix_len"}]}`; jedi gets `timeout` seconds in the child (default ~1 s) before rlcompleter
        answers instead."""
        command: dict[str, Any] = {"cmd": "complete", "text": text, "frame": frame}
        if timeout is not None:
            command["timeout"] = timeout
        return self._request(command)

    def watches(self, exprs: Iterable[str], frame: int = 0) -> list[dict[str, Any]]:
        return self._request({"cmd": "watches", "exprs": list(exprs), "frame": frame})

    # -- ending ------------------------------------------------------------------------------------
    def close(self) -> None:
        """Never leave a child paused: stop a paused script (kill it if it does not unwind), kill a
        running one. Safe from any thread; returns when the session has finished or its reader will."""
        with self._lock:
            state, reading = self.state, self._reading
            if state == "new":
                self._closed = True  # a start() under way gives up instead of pausing unseen
        if state in ("new", "finished"):
            if state == "new" and getattr(self.client, "debug_session", None) is self:
                self.client.debug_session = None
            return
        self._user_stop = True
        child = self._child
        if state == "paused" and not reading:
            self._resume({"cmd": "stop"}, None, None)
            timer = threading.Timer(_STOP_GRACE_S, child.kill)
            timer.daemon = True
            timer.start()
            try:
                self.wait_stop() if self.state == "running" else None
                while self.state == "paused":  # a `finally:` in the script hit a breakpoint
                    self._resume({"cmd": "stop"}, None, None)
                    self.wait_stop()
            finally:
                timer.cancel()
            return
        self.client._stopping = True
        if child is not None:
            child.kill()
        if not reading and self.state != "finished":
            if self.state == "paused":
                self.state = "running"
            self.wait_stop()  # reads the end of the channel and releases the run lock

    def __enter__(self) -> DebugSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _wire(item: Any) -> Any:
    """A breakpoint as sent: ints and dicts as given, "LINE if COND" strings parsed."""
    if isinstance(item, str):
        return breakpoint_spec(item)
    return item


def _events(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The events of one message: the child sends run events in `batch` messages."""
    if message.get("ev") == "batch":
        return [e for e in message.get("events") or () if isinstance(e, dict)]
    return [message]


def _stop(message: dict[str, Any]) -> Stop:
    return Stop(reason=message.get("reason", "step"), file=message.get("file", ""), line=message.get("line", 0),
                function=message.get("function", ""), stack=list(message.get("stack") or ()),
                variables=list(message.get("variables") or ()), watches=list(message.get("watches") or ()),
                exception=message.get("exception"), condition_error=message.get("condition_error"))
