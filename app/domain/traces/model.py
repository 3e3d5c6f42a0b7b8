"""The data a trace analysis produces; `to_dict()` is the public JSON contract of `customdb trace`."""

from __future__ import annotations

from dataclasses import dataclass, field

PYTHON = "python"
JAVASCRIPT = "javascript"


FRAMES_KEPT = 500  # per end of a trace (cap_frames)


@dataclass(slots=True)
class Frame:
    function: str | None  # as printed (JS `Object.<anonymous>`, Python `<lambda>`); None when unnamed
    file: str | None
    line: int | None
    column: int | None
    anonymous: bool = False
    library: bool = False
    script: str | None = None  # the script key this frame belongs to
    source: str | None = None  # current source line from the project (only with --project)
    text: str | None = None  # the source line quoted in the trace itself (not part of the JSON)
    origin: str | None = None  # "script" | "platform" | "library" (app/domain/traces/origin.py)

    @property
    def base_name(self) -> str:
        """The function's own name: `Object.getUser` → `getUser`, `<lambda>` stays `<lambda>`."""
        name = self.function or ""
        return name.rsplit(".", 1)[-1] if not name.startswith("<") else name

    def to_dict(self) -> dict:
        d = {
            "function": self.function, "file": self.file, "line": self.line, "column": self.column,
            "anonymous": self.anonymous, "library": self.library, "script": self.script,
            "origin": self.origin,
        }
        if self.source is not None:
            d["source"] = self.source
        return d


@dataclass(slots=True)
class Suggestion:
    script: str
    recommended_name: str
    reason: str  # "anonymous" | "non_recommended_name"
    frame: int  # index of the entry frame in the trace's frames (outermost first)

    def to_dict(self) -> dict:
        return {"script": self.script, "recommended_name": self.recommended_name,
                "reason": self.reason, "frame": self.frame}


@dataclass(slots=True)
class Trace:
    language: str  # "python" | "javascript"
    exception_type: str
    message: str
    frames: list[Frame] = field(default_factory=list)  # outermost (first called) first
    suggestions: list[Suggestion] = field(default_factory=list)
    omitted_frames: int = 0  # left out between frames[FRAMES_KEPT - 1] and frames[FRAMES_KEPT] (cap_frames)

    def to_dict(self) -> dict:
        d = {
            "language": self.language,
            "exception": {"type": self.exception_type, "message": self.message},
            "frames": [f.to_dict() for f in self.frames],
            "suggestions": [s.to_dict() for s in self.suggestions],
        }
        if self.omitted_frames:
            d["omitted_frames"] = self.omitted_frames
        return d

    def cap_frames(self) -> None:
        """Keep the first and last FRAMES_KEPT frames of a very deep trace (a recursion) and count
        the rest: thousands of identical frames say nothing more, and would cost time and memory."""
        if len(self.frames) > 2 * FRAMES_KEPT:
            self.omitted_frames += len(self.frames) - 2 * FRAMES_KEPT
            self.frames = self.frames[:FRAMES_KEPT] + self.frames[-FRAMES_KEPT:]
