"""Stack-trace analysis: find Python and V8 traces in any text (terminal output, logs, JSON
exports), report frames outermost first, map them to scripts, and suggest recommended names for
anonymous or misnamed entry functions (anonymous functions make hosted traces unreadable)."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from app.domain.traces.diagnoses import Diagnosis, diagnose
from app.domain.traces.mapping import assign_scripts, key_for_file, suggest
from app.domain.traces.model import FRAMES_KEPT, JAVASCRIPT, PYTHON, Frame, Suggestion, Trace
from app.domain.traces.origin import frame_origin
from app.domain.traces.scan import scan

__all__ = ["FRAMES_KEPT", "JAVASCRIPT", "PYTHON", "Diagnosis", "Frame", "Suggestion", "Trace", "analyze",
           "diagnose", "key_for_file", "parse_traces", "to_json"]


def parse_traces(text: str) -> list[Trace]:
    """Every trace in `text`, in text order, without script mapping. Never raises on a str."""
    with _gc_paused():
        traces = scan(text)
        for t in traces:
            t.cap_frames()
        return traces


def analyze(text: str, script: str | None = None, sources: Mapping[str, str] | None = None) -> list[Trace]:
    """Parse, map frames to scripts and add suggestions.

    `script`: a script key all non-library frames belong to (`--script`).
    `sources`: a project's scripts (key → source) so frames in them carry their current line.
    """
    with _gc_paused():
        traces = scan(text)
        for t in traces:
            t.cap_frames()
            assign_scripts(t, script, sources)
            t.suggestions = suggest(t)
            for f in t.frames:
                f.origin = frame_origin(f.file, f.library)
    return traces


@contextmanager
def _gc_paused() -> Iterator[None]:
    """A big log yields tens of thousands of acyclic objects; letting the cyclic collector walk
    them over and over while they are built costs more than a tenth of the parse."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def to_json(traces: list[Trace], diagnoses: list[Diagnosis] | None = None) -> dict:
    """The `customdb trace --json` document (`diagnoses` when the hosted messages were diagnosed)."""
    doc: dict = {"traces": [t.to_dict() for t in traces]}
    if diagnoses is not None:
        doc["diagnoses"] = [d.to_dict() for d in diagnoses]
    return doc
