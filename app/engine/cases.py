"""Saved cases (`cases/<name>.json`): load them, run them through one container, judge each.

Format (docs/projects.md "Saved cases"): {"script": KEY, "input": {...}, "expect": {"outcome": ..., "result": ...}}.
`expect.result` given as an object matches when every key it lists has that value (recursively);
any other value must be equal. A case file that cannot be read fails as a case with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.domain.platforms import AUTH0, Platform
from app.domain.project import Project
from app.engine.run_inputs import load_json


class CaseError(ValueError):
    """The project has no cases to run (the CLI's exit 2)."""


@dataclass
class CaseReport:
    name: str
    script: str | None
    passed: bool
    outcome: str | None
    expected: dict[str, Any] = field(default_factory=dict)
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "script": self.script, "passed": self.passed, "outcome": self.outcome,
                "expected": self.expected, "message": self.message}


def case_files(project: Project) -> list[Path]:
    folder = project.cases_dir
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def load_case(path: Path, platform: Platform = AUTH0) -> dict[str, Any]:
    """One case, validated against the project's platform; ValueError says what is wrong with it."""
    try:
        data = load_json(path.read_text(encoding="utf-8"), "the case")
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"cannot read the case: {e}") from None
    if not isinstance(data, dict):
        raise ValueError("a case must be a JSON object with script, input and expect")
    script = data.get("script")
    if script not in platform.kinds:
        raise ValueError(f"unknown script {script!r}; expected one of {', '.join(platform.order)}")
    if not isinstance(data.get("input", {}), dict):
        raise ValueError("'input' must be a JSON object")
    expect = data.get("expect", {})
    if not isinstance(expect, dict):
        raise ValueError("'expect' must be a JSON object")
    return data


def matches(expected: Any, actual: Any) -> bool:
    """Objects match on the keys they list (recursively); anything else must be equal."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and matches(v, actual[k]) for k, v in expected.items())
    return expected == actual


def judge(name: str, case: dict[str, Any], result: dict[str, Any]) -> CaseReport:
    expect = case.get("expect") or {}
    want = expect.get("outcome", "ok")
    outcome = result.get("outcome")
    problems = []
    if outcome != want:
        detail = result.get("error") or {}
        why = f" ({detail.get('type')}: {detail.get('message')})" if detail else ""
        problems.append(f"expected outcome {want}, got {outcome}{why}")
    if "result" in expect and not matches(expect["result"], result.get("result")):
        problems.append(f"result {json.dumps(result.get('result'), ensure_ascii=False)} does not match the "
                        f"expected {json.dumps(expect['result'], ensure_ascii=False)}")
    return CaseReport(name, case.get("script"), not problems, outcome, expect, "; ".join(problems))


def run_cases(project: Project, runner: Any = None) -> list[CaseReport]:
    """Run every case as a dry run, in file-name order, in one container (like consecutive requests)."""
    from app.engine.runner import RunInputError, RunnerClient

    files = case_files(project)
    if not files:
        raise CaseError(f"no saved cases in {project.cases_dir} (add cases/<name>.json files)")
    own = runner is None
    runner = runner or RunnerClient(project, use_spare=False)
    reports = []
    try:
        for path in files:
            name = path.stem
            try:
                case = load_case(path, project.platform)
            except ValueError as e:
                reports.append(CaseReport(name, None, False, None, {}, str(e)))
                continue
            try:
                result = runner.run(case["script"], case.get("input") or {}, commit=False).to_dict()
            except RunInputError as e:
                reports.append(CaseReport(name, case["script"], False, None, case.get("expect") or {}, str(e)))
                continue
            reports.append(judge(name, case, result))
    finally:
        if own:
            runner.close()
    return reports
