"""Replay and compare: run a bundle's failing input against its script (a dry run) and set the
customer's stack trace beside the local one, frames matched by script and line, so a support
engineer sees at once whether the error reproduced.

The comparison is a plain model (`Comparison.to_dict()` is `customdb reproduce --json`); the GUI's
side-by-side view draws the same model.

Matching: project frames (not library frames) carry a key (script, line). The two frame lists,
outermost first, are aligned by their longest common subsequence of keys, so an extra helper frame
on one side does not shift every row below it. The error *reproduced* when the local run failed
with the customer's exception type (compared by its last dotted part) and the customer's innermost
project frame is among the matched frames (a trace without project frames needs the same type only).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.domain.project import Project
from app.domain.traces import Trace, analyze, key_for_file

_FAILED = {"error", "crashed", "timeout", "invalid"}


@dataclass
class Row:
    """One line of the side-by-side view: a customer frame, a local frame, or a matched pair."""

    script: str | None
    line: int | None
    customer: int | None  # index into Comparison.customer["frames"]
    local: int | None  # index into Comparison.local["frames"]

    @property
    def matched(self) -> bool:
        return self.customer is not None and self.local is not None

    def to_dict(self) -> dict[str, Any]:
        return {"script": self.script, "line": self.line, "customer": self.customer, "local": self.local,
                "matched": self.matched}


@dataclass
class Comparison:
    script: str
    reproduced: bool | None  # None: no customer trace to compare with
    same_type: bool
    same_message: bool
    customer: dict[str, Any] | None  # {language, type, message, frames}
    local: dict[str, Any]  # {outcome, type, message, frames}
    rows: list[Row] = field(default_factory=list)

    @property
    def matched_frames(self) -> int:
        return sum(1 for r in self.rows if r.matched)

    def to_dict(self) -> dict[str, Any]:
        return {"script": self.script, "reproduced": self.reproduced, "same_type": self.same_type,
                "same_message": self.same_message, "matched_frames": self.matched_frames,
                "customer": self.customer, "local": self.local, "rows": [r.to_dict() for r in self.rows]}


def _base_type(name: str | None) -> str:
    return (name or "").rsplit(".", 1)[-1].strip()


def pick_trace(traces: list[Trace], script: str) -> Trace | None:
    """The last trace that has a frame in `script`, else the last trace (logs repeat older errors)."""
    for t in reversed(traces):
        if any(f.script == script and not f.library for f in t.frames):
            return t
    return traces[-1] if traces else None


def _local_frames(error: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    frames = []
    for f in (error or {}).get("traceback") or ():
        library = bool(f.get("library"))
        frames.append({"function": f.get("function"), "file": f.get("file"), "line": f.get("line"),
                       "library": library, "script": None if library else key_for_file(f.get("file"))})
    return frames


def _key(frame: Mapping[str, Any]) -> tuple[str, int] | None:
    if frame.get("library") or not frame.get("script") or frame.get("line") is None:
        return None
    return frame["script"], int(frame["line"])


def align(customer: list[dict[str, Any]], local: list[dict[str, Any]]) -> list[Row]:
    """Rows of both frame lists, matched pairs where the keys form their longest common subsequence."""
    a = [_key(f) for f in customer]
    b = [_key(f) for f in local]
    n, m = len(a), len(b)
    lcs = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            if a[i] is not None and a[i] == b[j]:
                lcs[i][j] = lcs[i + 1][j + 1] + 1
            else:
                lcs[i][j] = max(lcs[i + 1][j], lcs[i][j + 1])
    rows: list[Row] = []
    i = j = 0
    while i < n or j < m:
        if i < n and j < m and a[i] is not None and a[i] == b[j]:
            rows.append(Row(a[i][0], a[i][1], i, j))
            i, j = i + 1, j + 1
        elif j >= m or (i < n and lcs[i + 1][j] >= lcs[i][j + 1]):
            rows.append(Row(customer[i].get("script"), customer[i].get("line"), i, None))
            i += 1
        else:
            rows.append(Row(local[j].get("script"), local[j].get("line"), None, j))
            j += 1
    return rows


def compare(script: str, trace: Trace | None, result: Mapping[str, Any]) -> Comparison:
    """The comparison model of a customer trace and a local run result (RunResult.to_dict())."""
    error = result.get("error") or None
    local_frames = _local_frames(error)
    local = {"outcome": result.get("outcome"), "type": error.get("type") if error else None,
             "message": error.get("message") if error else None, "frames": local_frames}
    if trace is None:
        return Comparison(script, None, False, False, None, local, align([], local_frames))
    customer_frames = [f.to_dict() for f in trace.frames]
    customer = {"language": trace.language, "type": trace.exception_type, "message": trace.message,
                "frames": customer_frames}
    rows = align(customer_frames, local_frames)
    failed = result.get("outcome") in _FAILED and error is not None
    same_type = failed and _base_type(trace.exception_type) == _base_type(local["type"]) != ""
    same_message = failed and (trace.message or "").strip() == (local["message"] or "").strip()
    project_frames = [i for i, f in enumerate(customer_frames) if _key(f) is not None]
    innermost_matched = (not project_frames
                         or any(r.customer == project_frames[-1] and r.matched for r in rows))
    return Comparison(script, bool(same_type and innermost_matched), bool(same_type), bool(same_message),
                      customer, local, rows)


RunnerFactory = Callable[[Project], Any]


def reproduce(project: Project, runner_factory: RunnerFactory | None = None) -> Comparison:
    """Read repro/, dry-run the bundled input against the bundled script, compare with the trace.

    Raises UntrustedProjectError (restricted mode), BundleError (no repro/), RunInputError and the
    secrets module's errors before anything runs.
    """
    from app.engine.bundles import read_repro
    from app.engine.runner import RunnerClient
    from app.engine.trust import require_trusted

    require_trusted(project)
    script, repro_input, trace_text = read_repro(project)
    sources = {}
    for key in project.script_keys():
        try:
            sources[key] = project.read_script(key)
        except (OSError, UnicodeDecodeError):
            continue
    trace = pick_trace(analyze(trace_text, sources=sources), script) if trace_text else None
    client = (runner_factory or (lambda p: RunnerClient(p, use_spare=False)))(project)
    try:
        result = client.run(script, repro_input or {}, commit=False)
    finally:
        client.close()
    return compare(script, trace, result.to_dict())
