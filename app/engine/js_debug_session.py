"""`JsDebugSession`: the step debugger of a JavaScript project's container, behind DebugSession's
public API (start / wait_stop / continue_ / step_over / step_into / step_out / stop / variables /
evaluate / watches / close), so `customdb debug` records the same stops as for Python.

The Node host starts a worker thread (app/runtime/js/cdp-bridge.js) that connects an inspector
session to its own main thread and relays the Chrome DevTools Protocol over a second socket of
ours (a 0700 AF_UNIX folder, TCP on 127.0.0.1 on Windows; the worker proves itself with a token).
No inspector port is opened. Step filtering is done here: a pause outside the user's file (Node
internals, the module store, the host) is stepped out of, or resumed when no user frame is left.
The time limit counts running time only.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import re
import secrets as _secrets
import select
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from app.domain.hosted import decide
from app.domain.sqlrules import trace_findings
from app.engine.debug_session import DebugSession, DebugSessionError, Finished, Stop
from app.engine.node import NodeError, node_settings
from app.engine.node_child import MAX_FRAME, ChannelBroken, NodeChild, NodeStartError, host_script
from app.engine.node_runner import _ANSWERED_SLACK_S, _GRACE_S, NodeRunnerClient, _Events
from app.engine.run_inputs import RunInputError, build_arguments, configuration_for
from app.engine.runner import (
    _PARENT_LOG_SLACK,
    RunnerClient,
    RunResult,
    _dedupe,
    _elapsed,
    _mask_text,
    _masked,
)
from app.engine.trust import require_trusted
from app.runtime.debugger import BreakpointError

__all__ = ["JsDebugSession", "debug_session_for", "js_breakpoint_spec"]

_IS_WIN = sys.platform == "win32"
_ATTACH_S = 15.0  # the bridge worker connecting and the parent setting breakpoints
_REPR_CAP = 200
_ENTRY_STEPS = 20  # stop on entry: step-ins through the host before the entry's first line
_LOCAL_SCOPES = ("local", "block", "catch")


def debug_session_for(client: RunnerClient) -> DebugSession | JsDebugSession:
    """The debugger of the client's language."""
    return JsDebugSession(client) if isinstance(client, NodeRunnerClient) else DebugSession(client)


class JsDebugSession:
    """One debug run in a NodeRunnerClient's container. `close()` from any thread; the rest from one."""

    def __init__(self, client: NodeRunnerClient):
        self.client = client
        self.state = "new"  # new | running | paused | finished
        self.result: RunResult | None = None
        self._child: NodeChild | None = None
        self._dbg: socket.socket | None = None
        self._dbg_buf = bytearray()
        self._cdp_id = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self._cdp_events: list[dict[str, Any]] = []
        self._message: dict[str, Any] = {}
        self._kind: Any = None
        self._events: _Events | None = None
        self._secrets: frozenset[str] = frozenset()
        self._static: list = []
        self._timeout = self._left = 20.0
        self._started = 0.0
        self._answered_by: float | None = None
        self._user_url = ""
        self._bp_ids: list[str] = []
        self._frames: list[dict[str, Any]] = []
        self._entering = 0
        self._watches: list[str] = []
        self._user_stop = False
        self._released = False
        self._paused_at = 0.0
        self._paused_s = 0.0  # time spent paused: not part of the run's duration
        self._stop_frame = 0
        self._lock = threading.Lock()
        self._on_event: Callable[[dict[str, Any]], None] | None = None

    # -- start -------------------------------------------------------------------------------------
    def start(self, key: str, input: Mapping[str, Any] | None = None,  # noqa: A002
              breakpoints: Iterable[Any] = (), *, stop_on_entry: bool = False,
              step_into_libraries: bool = False, break_on_callback_error: bool = False,
              break_on_uncaught: bool = True, watches: Iterable[str] = (), commit: bool = False,
              timeout: float | None = None, source: str | None = None, database: str | None = None,
              on_event: Callable[[dict[str, Any]], None] | None = None) -> None:
        """As DebugSession.start. `step_into_libraries` is not supported for JavaScript yet
        (ignored): stepping always skips Node internals, the module store and the host."""
        if self.state != "new":
            raise DebugSessionError("a DebugSession runs once; make a new one")
        client = self.client
        k = client._kind(key)
        require_trusted(client.project)
        if source is None:
            source = client._read_script(key)
        bps = _breakpoints(breakpoints)
        arguments, context = build_arguments(k, input, client.project.context_object)
        config = configuration_for(client.project)
        url, db_password = client._url(database)
        self._secrets = frozenset(config.secret_values) | ({db_password} if db_password else frozenset())
        self._static = client._lint(key, source)
        self._timeout = self._left = float(timeout if timeout is not None else client.project.timeout_s)
        self._on_event = on_event
        self._watches = [str(w) for w in watches]
        self._kind = k
        filename = client._filename(key)
        self._user_url = Path(filename).as_uri()
        try:
            node_settings(client.project)
        except NodeError as e:
            raise RunInputError(str(e)) from None
        positional = [(p, arguments.get(p)) for p in k.params]
        if client.project.context_object:
            positional.append(("context", {} if k.always_empty_context else (context or {})))
        client.debug_session = self
        client._run_lock.acquire()
        listener = folder = None
        try:
            client._stopping = False
            client._active = True
            client._run_counter += 1
            listener, folder, address = _listen()
            token = _secrets.token_hex(32)
            self._message = {
                "type": "run", "run": client._run_counter, "script": key, "filename": filename, "source": source,
                "arguments": [{"name": n, "value": v} for n, v in positional], "commit": bool(commit),
                "configuration": dict(config.values), "secrets": sorted(self._secrets), "database_url": url,
                "limits": {"timeout_s": self._timeout, "log_bytes": client.log_cap},
                "debug": {"address": address, "token": token, "stop_on_entry": bool(stop_on_entry),
                          "break_on_callback_error": bool(break_on_callback_error)},
            }
            self._events = _Events(self._message["run"], client.log_cap + _PARENT_LOG_SLACK, self._secrets,
                                   self._forward)
            self._events.key = key
            self._started = time.perf_counter()
            try:
                self._child = client._acquire()
            except (NodeStartError, NodeError) as e:
                client._set_state("dead")
                self._finish(RunResult(key, "crashed", error={"type": "ChildStartError", "message": str(e),
                                                             "traceback": []}, findings=self._static))
                return
            client._set_state("running")
            self.state = "running"
            self._child.send(self._message)
            if not self._attach(listener, token):
                return
            self._cdp("Debugger.enable", {})
            self._cdp("Debugger.setPauseOnExceptions", {"state": "uncaught" if break_on_uncaught else "none"})
            self._set_breakpoints(bps)
            self._entering = _ENTRY_STEPS if stop_on_entry else 0
            self._send_dbg({"type": "debug_go"})
        except BaseException:
            if self.state != "finished":
                if self._child is not None:
                    self._child.kill()
                    client._replace()
                self._release()
            raise
        finally:
            if listener is not None:
                listener.close()
            if folder:
                shutil.rmtree(folder, ignore_errors=True)

    def _attach(self, listener: socket.socket, token: str) -> bool:
        """Accept the bridge's connection; False when the run ended instead (its Finished is kept)."""
        deadline = time.monotonic() + _ATTACH_S
        while time.monotonic() < deadline:
            if self._read_main(0) or self.state == "finished":
                return False
            readable, _, _ = select.select([listener, self._child.sock], [], [], 0.05)
            if self._child.sock in readable and self._read_main(1e-4):
                return False
            if listener in readable:
                conn, _ = listener.accept()
                conn.settimeout(None)
                if _IS_WIN:
                    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._dbg = conn
                hello = self._dbg_message(max(0.1, deadline - time.monotonic()))
                if hello is None or hello.get("type") != "hello" or not hmac.compare_digest(
                        str(hello.get("token", "")), token):
                    raise DebugSessionError("the process that connected to the debug socket is not our bridge")
                return True
        raise DebugSessionError("the Node host's debugger bridge did not connect in time")

    # -- the two sockets ---------------------------------------------------------------------------
    def _send_dbg(self, message: dict[str, Any]) -> None:
        body = json.dumps(message, separators=(",", ":")).encode()
        self._dbg.sendall(len(body).to_bytes(4, "big") + body)

    def _dbg_frame(self) -> dict[str, Any] | None:
        buf = self._dbg_buf
        if len(buf) < 4:
            return None
        n = int.from_bytes(buf[:4], "big")
        if n == 0 or n > MAX_FRAME:
            raise ChannelBroken(f"a debug frame header announced {n} bytes")
        if len(buf) < 4 + n:
            return None
        body = bytes(buf[4:4 + n])
        del buf[:4 + n]
        return json.loads(body.decode("utf-8"))

    def _dbg_message(self, timeout: float) -> dict[str, Any] | None:
        end = time.monotonic() + timeout
        while (message := self._dbg_frame()) is None:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self._dbg], [], [], left)[0]:
                return None
            chunk = self._dbg.recv(1 << 18)
            if not chunk:
                raise EOFError
            self._dbg_buf += chunk
        return message

    def _pump(self, timeout: float) -> None:
        """Read what arrives within `timeout` on either socket: debug replies and events are kept,
        the run's events go to _Events (a `done` finishes the session)."""
        if self._read_main(0):
            return
        socks = [self._child.sock] + ([self._dbg] if self._dbg is not None else [])
        try:
            readable, _, _ = select.select(socks, [], [], max(timeout, 0))
        except (ValueError, OSError):
            raise EOFError from None
        if self._dbg is not None and self._dbg in readable:
            try:
                chunk = self._dbg.recv(1 << 18)
            except OSError:
                chunk = b""
            if not chunk:
                self._dbg.close()
                self._dbg = None  # the bridge ended (with the run); the main channel says how
            else:
                self._dbg_buf += chunk
                while (message := self._dbg_frame()) is not None:
                    if message.get("type") == "debug_reply":
                        self._replies[message.get("id")] = message
                    elif message.get("type") == "debug_event":
                        self._cdp_events.append(message)
        if self._child.sock in readable:
            self._read_main(1e-4)  # receive(0) only parses what is buffered

    def _read_main(self, timeout: float) -> bool:
        """Handle the main channel's available messages; True when the run finished."""
        while True:
            received = self._child.receive(timeout)
            if received is None:
                return self.state == "finished"
            done = self._events.take(received)
            if self._events.calls and self._answered_by is None:
                self._answered_by = time.monotonic() + _GRACE_S + _ANSWERED_SLACK_S
            if done is not None:
                self._done(done)
                return True
            timeout = 0

    def _cdp(self, method: str, params: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """One CDP request through the bridge; its result, or DebugSessionError."""
        self._cdp_id += 1
        cid = self._cdp_id
        self._send_dbg({"type": "debug_command", "id": cid, "method": method, "params": params})
        end = time.monotonic() + (timeout if timeout is not None else self._timeout)
        while cid not in self._replies:
            if self.state == "finished" or self._dbg is None:
                raise DebugSessionError("the run ended")
            left = end - time.monotonic()
            if left <= 0:
                raise DebugSessionError(f"the debugger did not answer {method} in time")
            self._pump(left)
        reply = self._replies.pop(cid)
        if reply.get("error"):
            raise DebugSessionError(_mask_text(str(reply["error"]), self._secrets))
        return reply.get("result") or {}

    def _set_breakpoints(self, bps: list[Any]) -> None:
        for bp_id in self._bp_ids:
            with contextlib.suppress(DebugSessionError):
                self._cdp("Debugger.removeBreakpoint", {"breakpointId": bp_id})
        self._bp_ids = []
        for bp in bps:
            params: dict[str, Any] = {"url": self._user_url, "lineNumber": bp["line"] - 1}
            if bp.get("condition"):
                params["condition"] = bp["condition"]
            self._bp_ids.append(self._cdp("Debugger.setBreakpointByUrl", params)["breakpointId"])

    # -- waiting -----------------------------------------------------------------------------------
    def wait_stop(self) -> Stop | Finished:
        """Block until the script pauses in the user's file or the run ends."""
        if self.state == "finished":
            return Finished(self.result)
        if self.state != "running":
            raise DebugSessionError(f"the script is {self.state}: resume it before waiting")
        key = self._message["script"]
        try:
            while True:
                while self._cdp_events:
                    event = self._cdp_events.pop(0)
                    if event.get("method") == "Debugger.paused":
                        stop = self._on_paused(event.get("params") or {})
                        if stop is not None:
                            return stop
                if self.state == "finished":
                    return Finished(self.result)
                if self._left <= 0:
                    return self._finish(self.client._node_timed_out(self._child, key, self._timeout, self._events,
                                                                    self._started))
                wait = self._left
                if self._answered_by is not None:
                    wait = min(wait, self._answered_by - time.monotonic())
                    if wait <= 0:  # answered, then stuck: the answer stands, the container is replaced
                        self._child.kill()
                        self._done({"type": "done", "run": self._message["run"], "pending": True, "stuck": True,
                                    "duration_ms": _elapsed(self._started)})
                        return Finished(self.result)
                began = time.monotonic()
                self._pump(wait)
                self._left -= time.monotonic() - began
        except ChannelBroken as e:
            self._child.kill()
            self.client._replace()
            return self._finish(RunResult(key, "crashed", error={"type": "Crashed", "traceback": [],
                                                                 "message": f"the runner child broke the channel "
                                                                            f"protocol: {e}"},
                                          logs=self._events.logs, sql=self._events.sql,
                                          duration_ms=_elapsed(self._started)))
        except (EOFError, OSError):
            if self._user_stop:
                self.client._stopping = True
            return self._finish(self.client._node_died(self._child, key, self._events, self._started))

    def _on_paused(self, params: dict[str, Any]) -> Stop | None:
        frames = list(params.get("callFrames") or ())
        user = [i for i, f in enumerate(frames) if f.get("url") == self._user_url]
        reason = params.get("reason")
        exception = reason in ("exception", "promiseRejection")
        callback_error = bool(frames and user and frames[0].get("functionName") == "pauseOnCallbackError"
                              and _is_host(frames[0].get("url", "")))
        if callback_error:
            exception, params = True, {**params, "data": {"type": "string", "value": "callback(error)"}}
        if not exception and (not frames or frames[0].get("url") != self._user_url):
            if self._entering > 0:  # stop on entry: from the host's pause into the entry's first line
                self._entering -= 1
                self._send_dbg({"type": "debug_command", "id": 0, "method": "Debugger.stepInto", "params": {}})
            else:  # never stop in Node internals, the module store or the host
                method = "Debugger.stepOut" if user else "Debugger.resume"
                self._send_dbg({"type": "debug_command", "id": 0, "method": method, "params": {}})
            return None
        self._entering = 0
        index = user[0] if user else 0
        self._frames = frames
        frame = frames[index] if frames else {}
        stack = [{"index": i, "function": _function(f), "file": _path(f.get("url", "")), "line": _line(f),
                  "library": f.get("url") != self._user_url}
                 for i, f in enumerate(frames) if i >= index and not _is_host(f.get("url", ""))]
        stop = Stop(reason="exception" if exception else ("breakpoint" if params.get("hitBreakpoints") else "step"),
                    file=_path(frame.get("url", "")), line=_line(frame), function=_function(frame), stack=stack,
                    exception={"type": "Error", "message": _mask_text(_repr(params.get("data") or {}), self._secrets)}
                    if exception else None)
        self.state = "paused"
        self._paused_at = time.monotonic()
        self._stop_frame = index
        if callback_error:  # what the script passed: `err` of the host's callback (frame 1)
            err = self.evaluate("err", 1)
            stop.exception = {"type": "CallbackError", "message": err.get("repr") or err.get("error", "")}
        stop.variables = self.variables(index)
        if self._watches:
            stop.watches = self.watches(self._watches, index)
        self._emit({"type": "paused", "stop": stop})
        return stop

    # -- resuming ----------------------------------------------------------------------------------
    def _resume(self, method: str, breakpoints: Iterable[Any] | None, watches: Iterable[str] | None) -> None:
        if self.state != "paused":
            raise DebugSessionError(f"the script is {self.state}, not paused")
        if breakpoints is not None:
            self._set_breakpoints(_breakpoints(breakpoints))
        if watches is not None:
            self._watches = [str(w) for w in watches]
        self._running()
        with contextlib.suppress(OSError, AttributeError):  # the child died: wait_stop() reports it
            self._send_dbg({"type": "debug_command", "id": 0, "method": method, "params": {}})

    def _running(self) -> None:
        if self.state == "paused":
            self._paused_s += time.monotonic() - self._paused_at
        self.state = "running"

    def continue_(self, breakpoints: Iterable[Any] | None = None, watches: Iterable[str] | None = None) -> None:
        self._resume("Debugger.resume", breakpoints, watches)

    def step_over(self, breakpoints: Iterable[Any] | None = None, watches: Iterable[str] | None = None) -> None:
        self._resume("Debugger.stepOver", breakpoints, watches)

    def step_into(self, breakpoints: Iterable[Any] | None = None, watches: Iterable[str] | None = None) -> None:
        self._resume("Debugger.stepInto", breakpoints, watches)

    def step_out(self, breakpoints: Iterable[Any] | None = None, watches: Iterable[str] | None = None) -> None:
        self._resume("Debugger.stepOut", breakpoints, watches)

    def run_to_cursor(self, line: int, breakpoints: Iterable[Any] | None = None,
                      watches: Iterable[str] | None = None) -> None:
        if self.state != "paused":
            raise DebugSessionError(f"the script is {self.state}, not paused")
        if breakpoints is not None:
            self._set_breakpoints(_breakpoints(breakpoints))
        if watches is not None:
            self._watches = [str(w) for w in watches]
        self._cdp("Debugger.continueToLocation", {"location": {
            "scriptId": self._frames[0]["location"]["scriptId"], "lineNumber": int(line) - 1}})
        self._running()

    def stop(self) -> None:
        """End the script: the container is killed (and replaced), the result says "stopped by the user"."""
        self._user_stop = True
        if self.state in ("paused", "running") and self._child is not None:
            self.client._stopping = True
            self._child.kill()
            self._running()

    # -- inline requests while paused --------------------------------------------------------------
    def _paused_frame(self, frame: int) -> dict[str, Any]:
        if self.state != "paused":
            raise DebugSessionError(f"the script is {self.state}; variables exist only while it is paused")
        if not 0 <= frame < len(self._frames):
            raise DebugSessionError(f"no frame {frame} in the current stop")
        return self._frames[frame]

    def variables(self, frame: int = 0) -> list[dict[str, Any]]:
        """[{name, type, repr, id}] of the frame's local and block scopes (innermost first); id is None
        (objects are shown by their preview, not expanded lazily yet)."""
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for scope in self._paused_frame(frame).get("scopeChain") or ():
            if scope.get("type") not in _LOCAL_SCOPES:
                continue
            object_id = (scope.get("object") or {}).get("objectId")
            if not object_id:
                continue
            props = self._cdp("Runtime.getProperties", {"objectId": object_id, "ownProperties": True,
                                                        "generatePreview": True}).get("result") or ()
            for prop in props:
                name = prop.get("name")
                if name in seen or "value" not in prop:
                    continue
                seen.add(name)
                value = prop["value"]
                out.append({"name": name, "type": _type(value), "repr": _mask_text(_repr(value), self._secrets),
                            "id": None})
        return out

    def expand(self, object_id: int) -> list[dict[str, Any]]:
        raise DebugSessionError("the JavaScript debugger does not expand objects yet; evaluate a member instead")

    def evaluate(self, expr: str, frame: int = 0) -> dict[str, Any]:
        """{expr, name, type, repr, id} or {expr, error}, in the frame's scope."""
        call_frame = self._paused_frame(frame)
        answer = self._cdp("Debugger.evaluateOnCallFrame", {"callFrameId": call_frame["callFrameId"],
                                                            "expression": expr, "generatePreview": True})
        if answer.get("exceptionDetails"):
            details = answer["exceptionDetails"]
            text = _repr(details.get("exception") or {}) if details.get("exception") else details.get("text", "")
            return {"expr": expr, "error": _mask_text(str(text), self._secrets)}
        value = answer.get("result") or {}
        return {"expr": expr, "name": expr, "type": _type(value), "repr": _mask_text(_repr(value), self._secrets),
                "id": None}

    def watches(self, exprs: Iterable[str], frame: int = 0) -> list[dict[str, Any]]:
        return [self.evaluate(e, frame) for e in exprs]

    def complete(self, text: str, frame: int = 0, timeout: float | None = None) -> dict[str, Any]:
        """No completion in the JavaScript debug console yet."""
        return {"engine": "none", "items": []}

    # -- ending ------------------------------------------------------------------------------------
    def _done(self, done: dict[str, Any]) -> None:
        client, key, events = self.client, self._message["script"], self._events
        passwords = [a["value"] for a in self._message["arguments"]
                     if a["name"] in ("password", "new_password") and isinstance(a["value"], str) and a["value"]]
        decision = decide(key, events.calls, done, timeout_s=self._timeout, secret_values=self._secrets,
                          passwords=passwords, requires_username=client.project.requires_username)
        for note in decision.notes:
            events.log({"stream": "stderr", "text": note})
        result = RunResult(key, decision.outcome, decision.result, decision.error,
                           [*decision.findings, *events.findings], events.logs, events.sql,
                           decision.log_event, _minus(decision.duration_ms, self._paused_s), decision.committed)
        if done.get("stuck") or done.get("exit"):
            client._replace()
        else:
            client._set_state("idle")
        self._finish(result)

    def _finish(self, result: RunResult) -> Finished:
        if self._user_stop:
            result.outcome, result.result, result.log_event = "error", None, None
            result.error = {"type": "Stopped", "message": "stopped by the user", "traceback": []}
        result.findings = _dedupe([*self._static, *result.findings,
                                   *trace_findings(result.script, self.client.project.mode, result.outcome,
                                                   result.sql)])
        self.result = _masked(result, self._secrets)
        self._release()
        return Finished(self.result)

    def _release(self) -> None:
        with self._lock:
            self.state = "finished"
            if self._released:
                return
            self._released = True
        if self._dbg is not None:
            with contextlib.suppress(OSError):
                self._dbg.close()
            self._dbg = None
        client = self.client
        if getattr(client, "debug_session", None) is self:
            client.debug_session = None
        client._last_used = time.monotonic()
        client._active = False
        client._run_lock.release()
        if client.use_spare:
            client._ensure_spare()

    def _forward(self, event: dict[str, Any]) -> None:
        self._emit(event)

    def _emit(self, event: dict[str, Any]) -> None:
        if self._on_event is not None:
            try:
                self._on_event(event)
            except Exception:  # noqa: BLE001 - the viewer's problem must not become the run's
                self._on_event = None

    def close(self) -> None:
        """Never leave a child paused: a session not finished is stopped (its container killed)."""
        if self.state in ("new", "finished"):
            if getattr(self.client, "debug_session", None) is self:
                self.client.debug_session = None
            return
        self.stop()
        self.wait_stop()

    def __enter__(self) -> JsDebugSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def js_breakpoint_spec(text: str) -> dict[str, Any]:
    """`"LINE"` or `"LINE if COND"` with a JavaScript condition (V8 evaluates it; a condition that
    throws never stops). Raises BreakpointError with a message fit for the user."""
    head, _, condition = text.strip().partition(" if ")
    try:
        line = int(head.strip())
    except ValueError:
        raise BreakpointError(f"a breakpoint is LINE or \"LINE if CONDITION\", not {text!r}") from None
    if line < 1:
        raise BreakpointError(f"a breakpoint needs a line number >= 1, not {line}")
    return {"line": line, **({"condition": condition.strip()} if condition.strip() else {})}


def _breakpoints(items: Iterable[Any]) -> list[dict[str, Any]]:
    """The wire form: ints, {"line", "condition"?} dicts or "LINE if COND" strings, one per line."""
    out: dict[int, dict[str, Any]] = {}
    for item in items or ():
        spec = js_breakpoint_spec(item) if isinstance(item, str) else {"line": item} if isinstance(item, int) else item
        if not isinstance(spec, Mapping) or not isinstance(spec.get("line"), int) or spec["line"] < 1:
            raise BreakpointError(f"a breakpoint needs a line number >= 1, not {item!r}")
        out[spec["line"]] = {"line": spec["line"], "condition": spec.get("condition") or None}
    return list(out.values())


def _minus(duration_ms: Any, paused_s: float) -> Any:
    """The run's duration without the time it spent paused."""
    if not isinstance(duration_ms, int | float):
        return duration_ms
    return round(max(0.0, duration_ms - paused_s * 1000), 3)


def _listen() -> tuple[socket.socket, str | None, str]:
    """The debug socket's listener: AF_UNIX in a fresh 0700 folder (TCP on 127.0.0.1 on Windows)."""
    if _IS_WIN:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        folder, address = None, f"127.0.0.1:{listener.getsockname()[1]}"
    else:
        folder = tempfile.mkdtemp(prefix="customdb-jsdbg-")
        address = os.path.join(folder, "d")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(address)
    listener.listen(1)
    return listener, folder, address


_HOST_URL = host_script().parent.as_uri() + "/"


def _is_host(url: str) -> bool:
    """A frame of our own host (host.js, loader.js, ...; not the module store's modules)."""
    return url.startswith(_HOST_URL) and "/node_modules/" not in url and "/store/" not in url[len(_HOST_URL):]


def _path(url: str) -> str:
    if url.startswith("file://"):
        p = unquote(urlparse(url).path)
        return p[1:] if _IS_WIN and re.match(r"^/[A-Za-z]:", p) else p
    return url


def _line(frame: Mapping[str, Any]) -> int:
    return int((frame.get("location") or {}).get("lineNumber", -1)) + 1


def _function(frame: Mapping[str, Any]) -> str:
    return frame.get("functionName") or "<anonymous>"


def _type(value: Mapping[str, Any]) -> str:
    if value.get("subtype") == "null":
        return "null"
    return str(value.get("className") or value.get("subtype") or value.get("type") or "object")


def _cap(text: str) -> str:
    return text if len(text) <= _REPR_CAP else text[:_REPR_CAP - 1] + "…"


def _repr(value: Mapping[str, Any]) -> str:
    """A JavaScript-looking, capped preview of a CDP RemoteObject (or an object preview property)."""
    kind = value.get("type")
    if kind == "string":
        return _cap(json.dumps(value.get("value", ""), ensure_ascii=False))
    if kind in ("number", "boolean", "bigint", "symbol", "undefined"):
        if "unserializableValue" in value:
            return str(value["unserializableValue"])
        if "value" in value:
            return json.dumps(value["value"]) if kind != "undefined" else "undefined"
        return str(value.get("description") or kind)
    if value.get("subtype") == "null":
        return "null"
    if kind == "function":
        name = re.match(r"^(?:async\s+)?(?:function\s*\*?\s*)?([\w$]*)", str(value.get("description") or ""))
        return f"[Function: {name.group(1) if name and name.group(1) else '(anonymous)'}]"
    description = str(value.get("description") or "").split("\n")[0]
    preview = value.get("preview")
    if not preview or value.get("subtype") == "error":
        return _cap(description or "Object")
    parts = []
    array = preview.get("subtype") == "array"
    for prop in preview.get("properties") or ():
        inner = prop.get("value", "")
        shown = (json.dumps(inner, ensure_ascii=False) if prop.get("type") == "string"
                 else "ƒ" if prop.get("type") == "function" else str(inner) if inner != "" else "…")
        parts.append(shown if array else f"{prop.get('name')}: {shown}")
    if preview.get("overflow"):
        parts.append("…")
    body = ", ".join(parts)
    if array:
        return _cap(f"[{body}]")
    prefix = "" if description in ("Object", "") else description + " "
    return _cap(f"{prefix}{{{body}}}")
