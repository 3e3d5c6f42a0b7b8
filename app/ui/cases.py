"""Saved cases of a project: `cases/<name>.json` = {"script", "input", "expect": {"outcome", "result"}}.

The same files `customdb test` runs; the Run panel lists, saves and runs them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from app.domain.project import Project, atomic_write

_NAME_RE = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_case_name(name: str) -> str:
    """A file-name-safe case name ('alice ok' → 'alice-ok')."""
    return _NAME_RE.sub("-", name.strip()).strip("-.") or "case"


def list_cases(project: Project, script: str | None = None) -> list[tuple[str, dict]]:
    """(name, case) pairs sorted by name; files `customdb test` would reject are skipped here."""
    from app.engine.cases import case_files, load_case

    found = []
    for file in case_files(project):
        try:
            case = load_case(file, project.platform)
        except ValueError:
            continue
        if script is None or case["script"] == script:
            found.append((file.stem, case))
    return found


def save_case(project: Project, name: str, script: str, inputs: dict, outcome: str | None,
              result: object = None) -> Path:
    """Write a case whose expectation is the outcome (and result) the script gives today."""
    expect: dict = {}
    if outcome is not None:
        expect["outcome"] = outcome
        expect["result"] = result
    path = project.cases_dir / f"{safe_case_name(name)}.json"
    atomic_write(path, json.dumps({"script": script, "input": inputs, "expect": expect}, indent=2,
                                  ensure_ascii=False) + "\n")
    return path


def suggest_case_name(project: Project, script: str, inputs: dict, outcome: str | None = None) -> str:
    """A default name that says what the case is: `login-alice-ok` (the script, who, the outcome
    when known), made unique among the project's cases (`login-alice-ok-2`)."""
    who = ""
    for key in ("email", "user_id", "new_email"):
        value = inputs.get(key)
        if isinstance(value, str) and value.strip():
            who = value.strip().split("@", 1)[0]
            break
    if not who and isinstance(inputs.get("user"), dict):
        who = str(inputs["user"].get("email") or "").split("@", 1)[0]
    base = safe_case_name("-".join(p for p in (script, who, outcome or "") if p))
    taken = {p.stem for p in project.cases_dir.glob("*.json")} if project.cases_dir.is_dir() else set()
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name
