"""`customdb lint DIR [--json]`: the static best-practice checks over a project's scripts.

Exit 0 when there is no error (warnings and info allowed), 1 with errors, 2 for unusable input.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lint", help="check a project's scripts against the platform's rules and best practices",
        description="Static checks (no script runs): entry name and arity, SQL built from strings, "
                    "hard-coded credentials, DELETE in Login, the 100 kB limit, scripts the mode never calls.")
    parser.add_argument("dir", metavar="DIR")
    parser.add_argument("--json", action="store_true",
                        help='print {"findings": [{"code", "severity", "message", "script", "line"}]}')
    parser.set_defaults(func=run)


def format_finding(f, suffix: str = ".py") -> str:
    """`scripts/login.py:12: error [sql-string-concat] message` (no line: `scripts/login.py: ...`);
    `suffix` is the project's language's (`.js` in a JavaScript project)."""
    where = f"scripts/{f.script}{suffix}" if f.script else "customdb.toml"
    if f.line:
        where += f":{f.line}"
    return f"{where}: {f.severity} [{f.code}] {f.message}"


def run(args: argparse.Namespace) -> int:
    from app.cli import EXIT_FAIL, EXIT_OK, emit_json, load_project_or_fail
    from app.domain.findings import Severity, has_errors
    from app.domain.lint import lint_project

    project = load_project_or_fail(args.dir)
    findings = lint_project(project)
    if args.json:
        emit_json({"findings": [
            {"code": f.code, "severity": str(f.severity), "message": f.message, "script": f.script,
             "line": f.line} for f in findings]})
    else:
        for f in findings:
            print(format_finding(f, project.language.suffix))
        counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
        summary = ", ".join(f"{n} {s}{'s' if n != 1 and s is not Severity.INFO else ''}"
                            for s, n in counts.items() if n)
        print(f"{len(project.script_keys())} scripts checked: {summary or 'no findings'}")
    return EXIT_FAIL if has_errors(findings) else EXIT_OK
