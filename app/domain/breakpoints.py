"""The project's breakpoints, kept between sessions in `.customdb/breakpoints.json`.

Machine state, not project content (the `.customdb` folder is never bundled). A broken or
foreign file is read as "no breakpoints" rather than stopping the IDE from opening the project.
Format: {"version": 1, "scripts": {"login": [{"line": 5, "condition": "n > 1", "hit": null}]}}.
Lines are those of each script as saved on disk: the IDE moves breakpoints with unsaved edits in
memory and writes the new lines when the script is saved (app/ui/debug_controller.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from app.domain.project import Project, atomic_write

FILE_NAME = "breakpoints.json"


@dataclass(frozen=True)
class LineBreakpoint:
    """One breakpoint as the editor shows it; `hit` is N, >=N, >N or %N (see the debugger)."""

    line: int
    condition: str | None = None
    hit: str | None = None

    def to_wire(self) -> dict:
        spec: dict = {"line": self.line}
        if self.condition:
            spec["condition"] = self.condition
        if self.hit:
            spec["hit"] = self.hit
        return spec


def load_breakpoints(project: Project) -> dict[str, dict[int, LineBreakpoint]]:
    """{script key: {line: LineBreakpoint}}; empty when there is no (usable) file."""
    path = project.state_dir / FILE_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    scripts = data.get("scripts") if isinstance(data, dict) else None
    out: dict[str, dict[int, LineBreakpoint]] = {}
    for key, items in (scripts or {}).items():
        if not isinstance(key, str) or not isinstance(items, list):
            continue
        lines: dict[int, LineBreakpoint] = {}
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("line"), int) and item["line"] >= 1:
                condition = item.get("condition") if isinstance(item.get("condition"), str) else None
                hit = str(item["hit"]) if item.get("hit") not in (None, "") else None
                lines[item["line"]] = LineBreakpoint(item["line"], condition or None, hit)
        if lines:
            out[key] = lines
    return out


def save_breakpoints(project: Project, breakpoints: dict[str, dict[int, LineBreakpoint]]) -> None:
    scripts = {key: [{"line": bp.line, "condition": bp.condition, "hit": bp.hit}
                     for _, bp in sorted(lines.items())]
               for key, lines in sorted(breakpoints.items()) if lines}
    atomic_write(project.state_dir / FILE_NAME, json.dumps({"version": 1, "scripts": scripts}, indent=2) + "\n")
