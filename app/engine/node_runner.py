"""`NodeRunnerClient`: the container of a JavaScript project — a warm Node child (app/runtime/js/
host.js) that keeps `global` between runs — behind RunnerClient's public API and RunResult.

`RunnerClient(project)` returns one of these for a project with `language = "javascript"`, so
every caller (CLI verbs, the IDE, cases, simulation, bundles) runs JavaScript unchanged. The
host reports what the script did; app/domain/hosted.py decides what it means, as for every host.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from app.domain.findings import Finding, Severity
from app.domain.hosted import decide, host_finding
from app.domain.project import Project
from app.domain.sqlrules import trace_findings
from app.engine.node import NodeError, NodeRuntime, find_node, node_settings, version_notice
from app.engine.node_child import ChannelBroken, NodeChild, NodeStartError
from app.engine.run_inputs import build_arguments, configuration_for
from app.engine.run_result import EventCollector
from app.engine.runner import (
    _PARENT_LOG_SLACK,
    RunnerClient,
    RunResult,
    _dedupe,
    _elapsed,
    _mask_data,
    _masked,
    _stopped,
)
from app.engine.spare import SparePool
from app.runtime.protocol import DEFAULT_LOG_CAP, TIMEOUT_MESSAGE

_NATIVE_FRAME = re.compile(r"^\d+: ")
_ANSWERED_SLACK_S = 1.0  # after the callback: grace + this for the host's `done`, else the container is stuck
_BUSY_CHECK_S = 0.5  # after a run that left work behind: how long the container may take to answer a ping
_GRACE_S = 0.2  # the host's wait after the callback for the script's own cleanup


class NodeRunnerClient(RunnerClient):
    """One JavaScript project's container. Thread-safe like RunnerClient: one run at a time."""

    def __init__(self, project: Project, *, idle_lifetime_s: float | None = None, use_spare: bool = True,
                 log_cap: int = DEFAULT_LOG_CAP, on_state: Callable[[str], None] | None = None):
        from app.engine.runner import DEFAULT_IDLE_LIFETIME_S

        super().__init__(project, idle_lifetime_s=DEFAULT_IDLE_LIFETIME_S if idle_lifetime_s is None
                         else idle_lifetime_s, use_spare=False, log_cap=log_cap, on_state=on_state)
        self.use_spare = use_spare
        self._runtime: NodeRuntime | None = None
        if use_spare:
            self._ensure_spare()  # a missing Node is said at the first run, as its result

    # -- what differs from the Python container -------------------------------------------------------
    def _node(self) -> NodeRuntime:
        settings = node_settings(self.project)
        if self._runtime is None or self._runtime_settings != settings:
            self._runtime = find_node(settings)
            self._runtime_settings = settings
        return self._runtime

    def recycle(self) -> None:
        with self._run_lock:
            self._drop_child()
            if self.use_spare:
                self._ensure_spare()

    def _ensure_spare(self) -> None:
        with contextlib.suppress(NodeError):
            node_spare_pool(self._node()).ensure()

    def run(self, key: str, input: Mapping[str, Any] | None = None, *, commit: bool = False,  # noqa: A002
            timeout: float | None = None, on_event: Callable[[dict[str, Any]], None] | None = None,
            source: str | None = None, database: str | None = None) -> RunResult:
        """As RunnerClient.run, for scripts/<key>.js."""
        k = self._kind(key)
        self._require_trusted()
        if source is None:
            source = self._read_script(key)
        arguments, context = build_arguments(k, input, self.project.context_object)
        config = configuration_for(self.project)
        url, db_password = self._url(database)
        secrets = frozenset(config.secret_values) | ({db_password} if db_password else frozenset())
        static = self._lint(key, source)
        timeout = float(timeout if timeout is not None else self.project.timeout_s)
        try:
            settings = node_settings(self.project)
        except NodeError as e:
            return RunResult(key, "crashed", error={"type": "NodeUnavailable", "message": str(e), "traceback": []},
                             findings=static)
        positional = [(p, arguments.get(p)) for p in k.params]
        if self.project.context_object:
            positional.append(("context", {} if k.always_empty_context else (context or {})))
        with self._run_lock:
            self._stopping = False
            self._active = True
            self._run_counter += 1
            run_id = self._run_counter
            message = {  # the `run` message of docs/protocol.md
                "type": "run", "run": run_id, "script": key, "filename": self._filename(key), "source": source,
                "arguments": [{"name": n, "value": v} for n, v in positional], "commit": bool(commit),
                "configuration": dict(config.values), "secrets": sorted(secrets), "database_url": url,
                "limits": {"timeout_s": timeout, "log_bytes": self.log_cap}, "debug": None,
            }
            started = time.perf_counter()
            try:
                try:
                    child = self._acquire()
                except (NodeStartError, NodeError) as e:
                    self._set_state("dead")
                    return RunResult(key, "crashed", error={"type": "ChildStartError", "message": str(e),
                                                            "traceback": []}, findings=static)
                self._set_state("running")
                if self._stopping:
                    self._set_state("idle")
                    result = _stopped(key, [], [], started)
                else:
                    result = self._exchange_node(child, k, message, timeout, on_event, secrets, started)
                self._last_used = time.monotonic()
            except BaseException:
                self._drop_child()
                raise
            finally:
                self._active = False
        if self.use_spare:
            self._ensure_spare()  # the next container's spare, now that this run is over
        notice = version_notice(settings.tenant_major, child.version)
        extra = [Finding("node-version-differs", Severity.INFO, notice, key)] if notice else []
        result.findings = _dedupe([*static, *result.findings, *extra,
                                   *trace_findings(key, self.project.mode, result.outcome, result.sql)])
        return _masked(result, secrets)

    def _acquire(self) -> NodeChild:  # type: ignore[override]
        with self._child_lock:
            child = self._child
        if child is not None and (not child.alive or time.monotonic() - self._last_used > self.idle_lifetime_s):
            self._drop_child()
            child = None
        if child is not None:
            return child
        self._set_state("starting")
        runtime = self._node()
        child = node_spare_pool(runtime).take(wait=True) if self.use_spare else None
        if child is None:
            child = NodeChild.start(runtime, wait_ready=True)
        with self._child_lock:
            self._child = child
        self._last_used = time.monotonic()
        self._watch_idle()
        return child

    def _replace(self) -> None:
        self._drop_child()
        if self.use_spare:
            self._ensure_spare()

    def _exchange_node(self, child: NodeChild, k: Any, message: dict[str, Any], timeout: float,
                       on_event: Callable[[dict[str, Any]], None] | None, secrets: frozenset[str],
                       started: float) -> RunResult:
        key = message["script"]
        deadline = time.monotonic() + timeout
        events = _Events(message["run"], self.log_cap + _PARENT_LOG_SLACK, secrets, on_event)
        events.key = key
        try:
            child.send(message)
            answered_by: float | None = None
            while True:
                until = deadline if answered_by is None else min(deadline, answered_by)
                received = child.receive(until - time.monotonic())
                if received is None:
                    if answered_by is None or time.monotonic() >= deadline:
                        return self._node_timed_out(child, key, timeout, events, started)
                    # Answered, then stuck (a loop right after callback): the answer stands, the
                    # container cannot serve another run.
                    child.kill()
                    done = {"type": "done", "run": message["run"], "pending": True, "stuck": True,
                            "duration_ms": _elapsed(started)}
                else:
                    done = events.take(received)
                    if events.calls and answered_by is None:
                        answered_by = time.monotonic() + _GRACE_S + _ANSWERED_SLACK_S
                    if done is None:
                        continue
                passwords = [a["value"] for a in message["arguments"]
                             if a["name"] in ("password", "new_password") and isinstance(a["value"], str) and a["value"]]
                decision = decide(key, events.calls, done, timeout_s=timeout, secret_values=secrets,
                                  passwords=passwords, requires_username=self.project.requires_username)
                for note in decision.notes:
                    events.log({"stream": "stderr", "text": note})
                result = RunResult(key, decision.outcome, decision.result, decision.error,
                                   [*decision.findings, *events.findings], events.logs, events.sql,
                                   decision.log_event, decision.duration_ms, decision.committed)
                if done.get("stuck"):
                    self._replace()
                    events.log({"stream": "stderr", "text": "[the script kept the container busy after calling "
                                "callback; the container was recycled, so global starts empty on the next run]"})
                elif done.get("exit"):
                    self._replace()  # process.exit ends the container, like on the platform
                elif done.get("pending") and not self._answers(child):
                    self._replace()  # still busy after the run (a loop in a timer): a fresh container
                    events.log({"stream": "stderr", "text": "[the script left work running that kept the "
                                "container busy after the run; the container was recycled, so global starts "
                                "empty on the next run]"})
                else:
                    self._set_state("idle")
                return result
        except ChannelBroken as e:
            child.kill()
            self._replace()
            return RunResult(key, "crashed", error={"type": "Crashed", "traceback": [],
                                                    "message": f"the runner child broke the channel protocol: {e}"},
                             logs=events.logs, sql=events.sql, duration_ms=_elapsed(started))
        except (EOFError, OSError):
            return self._node_died(child, key, events, started)

    def _answers(self, child: NodeChild) -> bool:
        """Does the container still answer (nothing of the last run keeps its thread busy)?"""
        try:
            child.send({"type": "ping"})
            end = time.monotonic() + _BUSY_CHECK_S
            while (left := end - time.monotonic()) > 0:
                m = child.receive(left)
                if m is None:
                    return False
                if m.get("type") == "pong":
                    return True
        except (EOFError, OSError, ChannelBroken):
            return False
        return False

    def _node_timed_out(self, child: NodeChild, key: str, timeout: float, events: _Events,
                        started: float) -> RunResult:
        child.kill()
        self._replace()
        message = (f"the run did not finish within {timeout:g} s; the hosted platform fails it with "
                   f"'{TIMEOUT_MESSAGE}' and may recycle the container (global was reset here too)")
        from app.domain.findings import finding

        return RunResult(key, "timeout", error={"type": "Timeout", "message": TIMEOUT_MESSAGE, "traceback": []},
                         findings=[finding("timeout", message, key), *events.findings], logs=events.logs,
                         sql=events.sql, duration_ms=_elapsed(started))

    def _node_died(self, child: NodeChild, key: str, events: _Events, started: float) -> RunResult:
        stopped = self._stopping
        description = child.death_description()
        report = child.output_tail()
        self._replace()
        if stopped:
            return _stopped(key, events.logs, events.sql, started)
        lines = [ln.strip() for ln in report.splitlines() if ln.strip()]
        fatal = next((ln for ln in lines if "FATAL ERROR" in ln or ln.startswith("# Fatal")), None)
        headline = fatal or next((ln for ln in reversed(lines) if not _NATIVE_FRAME.match(ln)
                                  and not ln.startswith("-----")), "")
        message = description + (f" ({headline[:300]})" if headline else "")
        message += "; the container was replaced, so global starts empty on the next run"
        return RunResult(key, "crashed", error={"type": "Crashed", "message": message, "traceback": []},
                         findings=list(events.findings), logs=events.logs, sql=events.sql,
                         duration_ms=_elapsed(started))


class _Events(EventCollector):
    """The run's events as every host's (app/engine/run_result.EventCollector), with the host's
    findings made Findings of the run's script (masked) as they arrive."""

    def __init__(self, run_id: int, log_limit: int, secrets: frozenset[str],
                 on_event: Callable[[dict[str, Any]], None] | None):
        super().__init__(run_id, log_limit, secrets, on_event)
        self.key = ""

    def take(self, message: dict[str, Any]) -> dict[str, Any] | None:
        seen = len(self.findings)
        done = super().take(message)
        self.findings[seen:] = [host_finding(_mask_data(f, self.secrets), self.key) for f in self.findings[seen:]]
        return done

    def log(self, event: dict[str, Any]) -> None:
        self.note(str(event.get("stream", "stdout")), str(event.get("text", "")))


class NodeSparePool(SparePool):
    """At most one ready Node child of one `node` executable, waiting for its first run. Taking it
    does not start the next one at once (the container does, after its first run): on two cores a
    starting Node would slow down the very run the spare is there to speed up."""

    def __init__(self, runtime: NodeRuntime):
        super().__init__()
        self.runtime = runtime

    def take(self, wait: bool = False) -> NodeChild | None:
        with self._lock:
            starting = self._starting
        if wait and starting is not None:
            starting.join()
        with self._lock:
            child, self._spare = self._spare, None
        if child is not None and not child.alive:
            child.close()
            return None
        return child

    def _start(self) -> None:
        try:
            child = NodeChild.start(self.runtime, wait_ready=True)
        except (NodeStartError, OSError):
            child = None
        with self._lock:
            self._starting = None
            if child is not None and (self._closed or self._spare is not None):
                extra, child = child, None
            else:
                extra = None
            if child is not None:
                self._spare = child
        if extra is not None:
            extra.close()


_pools: dict[str, NodeSparePool] = {}
_pools_lock = threading.Lock()


def node_spare_pool(runtime: NodeRuntime) -> NodeSparePool:
    """The process-wide spare of one node executable (closed at exit)."""
    import atexit

    with _pools_lock:
        pool = _pools.get(runtime.path)
        if pool is None:
            pool = _pools[runtime.path] = NodeSparePool(runtime)
            atexit.register(pool.close)
        return pool


__all__ = ["NodeRunnerClient", "node_spare_pool"]
