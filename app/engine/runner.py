"""`RunnerClient`: one project's container — a warm child that keeps `global_` and its engines
between runs — plus the run procedure the GUI and the CLI share.

Blocking API, meant to be called from a worker thread (the GUI wraps it in a QThread):
`run()` builds the `RunRequest` (app/engine/request.py) and returns a `RunResult`; `exchange()` runs
a request built elsewhere; `begin()` hands out a `LiveRun` for a run driven message by message (the
debugger); `stop()` may be called from any other thread and ends the current run at once (outcome
`error`, error type `Stopped`); `recycle()` throws the container away (global_ with it); `close()`
ends everything. A container left idle for `idle_lifetime_s` (20 min, like a hosted container) is
thrown away by a watcher thread. `state` is one of starting / idle / running / dead ("dead" also
means "no child yet"); `on_state(state)` is called on every change, from the thread that caused it
(the runner thread, or the idle watcher).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from app.domain.findings import Finding
from app.domain.hosted import decide, host_finding
from app.domain.project import Project
from app.domain.sqlrules import trace_findings
from app.engine.child import Child, ChildStartError
from app.engine.node import project_language
from app.engine.request import DebugSettings, RequestBuilder, RunInputError, RunRequest
from app.engine.run_inputs import lint_findings
from app.engine.run_result import (
    MAX_SQL,
    PARENT_LOG_SLACK,
    EventCollector,
    RunResult,
    crash_message,
    crashed_result,
    dedupe,
    elapsed_ms,
    fault_frames,
    mask_data,
    mask_text,
    masked,
    stopped_result,
    timeout_result,
)
from app.engine.spare import spare_pool
from app.engine.trust import origin_path, require_trusted, store_path
from app.engine.userdata import USER_DATA_ENV
from app.runtime.answer import RUNTIME_DIR
from app.runtime.protocol import DEFAULT_LOG_CAP, ProtocolError

DEFAULT_IDLE_LIFETIME_S = 20 * 60
STATES = ("starting", "idle", "running", "dead")

__all__ = ["RunnerClient", "LiveRun", "RunResult", "RunRequest", "RunInputError", "DebugSettings",
           "DEFAULT_IDLE_LIFETIME_S"]


class RunnerClient:
    """The container of one project. Thread-safe: one run at a time; stop() from anywhere."""

    def __new__(cls, project: Project, *args: Any, **kwargs: Any) -> RunnerClient:
        """A JavaScript project gets the Node container (same API): every caller runs it unchanged."""
        if cls is RunnerClient and project_language(project) == "javascript":
            from app.engine.node_runner import NodeRunnerClient

            return super().__new__(NodeRunnerClient)
        return super().__new__(cls)

    def __init__(self, project: Project, *, idle_lifetime_s: float = DEFAULT_IDLE_LIFETIME_S,
                 use_spare: bool = True, log_cap: int = DEFAULT_LOG_CAP,
                 on_state: Callable[[str], None] | None = None):
        self.project = project
        self.idle_lifetime_s = idle_lifetime_s
        self.use_spare = use_spare
        self.log_cap = log_cap
        self.on_state = on_state
        self.state = "dead"
        self.requests = RequestBuilder(project)
        self.debug_session: Any = None  # a DebugSession holding the run lock: close() ends it first
        self._child: Child | None = None
        self._last_used = time.monotonic()
        self._run_lock = threading.Lock()
        self._child_lock = threading.Lock()
        self._stopping = False
        self._active = False  # a run is between its start and its result
        self._run_counter = 0
        self._reaper: threading.Thread | None = None
        self._reaper_wake = threading.Event()
        self._lint_cache: dict[tuple[str, str], list[Finding]] = {}
        self._trusted_as_of: tuple | None = None
        # the builder's caches, shared with NodeRunnerClient (app/engine/node_runner.py), which still
        # builds its own run message through the hooks below
        self._script_paths = self.requests._script_paths
        self._filenames = self.requests._filenames
        if use_spare:
            spare_pool().ensure()
        _preload()

    # -- state -------------------------------------------------------------------------------------
    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            if self.on_state is not None:
                self.on_state(state)

    # -- public API --------------------------------------------------------------------------------
    def warm(self) -> None:
        """Get the container's child ready now (e.g. when the project opens), so the first run is quick."""
        with self._run_lock:
            self._acquire()
            self._set_state("idle")

    def request(self, key: str, input: Mapping[str, Any] | None = None, *,  # noqa: A002
                commit: bool = False, timeout: float | None = None, source: str | None = None,
                database: str | None = None, debug: DebugSettings | None = None) -> RunRequest:
        """The RunRequest of one run of script `key` (keys of `input` = the kind's parameter names,
        plus `context`). Raises RunInputError (unknown script, missing file, bad input), the
        secrets module's MissingSecretError and, in restricted mode, the trust module's error."""
        self.requests.kind(key)
        self._require_trusted()  # restricted mode: a bundle's code never runs untrusted, GUI included
        return self.requests.build(key, input, source=source, commit=commit, timeout=timeout,
                                   database=database, debug=debug, log_bytes=self.log_cap)

    def run(self, key: str, input: Mapping[str, Any] | None = None, *, commit: bool = False,  # noqa: A002
            timeout: float | None = None, on_event: Callable[[dict[str, Any]], None] | None = None,
            source: str | None = None, database: str | None = None) -> RunResult:
        """Run script `key` with `input`; every problem of the script itself is a result (input
        problems raise, see request()). `source` runs an unsaved editor buffer instead of the
        file; `database` overrides the URL."""
        return self.exchange(self.request(key, input, commit=commit, timeout=timeout, source=source,
                                          database=database), on_event)

    def exchange(self, request: RunRequest,
                 on_event: Callable[[dict[str, Any]], None] | None = None) -> RunResult:
        """Run one request in the container: its log and sql events go to `on_event` as they come."""
        live = self.begin(request, on_event)
        if isinstance(live, RunResult):
            return live
        with live:
            deadline = time.monotonic() + request.timeout_s
            while True:
                try:
                    message = live.receive(deadline - time.monotonic())
                except (EOFError, OSError):
                    return live.end(live.died())
                except ProtocolError as e:
                    return live.end(live.broken(e))
                if message is None:
                    return live.end(live.timed_out())
                done = live.collector.take(message)
                if done is not None:
                    return live.end(live.result_of(done))

    def begin(self, request: RunRequest,
              on_event: Callable[[dict[str, Any]], None] | None = None) -> LiveRun | RunResult:
        """Start `request` in the container and hand back the LiveRun that drives it (the run lock is
        held until the LiveRun ends); a RunResult when it cannot start (the child did not) or was
        stopped before it did. A DebugSession is one such driver."""
        static = self.lint(request.script, request.source)
        self._run_lock.acquire()
        try:
            self._stopping = False
            self._active = True
            self._run_counter += 1
            live = LiveRun(self, request, self._run_counter, static, on_event)
            try:
                child = self._acquire()
                child.wait_ready()  # the time limit is the script's: a container's start-up is not in it
            except ChildStartError as e:
                self._drop_child()
                return live.end(RunResult(request.script, "crashed", error={
                    "type": "ChildStartError", "message": str(e), "traceback": []}, findings=static))
            live.child = child
            self._set_state("running")
            if self._stopping:  # stop() came while the child was starting: nothing ran yet
                self._set_state("idle")
                return live.end(stopped_result(request.script, [], [], live.started))
            try:
                child.send(request.to_wire(live.run_id))
            except OSError:
                return live.end(live.died())
            return live
        except BaseException:  # e.g. Ctrl-C in the CLI: never leave a child half-way through a run
            if self._active:
                self._active = False
                self._drop_child()
                self._run_lock.release()
            raise

    def lint(self, key: str, source: str) -> list[Finding]:
        """The script's static findings (reported with every run), remembered per source text."""
        cache_key = (key, source)
        hit = self._lint_cache.get(cache_key)
        if hit is None:
            if len(self._lint_cache) > 64:
                self._lint_cache.clear()
            hit = self._lint_cache[cache_key] = lint_findings(self.project, key, source)
        return list(hit)

    def stop(self) -> None:
        """End the current run now (from any thread): the child is killed and replaced."""
        with self._child_lock:
            if not self._active:
                return
            self._stopping = True
            child = self._child if self.state == "running" else None
        if child is not None:
            child.kill()

    def recycle(self) -> None:
        """Throw the container away: global_, engines and compiled scripts go with the child."""
        self._end_debug_session()
        with self._run_lock:
            self._drop_child()
            if self.use_spare:
                spare_pool().ensure()

    def close(self) -> None:
        """End the child (a running script is killed). The client can still run again afterwards."""
        self._end_debug_session()
        self.stop()
        with self._run_lock:
            self._drop_child()

    def _end_debug_session(self) -> None:
        """A paused debugger holds the run lock: end it first (app/engine/debug_session.py sets this)."""
        session = self.debug_session
        if session is not None:
            session.close()

    def __enter__(self) -> RunnerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------------
    def _require_trusted(self) -> None:
        """`require_trusted`, asked again only when its answer can have changed. It reads and parses
        the trust store and resolves the folder (about 50 us, 5% of a warm run); the answer depends
        only on that store (wherever the user data folder is now) and the project's import marker,
        and a change of either shows in its inode, size or times (the app replaces them whole)."""
        project = self.project
        root = str(project.root)
        as_of = (root, getattr(project, "id", None), _file_version(_store_file()), _file_version(_origin_file(root)))
        if as_of != self._trusted_as_of:
            require_trusted(project)  # raises when restricted: nothing is remembered then
            self._trusted_as_of = as_of

    # the hooks NodeRunnerClient overrides (its own run() predates RunRequest)
    def _kind(self, key: str) -> Any:
        return self.requests.kind(key)

    def _url(self, override: str | None) -> tuple[str, str | None]:
        return self.requests.url(override)

    def _read_script(self, key: str) -> str:
        return self.requests.read_script(key)

    def _filename(self, key: str) -> str:
        return self.requests.filename(key)

    def _lint(self, key: str, source: str) -> list[Finding]:
        return self.lint(key, source)

    def _drop_child(self) -> None:
        self.requests.forget()
        with self._child_lock:
            child, self._child = self._child, None
        self._reaper_wake.set()
        if child is not None:
            child.close()
        self._set_state("dead")

    def _replace_child(self) -> None:
        """The container is gone (crash, timeout, exit): drop it and have a spare on its way."""
        self._drop_child()
        if self.use_spare:
            spare_pool().ensure()

    def _watch_idle(self) -> None:
        """Expire the container after idle_lifetime_s without a run (frees the process; state -> dead)."""
        if self._reaper is not None and self._reaper.is_alive():
            return
        self._reaper_wake.clear()
        self._reaper = threading.Thread(target=self._reap, daemon=True, name="customdb-container-idle")
        self._reaper.start()

    def _reap(self) -> None:
        while True:
            with self._child_lock:
                child = self._child
            if child is None:
                return
            wait = self._last_used + self.idle_lifetime_s - time.monotonic()
            if wait > 0:
                self._reaper_wake.wait(wait)
                self._reaper_wake.clear()
                continue
            if not self._run_lock.acquire(blocking=False):  # a run is going on: look again after it
                self._reaper_wake.wait(min(1.0, max(self.idle_lifetime_s, 0.05)))
                continue
            try:
                if self._child is child and time.monotonic() - self._last_used >= self.idle_lifetime_s:
                    self._drop_child()
            finally:
                self._run_lock.release()

    def _acquire(self) -> Child:
        """The warm child, or a spare, or a freshly started one (called with the run lock held)."""
        with self._child_lock:
            child = self._child
        if child is not None and (not child.alive or time.monotonic() - self._last_used > self.idle_lifetime_s):
            self._drop_child()  # idle too long (hosted containers live about 20 minutes) or dead
            child = None
        if child is not None:
            return child
        self._set_state("starting")
        child = spare_pool().take(wait=True) if self.use_spare else None  # one on its way beats a second cold start
        if child is None:
            child = Child.start()
        with self._child_lock:
            self._child = child
        self._last_used = time.monotonic()
        self._watch_idle()
        return child


class LiveRun:
    """One run in a container, driven message by message; it holds the container's run lock until
    `end()`. `receive()` reads the child (bounded by the timeout given, raises EOFError when it died
    and ProtocolError when it broke the channel); `collector` keeps the run's events. The result of
    each way a run ends: `result_of(done)`, `timed_out()`, `died()`, `broken(error)`; `end(result)`
    adds the static and trace findings, masks the secrets and releases the container."""

    def __init__(self, client: RunnerClient, request: RunRequest, run_id: int, static: list[Finding],
                 on_event: Callable[[dict[str, Any]], None] | None):
        self.client = client
        self.request = request
        self.run_id = run_id
        self.static = static
        self.child: Child | None = None
        self.started = time.perf_counter()
        self.collector = EventCollector(run_id, client.log_cap + PARENT_LOG_SLACK, request.secrets, on_event)
        self._ended = False

    def send(self, message: dict[str, Any]) -> None:
        self.child.send(message)

    def receive(self, timeout: float | None) -> dict[str, Any] | None:
        return self.child.receive(None if timeout is None else max(timeout, 0.0))

    def result_of(self, done: dict[str, Any]) -> RunResult:
        """The result of a run the child reported `done`, decided from its reports by the hosted
        contract (app/domain/hosted.py); the container is kept unless it must end."""
        request, c = self.request, self.collector
        decision = decide(request.script, c.calls, done, timeout_s=request.timeout_s,
                          secret_values=request.secrets, passwords=request.passwords,
                          requires_username=request.requires_username)
        for note in decision.notes:
            c.note("stderr", note)
        findings = [*decision.findings, *(host_finding(f, request.script) for f in c.findings)]
        result = RunResult(request.script, decision.outcome, decision.result, decision.error, findings, c.logs,
                           c.sql, decision.log_event, decision.duration_ms, decision.committed)
        if done.get("exit"):
            self.client._replace_child()  # sys.exit / MemoryError: the container ends, like on the platform
        else:
            self.client._set_state("idle")
        return result

    def timed_out(self) -> RunResult:
        self.child.kill()
        self.client._replace_child()
        c = self.collector
        return timeout_result(self.request.script, self.request.timeout_s, c.logs, c.sql, self.started)

    def died(self, stopped: bool = False) -> RunResult:
        """The child is gone (or was killed by stop())."""
        client, child, c = self.client, self.child, self.collector
        stopped = stopped or client._stopping
        description = child.death_description()
        report = child.stderr_text()
        client._replace_child()
        if stopped:
            return stopped_result(self.request.script, c.logs, c.sql, self.started)
        frames = fault_frames(report, self.request.filename, RUNTIME_DIR)
        return crashed_result(self.request.script, crash_message(description, report), c.logs, c.sql,
                              self.started, frames)

    def broken(self, error: ProtocolError) -> RunResult:
        """The child broke the channel protocol (e.g. a script wrote onto it): it is killed and the run
        is `crashed`; nothing it sent afterwards is read (docs/protocol.md, "Violations")."""
        self.child.kill()
        if self.client._stopping:
            return self.died()
        self.client._replace_child()
        c = self.collector
        return crashed_result(self.request.script, f"the runner child broke the channel protocol: {error}; "
                              "the container was replaced, so global_ starts empty on the next run",
                              c.logs, c.sql, self.started)

    def end(self, result: RunResult) -> RunResult:
        """The run's last step: findings completed, secrets masked, the container released."""
        request = self.request
        result.findings = dedupe([*self.static, *result.findings,
                                  *trace_findings(request.script, self.client.project.mode, result.outcome,
                                                  result.sql)])
        self._release()
        return masked(result, request.secrets)

    def _release(self) -> None:
        if self._ended:
            return
        self._ended = True
        client = self.client
        client._last_used = time.monotonic()
        client._active = False
        client._run_lock.release()

    def __enter__(self) -> LiveRun:
        return self

    def __exit__(self, kind: type | None, *exc: object) -> None:
        if kind is not None and not self._ended:  # e.g. Ctrl-C: never leave a child half-way through a run
            self.client._drop_child()
        self._release()


def _preload() -> None:
    """Import what the first run needs on the parent side (keyring, the database layer, lint: about a
    second on a cold process) now, in the thread that creates the client, not when the user runs."""
    import app.domain.lint
    import app.engine.database
    import app.engine.secrets  # noqa: F401


_store_files: dict[tuple, str] = {}
_origin_files: dict[str, str] = {}


def _store_file() -> str:
    """trust.store_path() as text, computed once per value of the variables it depends on."""
    env = tuple(map(os.environ.get, USER_DATA_ENV))
    path = _store_files.get(env)
    if path is None:
        path = _store_files[env] = str(store_path())
    return path


def _origin_file(root: str) -> str:
    path = _origin_files.get(root)
    if path is None:
        path = _origin_files[root] = str(origin_path(root))
    return path


def _file_version(path: str) -> tuple | None:
    """What tells one version of a file from another (None: no file)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


# names NodeRunnerClient (app/engine/node_runner.py) imports from here
_MAX_SQL = MAX_SQL
_PARENT_LOG_SLACK = PARENT_LOG_SLACK
_dedupe, _elapsed, _masked, _stopped = dedupe, elapsed_ms, masked, stopped_result
_mask_data, _mask_text = mask_data, mask_text
