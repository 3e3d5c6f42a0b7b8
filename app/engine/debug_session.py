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

from app.engine.node import project_language
from app.engine.request import DebugSettings
from app.engine.run_inputs import RunInputError
from app.engine.run_result import RunResult, mask_data, mask_text
from app.engine.runner import LiveRun, RunnerClient
from app.runtime.debugger import BreakpointError, parse_breakpoints
from app.runtime.protocol import ProtocolError

__all__ = ["DebugSession", "DebugSessionError", "Stop", "Finished", "breakpoint_spec"]

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
        self._live: LiveRun | None = None
        self._lock = threading.Lock()
        self._reading = False
        self._user_stop = False
        self._closed = False
        self._req = 0
        self._left = 20.0  # running time left; only spent while the script runs

    # -- start -------------------------------------------------------------------------------------
    def start(self, key: str, input: Mapping[str, Any] | None = None,  # noqa: A002
              breakpoints: Iterable[Any] = (), *, stop_on_entry: bool = False,
              step_into_libraries: bool = False, break_on_callback_error: bool = False,
              break_on_uncaught: bool = True, watches: Iterable[str] = (), commit: bool = False,
              timeout: float | None = None, source: str | None = None, database: str | None = None,
              on_event: Callable[[dict[str, Any]], None] | None = None) -> None:
        """Start the debug run. Input problems raise RunInputError / BreakpointError (and the
        secrets module's errors) before anything starts."""
        if self.state != "new":
            raise DebugSessionError("a DebugSession runs once; make a new one")
        client = self.client
        client.requests.kind(key)
        if project_language(client.project) == "javascript":
            raise RunInputError("the step debugger runs Python scripts only for now; run the JavaScript script "
                                "(customdb run) and read its log lines, error frames and SQL trace")
        bps = [_wire(b) for b in breakpoints]
        parse_breakpoints(bps)
        debug = DebugSettings(breakpoints=tuple(bps), stop_on_entry=bool(stop_on_entry),
                              step_into_libraries=bool(step_into_libraries),
                              break_on_callback_error=bool(break_on_callback_error),
                              break_on_uncaught=bool(break_on_uncaught), watches=tuple(str(w) for w in watches))
        request = client.request(key, input, commit=commit, timeout=timeout, source=source, database=database,
                                 debug=debug)
        self._left = request.timeout_s
        client.debug_session = self  # before waiting for the lock: a close() meanwhile must reach us
        try:
            if self._closed:
                raise DebugSessionError("the session was closed before it started")
            live = client.begin(request, on_event)
        except BaseException:
            with self._lock:
                self.state = "finished"
            self._detach()
            raise
        if isinstance(live, RunResult):  # the child could not start
            self._finish_with(live)
            return
        self._live = live
        with self._lock:
            closed = self._closed
            if not closed:
                self.state = "running"
        if closed:  # close() came while start() waited for the container: end the run unseen
            live.child.kill()
            self._finish(live.died(stopped=True))
            raise DebugSessionError("the session was closed before it started")

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
        live = self._live
        pending = live.collector.pending
        try:
            while True:
                while pending:
                    message = pending.pop(0)
                    if message.get("type") == "paused":
                        self.state = "paused"
                        stop = _stop(mask_data(message, live.request.secrets))
                        live.collector.emit({"type": "paused", "stop": stop})
                        return stop
                    if message.get("type") == "done":
                        return self._finish(self._done(message))
                began = time.monotonic()
                received = live.receive(self._left)
                self._left -= time.monotonic() - began
                if received is None:
                    return self._finish(live.timed_out())
                done = live.collector.take(received)
                if done is not None:
                    pending.append(done)  # after the events before it in the batch
        except (EOFError, OSError):
            return self._finish(live.died(stopped=self._user_stop))
        except ProtocolError as e:
            return self._finish(live.broken(e))

    def _done(self, message: dict[str, Any]) -> RunResult:
        result = self._live.result_of(message)
        if self._user_stop:
            result.outcome, result.result, result.log_event = "error", None, None
            result.error = {"type": "Stopped", "message": "stopped by the user", "traceback": []}
            result.logs = [ln for ln in result.logs if "DebugStopped" not in ln["text"]]
        return result

    def _finish(self, result: RunResult) -> Finished:
        return self._finish_with(self._live.end(result))

    def _finish_with(self, result: RunResult) -> Finished:
        with self._lock:
            self.state = "finished"
        self.result = result
        self._detach()
        return Finished(result)

    def _detach(self) -> None:
        if self.client.debug_session is self:
            self.client.debug_session = None

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
            self._live.send(command)

    def continue_(self, breakpoints: Iterable[Any] | None = None, watches: Iterable[str] | None = None) -> None:
        self._resume({"type": "continue"}, breakpoints, watches)

    def step_over(self, breakpoints: Iterable[Any] | None = None, watches: Iterable[str] | None = None) -> None:
        self._resume({"type": "step_over"}, breakpoints, watches)

    def step_into(self, breakpoints: Iterable[Any] | None = None, watches: Iterable[str] | None = None) -> None:
        self._resume({"type": "step_into"}, breakpoints, watches)

    def step_out(self, breakpoints: Iterable[Any] | None = None, watches: Iterable[str] | None = None) -> None:
        self._resume({"type": "step_out"}, breakpoints, watches)

    def run_to_cursor(self, line: int, breakpoints: Iterable[Any] | None = None,
                      watches: Iterable[str] | None = None) -> None:
        self._resume({"type": "run_to_cursor", "line": int(line)}, breakpoints, watches)

    def stop(self) -> None:
        """End the script: a paused one unwinds (the container survives); a running one is killed."""
        self._user_stop = True
        if self.state == "paused":
            self._resume({"type": "stop"}, None, None)
        elif self.state == "running" and self._live is not None:
            self.client.stop()

    # -- inline requests while paused ----------------------------------------------------------------
    def _request(self, command: dict[str, Any]) -> Any:
        if self.state != "paused":
            raise DebugSessionError(f"the script is {self.state}; variables exist only while it is paused")
        self._req += 1
        command["req"] = self._req
        live = self._live
        secrets = live.request.secrets
        with self._lock:
            self._reading = True
        timeout = live.request.timeout_s
        deadline = time.monotonic() + timeout  # an evaluation runs the user's code: bound it too
        try:
            live.send(command)
            while True:
                received = live.receive(deadline - time.monotonic())
                if received is None:
                    self._finish(live.timed_out())
                    raise DebugSessionError(f"the request did not finish within {timeout:g} s; "
                                            "the run was ended")
                done = live.collector.take(received)  # keeps e.g. what a print() in an evaluation wrote
                pending = live.collector.pending
                if done is not None:
                    pending.append(done)
                reply = next((m for m in pending if m.get("type") == "reply" and m.get("req") == self._req), None)
                if reply is not None:
                    pending.remove(reply)
                    if reply.get("error"):
                        raise DebugSessionError(mask_text(str(reply["error"]), secrets))
                    return mask_data(reply.get("value"), secrets)
        except (EOFError, OSError, ProtocolError) as e:
            self._finish(live.broken(e) if isinstance(e, ProtocolError) else live.died())
            raise DebugSessionError("the child process ended while paused") from None
        finally:
            with self._lock:
                self._reading = False

    def variables(self, frame: int = 0) -> list[dict[str, Any]]:
        """[{name, type, repr, id}] of a frame of the current stop; `id` (when set) goes to expand()."""
        return self._request({"type": "frame_vars", "frame": frame})

    def expand(self, object_id: int) -> list[dict[str, Any]]:
        return self._request({"type": "expand", "id": object_id})

    def evaluate(self, expr: str, frame: int = 0) -> dict[str, Any]:
        """{expr, name, type, repr, id} or {expr, error}."""
        return self._request({"type": "evaluate", "expr": expr, "frame": frame})

    def complete(self, text: str, frame: int = 0, timeout: float | None = None) -> dict[str, Any]:
        """The debug console's completions of `text` (the input up to the cursor) over the frame's
        live names: `{"engine": "jedi" | "rlcompleter", "items": [{"name", "type", "signature", "doc",
        "prefix_len"}]}`; jedi gets `timeout` seconds in the child (default ~1 s) before rlcompleter
        answers instead."""
        command: dict[str, Any] = {"type": "complete", "text": text, "frame": frame}
        if timeout is not None:
            command["timeout"] = timeout
        return self._request(command)

    def watches(self, exprs: Iterable[str], frame: int = 0) -> list[dict[str, Any]]:
        return self._request({"type": "watches", "exprs": list(exprs), "frame": frame})

    # -- ending ------------------------------------------------------------------------------------
    def close(self) -> None:
        """Never leave a child paused: stop a paused script (kill it if it does not unwind), kill a
        running one. Safe from any thread; returns when the session has finished or its reader will."""
        with self._lock:
            state, reading = self.state, self._reading
            if state == "new":
                self._closed = True  # a start() under way gives up instead of pausing unseen
        if state in ("new", "finished"):
            if state == "new":
                self._detach()
            return
        self._user_stop = True
        child = self._live.child
        if state == "paused" and not reading:
            self._resume({"type": "stop"}, None, None)
            timer = threading.Timer(_STOP_GRACE_S, child.kill)
            timer.daemon = True
            timer.start()
            try:
                self.wait_stop() if self.state == "running" else None
                while self.state == "paused":  # a `finally:` in the script hit a breakpoint
                    self._resume({"type": "stop"}, None, None)
                    self.wait_stop()
            finally:
                timer.cancel()
            return
        self.client.stop()
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


def _stop(message: dict[str, Any]) -> Stop:
    return Stop(reason=message.get("reason", "step"), file=message.get("file", ""), line=message.get("line", 0),
                function=message.get("function", ""), stack=list(message.get("stack") or ()),
                variables=list(message.get("variables") or ()), watches=list(message.get("watches") or ()),
                exception=message.get("exception"), condition_error=message.get("condition_error"))
