"""`RunResult` (what `customdb run --json` prints) and what the parent makes of a run's messages:
the streamed events kept and masked, and the results of runs that ended without a `done`
(timeout, crash, a broken channel, a stop by the user)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.domain.findings import Finding, finding
from app.domain.outcome import exit_code
from app.runtime.protocol import TIMEOUT_MESSAGE

PARENT_LOG_SLACK = 64 * 1024  # the child caps output; the parent stops storing a little later, whatever happens
MAX_SQL = 10_000
CONTAINER_REPLACED = "the container was replaced, so global_ starts empty on the next run"


@dataclass
class RunResult:
    """One run, exactly as `customdb run --json` prints it (docs/runner.md "Run result JSON")."""

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


class EventCollector:
    """A run's streamed events: logs and SQL kept (capped, masked again) and handed to on_event as
    they come; `call` and `finding` reports kept for the hosted contract (app/domain/hosted.py)."""

    def __init__(self, run_id: int, log_limit: int, secrets: frozenset[str],
                 on_event: Callable[[dict[str, Any]], None] | None):
        self.run_id = run_id
        self.log_limit = log_limit
        self.secrets = secrets
        self.on_event = on_event
        self.logs: list[dict[str, str]] = []
        self.sql: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self.findings: list[dict[str, Any]] = []
        self.pending: list[dict[str, Any]] = []  # other events (the debugger's `paused`, `reply`), in order
        self.log_size = 0

    def take(self, message: dict[str, Any]) -> dict[str, Any] | None:
        """Handle one message (or batch); returns the run's `done` event when it is in there.
        Events of another run (a late line of an earlier one) are ignored."""
        events = message.get("events") if message.get("type") == "batch" else [message]
        done = None
        for event in events or ():
            if not isinstance(event, dict) or event.get("run") != self.run_id:
                continue
            kind = event.get("type")
            if kind == "log":
                self._log(event)
            elif kind == "sql":
                self._sql(event)
            elif kind == "call":
                self.calls.append(event)
            elif kind == "finding":
                self.findings.append(event)
            elif kind == "done":
                done = event
            else:
                self.pending.append(event)
        return done

    def emit(self, event: dict[str, Any]) -> None:
        """Hand an event to on_event; a failing callback is dropped, never the run."""
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:  # noqa: BLE001 - the GUI's problem must not end the user's run
            self.on_event = None

    def note(self, stream: str, text: str) -> None:
        """A line the parent adds to the run's output (e.g. an exception raised after callback)."""
        self._log({"stream": stream, "text": text})

    def _log(self, event: dict[str, Any]) -> None:
        text = str(event.get("text", ""))
        self.log_size += len(text) + 1
        if self.log_size > self.log_limit:
            return
        line = {"stream": str(event.get("stream", "stdout")), "text": mask_text(text, self.secrets)}
        self.logs.append(line)
        self.emit({"type": "log", **line})

    def _sql(self, event: dict[str, Any]) -> None:
        if len(self.sql) >= MAX_SQL:
            return
        entry = mask_data({k: event.get(k) for k in ("statement", "params", "duration_ms", "rows", "error")},
                          self.secrets)
        self.sql.append(entry)
        self.emit({"type": "sql", **entry})


# -- results of runs that ended without a `done` -----------------------------------------------------

def stopped_result(key: str, logs: list, sql: list, started: float) -> RunResult:
    return RunResult(key, "error", error={"type": "Stopped", "message": "stopped by the user", "traceback": []},
                     logs=logs, sql=sql, duration_ms=elapsed_ms(started))


def timeout_result(key: str, timeout: float, logs: list, sql: list, started: float) -> RunResult:
    message = (f"the run did not finish within {timeout:g} s; the hosted platform fails it with "
               f"'{TIMEOUT_MESSAGE}' and may recycle the container (global_ was reset here too)")
    return RunResult(key, "timeout", error={"type": "Timeout", "message": TIMEOUT_MESSAGE, "traceback": []},
                     findings=[finding("timeout", message, key)], logs=logs, sql=sql,
                     duration_ms=elapsed_ms(started))


def crashed_result(key: str, message: str, logs: list, sql: list, started: float,
                   traceback: list[dict[str, Any]] | None = None) -> RunResult:
    return RunResult(key, "crashed", error={"type": "Crashed", "message": message, "traceback": traceback or []},
                     logs=logs, sql=sql, duration_ms=elapsed_ms(started))


def crash_message(description: str, report: str) -> str:
    """How a child died, with the headline of its fatal error report (faulthandler, a traceback)."""
    lines = [ln.strip() for ln in report.splitlines() if ln.strip()]
    headline = next((ln for ln in lines if ln.startswith("Fatal Python error")), lines[-1] if lines else "")
    return description + (f" ({headline})" if headline else "") + "; " + CONTAINER_REPLACED


_FAULT_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<function>\S+)')


def fault_frames(report: str, script_file: str, runtime_dir: str) -> list[dict[str, Any]]:
    """Frames of the crashing thread from a faulthandler report (printed most recent first)."""
    frames: list[dict[str, Any]] = []
    blocks = [b for b in re.split(r"\n\s*\n", report) if "most recent call first" in b]
    blocks.sort(key=lambda b: "Current thread" not in b)  # the crashing thread first
    for block in blocks:
        for line in block.splitlines():
            m = _FAULT_FRAME.match(line)
            if m and not m.group("file").startswith(runtime_dir):
                frames.append({"function": m.group("function"), "file": m.group("file"),
                               "line": int(m.group("line")), "library": m.group("file") != script_file})
        if frames:
            break
    frames.reverse()
    first_user = next((i for i, f in enumerate(frames) if f["file"] == script_file), None)
    return frames[first_user:] if first_user is not None else frames  # from the entry down


# -- the parent's last pass --------------------------------------------------------------------------

_ONE_PER_SCRIPT = {"syntax-error", "missing-entry"}  # lint and the child both report these


def dedupe(findings: list[Finding]) -> list[Finding]:
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


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def mask_text(text: str, secrets: frozenset[str]) -> str:
    if not secrets:
        return text
    from app.engine.secrets import mask

    return mask(text, secrets)


def mask_data(data: Any, secrets: frozenset[str]) -> Any:
    if not secrets:
        return data
    from app.engine.secrets import mask_data as mask_all

    return mask_all(data, secrets)


def masked(result: RunResult, secrets: frozenset[str]) -> RunResult:
    """The parent's own pass over everything that leaves the engine."""
    if not secrets:
        return result
    result.result = mask_data(result.result, secrets)
    result.error = mask_data(result.error, secrets)
    result.findings = [Finding.from_dict(mask_data(f.to_dict(), secrets)) for f in result.findings]
    result.logs = mask_data(result.logs, secrets)
    result.sql = mask_data(result.sql, secrets)
    return result
