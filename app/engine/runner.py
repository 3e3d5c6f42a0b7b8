"""`RunnerClient`: one project's container — a warm child that keeps `global_` and its engines
between runs — plus the run procedure the GUI and the CLI share.

Blocking API, meant to be called from a worker thread (the GUI wraps it in a QThread):
`run()` returns a `RunResult`; `stop()` may be called from any other thread and ends the current
run at once (outcome `error`, error type `Stopped`); `recycle()` throws the container away
(global_ with it); `close()` ends everything. A container left idle for `idle_lifetime_s` (20 min,
like a hosted container) is thrown away by a watcher thread. `state` is one of starting / idle /
running / dead ("dead" also means "no child yet"); `on_state(state)` is called on every change, from
the thread that caused it (the runner thread, or the idle watcher).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.domain.findings import Finding, finding
from app.domain.outcome import exit_code
from app.domain.project import Project
from app.domain.scripts import ScriptKind, kind
from app.domain.sqlrules import trace_findings
from app.engine.child import Child, ChildStartError
from app.engine.node import project_language
from app.engine.run_inputs import (
    RunInputError,
    build_arguments,
    configuration_for,
    decode_script,
    lint_findings,
    url_for,
)
from app.engine.spare import spare_pool
from app.engine.trust import origin_path, require_trusted, store_path
from app.engine.userdata import USER_DATA_ENV
from app.runtime.answer import RUNTIME_DIR
from app.runtime.protocol import DEFAULT_LOG_CAP, TIMEOUT_MESSAGE

DEFAULT_IDLE_LIFETIME_S = 20 * 60
STATES = ("starting", "idle", "running", "dead")
_PARENT_LOG_SLACK = 64 * 1024  # the child caps output; the parent stops storing a little later, whatever happens
_MAX_SQL = 10_000

__all__ = ["RunnerClient", "RunResult", "RunInputError", "DEFAULT_IDLE_LIFETIME_S"]


@dataclass
class RunResult:
    """One run, exactly as `customdb run --json` prints it (see docs/runner.md "Run result JSON")."""

    script: str
    outcome: str
    result: Any = None
    error: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)
    logs: list[dict[str, str]] = field(default_factory=list)
    sql: list[dict[str, Any]] = field(default_factory=list)
    log_event: str | None = None
    duration_ms: float | None = None
    committed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"script": self.script, "outcome": self.outcome, "result": self.result, "error": self.error,
                "findings": [f.to_dict() for f in self.findings], "logs": self.logs, "sql": self.sql,
                "log_event": self.log_event, "duration_ms": self.duration_ms, "committed": self.committed}

    @property
    def exit_code(self) -> int:
        return exit_code(self.outcome)


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
        self._child: Child | None = None
        self._last_used = time.monotonic()
        self._run_lock = threading.Lock()
        self._child_lock = threading.Lock()
        self._stopping = False
        self._active = False  # a run() is between its start and its result
        self._run_counter = 0
        self._reaper: threading.Thread | None = None
        self._reaper_wake = threading.Event()
        self._lint_cache: dict[tuple[str, str], list[Finding]] = {}
        self._url_cache: tuple[tuple, tuple[str, str | None]] | None = None
        self._filenames: dict[tuple[str, str], str] = {}
        self._script_paths: dict[tuple[str, str], str] = {}
        self._trusted_as_of: tuple | None = None
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

    def run(self, key: str, input: Mapping[str, Any] | None = None, *, commit: bool = False,  # noqa: A002
            timeout: float | None = None, on_event: Callable[[dict[str, Any]], None] | None = None,
            source: str | None = None, database: str | None = None) -> RunResult:
        """Run script `key` with `input` (keys = the kind's Python parameter names, plus `context`).

        Raises RunInputError (unknown script, missing file, bad input) and the secrets module's
        MissingSecretError before anything starts; every problem of the script itself is a result.
        `source` runs an unsaved editor buffer instead of the file; `database` overrides the URL.
        """
        k = self._kind(key)
        self._require_trusted()  # restricted mode: a bundle's code never runs untrusted, GUI included
        if source is None:
            source = self._read_script(key)
        arguments, context = build_arguments(k, input, self.project.context_object)
        config = configuration_for(self.project)
        url, db_password = self._url(database)
        secrets = frozenset(config.secret_values) | ({db_password} if db_password else frozenset())
        static = self._lint(key, source)
        timeout = float(timeout if timeout is not None else self.project.timeout_s)
        with self._run_lock:
            self._stopping = False
            self._active = True
            self._run_counter += 1
            run_id = self._run_counter
            command = {
                "cmd": "run", "run": run_id, "key": key, "filename": self._filename(key),
                "source": source, "args": arguments, "context": context,
                "context_enabled": self.project.context_object, "commit": bool(commit),
                "configuration": dict(config.values), "secrets": sorted(secrets), "database_url": url,
                "log_cap": self.log_cap, "timeout_s": timeout,
                "requires_username": self.project.requires_username,
            }
            started = time.perf_counter()
            try:
                try:
                    child = self._acquire()
                except ChildStartError as e:
                    self._set_state("dead")
                    return RunResult(key, "crashed", error={"type": "ChildStartError", "message": str(e),
                                                            "traceback": []}, findings=static)
                self._set_state("running")
                if self._stopping:  # stop() came while the child was starting: nothing ran yet
                    self._set_state("idle")
                    result = _stopped(key, [], [], started)
                else:
                    result = self._exchange(child, command, timeout, on_event, secrets, started)
                self._last_used = time.monotonic()
            except BaseException:  # e.g. Ctrl-C in the CLI: never leave a child half-way through a run
                self._drop_child()
                raise
            finally:
                self._active = False
        result.findings = _dedupe([*static, *result.findings,
                                   *trace_findings(key, self.project.mode, result.outcome, result.sql)])
        return _masked(result, secrets)

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
        session = getattr(self, "debug_session", None)
        if session is not None:
            session.close()

    def __enter__(self) -> RunnerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------------
    def _kind(self, key: str) -> ScriptKind:
        try:
            return kind(key)
        except KeyError as e:
            raise RunInputError(str(e.args[0])) from None

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

    def _url(self, override: str | None) -> tuple[str, str | None]:
        """(database URL, its password) resolved once per setting (looked up again after recycle()).
        The password is masked in every output like a secret configuration value."""
        cache_key = (self.project.database_url, str(self.project.root), override)
        if self._url_cache is None or self._url_cache[0] != cache_key:
            url = url_for(self.project, override)
            self._url_cache = (cache_key, (url, _url_password(url)))
        return self._url_cache[1]

    def _read_script(self, key: str) -> str:
        """The saved script, read afresh every run: the path is worked out once, and the bytes are
        read without a text stream (half the system calls), then decoded as text mode would."""
        cache_key = (str(self.project.root), key)
        path = self._script_paths.get(cache_key)
        if path is None:
            path = self._script_paths[cache_key] = str(self.project.script_path(key))
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except OSError:
            if os.path.isfile(path):
                raise  # there, but unreadable: the error itself
            raise RunInputError(f"{path} does not exist; create it or pick another script") from None
        try:
            chunks = []
            while chunk := os.read(fd, 1 << 16):
                chunks.append(chunk)
        except IsADirectoryError:
            raise RunInputError(f"{path} does not exist; create it or pick another script") from None
        finally:
            os.close(fd)
        text = decode_script(b"".join(chunks), path)
        return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text  # universal newlines

    def _filename(self, key: str) -> str:
        """The real path of scripts/<key>.py: what tracebacks (and the debugger) name."""
        cache_key = (str(self.project.root), key)
        name = self._filenames.get(cache_key)
        if name is None:
            name = self._filenames[cache_key] = str(self.project.script_path(key).resolve())
        return name

    def _lint(self, key: str, source: str) -> list[Finding]:
        cache_key = (key, source)
        hit = self._lint_cache.get(cache_key)
        if hit is None:
            if len(self._lint_cache) > 64:
                self._lint_cache.clear()
            hit = self._lint_cache[cache_key] = lint_findings(self.project, key, source)
        return list(hit)

    def _drop_child(self) -> None:
        self._url_cache = None
        with self._child_lock:
            child, self._child = self._child, None
        self._reaper_wake.set()
        if child is not None:
            child.close()
        self._set_state("dead")

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

    def _exchange(self, child: Child, command: dict[str, Any], timeout: float,
                  on_event: Callable[[dict[str, Any]], None] | None, secrets: frozenset[str],
                  started: float) -> RunResult:
        key = command["key"]
        deadline = time.monotonic() + timeout
        events = _Collector(command["run"], self.log_cap + _PARENT_LOG_SLACK, secrets, on_event)
        try:
            child.send(command)
            while True:
                message = child.receive(deadline - time.monotonic())
                if message is None:
                    return self._timed_out(child, key, timeout, events.logs, events.sql, started)
                done = events.take(message)
                if done is None:
                    continue
                result = RunResult(
                    key, done.get("outcome", "error"), done.get("result"), done.get("error"),
                    [_finding(f) for f in done.get("findings") or ()], events.logs, events.sql,
                    done.get("log_event"), done.get("duration_ms"), bool(done.get("committed")))
                if done.get("exit"):
                    self._drop_child()  # sys.exit / MemoryError: the container ends, like on the platform
                    if self.use_spare:
                        spare_pool().ensure()
                else:
                    self._set_state("idle")
                return result
        except (EOFError, OSError):
            return self._died(child, key, events.logs, events.sql, started)

    def _timed_out(self, child: Child, key: str, timeout: float, logs: list, sql: list,
                   started: float) -> RunResult:
        child.kill()
        self._drop_child()
        if self.use_spare:
            spare_pool().ensure()
        message = (f"the run did not finish within {timeout:g} s; the hosted platform fails it with "
                   f"'{TIMEOUT_MESSAGE}' and may recycle the container (global_ was reset here too)")
        return RunResult(key, "timeout", error={"type": "Timeout", "message": TIMEOUT_MESSAGE, "traceback": []},
                         findings=[finding("timeout", message, key)], logs=logs, sql=sql,
                         duration_ms=_elapsed(started))

    def _died(self, child: Child, key: str, logs: list, sql: list, started: float) -> RunResult:
        stopped = self._stopping
        description = child.death_description()
        report = child.stderr_text()
        self._drop_child()
        if self.use_spare:
            spare_pool().ensure()
        if stopped:
            return _stopped(key, logs, sql, started)
        lines = [ln.strip() for ln in report.splitlines() if ln.strip()]
        headline = next((ln for ln in lines if ln.startswith("Fatal Python error")), lines[-1] if lines else "")
        message = description + (f" ({headline})" if headline else "")
        message += "; the container was replaced, so global_ starts empty on the next run"
        path = str(self.project.script_path(key).resolve())
        return RunResult(key, "crashed", error={"type": "Crashed", "message": message,
                                                "traceback": _fault_frames(report, path)},
                         logs=logs, sql=sql, duration_ms=_elapsed(started))


class _Collector:
    """The run's streamed events: kept (capped, masked again) and handed to on_event as they come."""

    def __init__(self, run_id: int, log_limit: int, secrets: frozenset[str],
                 on_event: Callable[[dict[str, Any]], None] | None):
        self.run_id = run_id
        self.log_limit = log_limit
        self.secrets = secrets
        self.on_event = on_event
        self.logs: list[dict[str, str]] = []
        self.sql: list[dict[str, Any]] = []
        self.log_size = 0

    def take(self, message: dict[str, Any]) -> dict[str, Any] | None:
        """Handle one message (or batch); returns the run's `done` event when it is in there."""
        events = message.get("events") if message.get("ev") == "batch" else [message]
        done = None
        for event in events or ():
            if not isinstance(event, dict) or event.get("run") != self.run_id:
                continue  # `ready`, or a late line of an earlier run
            kind_ = event.get("ev")
            if kind_ == "log":
                self._log(event)
            elif kind_ == "sql":
                self._sql(event)
            elif kind_ == "done":
                done = event
        return done

    def _emit(self, event: dict[str, Any]) -> None:
        """Hand an event to on_event; a failing callback is dropped, never the run."""
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:  # noqa: BLE001 - the GUI's problem must not end the user's run
            self.on_event = None

    def _log(self, event: dict[str, Any]) -> None:
        text = str(event.get("text", ""))
        self.log_size += len(text) + 1
        if self.log_size > self.log_limit:
            return
        line = {"stream": str(event.get("stream", "stdout")), "text": _mask_text(text, self.secrets)}
        self.logs.append(line)
        self._emit({"type": "log", **line})

    def _sql(self, event: dict[str, Any]) -> None:
        if len(self.sql) >= _MAX_SQL:
            return
        entry = _mask_data({k: event.get(k) for k in ("statement", "params", "duration_ms", "rows", "error")},
                           self.secrets)
        self.sql.append(entry)
        self._emit({"type": "sql", **entry})


# -- helpers ---------------------------------------------------------------------------------------

_FAULT_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<function>\S+)')


def _fault_frames(report: str, script_file: str) -> list[dict[str, Any]]:
    """Frames of the crashing thread from a faulthandler report (printed most recent first)."""
    frames: list[dict[str, Any]] = []
    blocks = [b for b in re.split(r"\n\s*\n", report) if "most recent call first" in b]
    blocks.sort(key=lambda b: "Current thread" not in b)  # the crashing thread first
    for block in blocks:
        for line in block.splitlines():
            m = _FAULT_FRAME.match(line)
            if m and not m.group("file").startswith(RUNTIME_DIR):
                frames.append({"function": m.group("function"), "file": m.group("file"),
                               "line": int(m.group("line")), "library": m.group("file") != script_file})
        if frames:
            break
    frames.reverse()
    first_user = next((i for i, f in enumerate(frames) if f["file"] == script_file), None)
    return frames[first_user:] if first_user is not None else frames  # from the entry down


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


def _url_password(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    try:
        password = make_url(url).password
    except Exception:  # noqa: BLE001 - an unparsable URL fails later with its own message
        return None
    return str(password) if password else None


def _stopped(key: str, logs: list, sql: list, started: float) -> RunResult:
    return RunResult(key, "error", error={"type": "Stopped", "message": "stopped by the user", "traceback": []},
                     logs=logs, sql=sql, duration_ms=_elapsed(started))


def _finding(d: Mapping[str, Any]) -> Finding:
    return Finding.from_dict(dict(d))


_ONE_PER_SCRIPT = {"syntax-error", "missing-entry"}  # lint and the child both report these


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """Drop repeats: the same code, line and message, or a second syntax-error / missing-entry."""
    seen: set[tuple[str, int | None, str]] = set()
    once: set[str] = set()
    out = []
    for f in findings:
        if (f.code, f.line, f.message) in seen or f.code in once:
            continue
        seen.add((f.code, f.line, f.message))
        if f.code in _ONE_PER_SCRIPT:
            once.add(f.code)
        out.append(f)
    return out


def _elapsed(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def _mask_text(text: str, secrets: frozenset[str]) -> str:
    if not secrets:
        return text
    from app.engine.secrets import mask

    return mask(text, secrets)


def _mask_data(data: Any, secrets: frozenset[str]) -> Any:
    if not secrets:
        return data
    from app.engine.secrets import mask_data

    return mask_data(data, secrets)


def _masked(result: RunResult, secrets: frozenset[str]) -> RunResult:
    """The parent's own pass over everything that leaves the engine."""
    if not secrets:
        return result
    result.result = _mask_data(result.result, secrets)
    result.error = _mask_data(result.error, secrets)
    result.findings = [Finding.from_dict(_mask_data(f.to_dict(), secrets)) for f in result.findings]
    result.logs = _mask_data(result.logs, secrets)
    result.sql = _mask_data(result.sql, secrets)
    return result
