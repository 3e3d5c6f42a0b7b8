"""`customdb test DIR [--json]`: run every saved case in `cases/*.json` and compare the outcome
(and the expected result fields) with what the case says. Exit 0 only when every case passes —
this is what users put in their own CI.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "test", help="run the saved cases in cases/*.json; exit 0 only if all pass",
        description="Run every saved case (dry runs, in file-name order, in one container) and compare "
                    "each outcome and expected result fields.")
    parser.add_argument("dir", metavar="DIR")
    parser.add_argument("--json", action="store_true",
                        help='print {"cases": [{"name", "script", "passed", "outcome", "expected", "message"}], '
                             '"passed": N, "failed": N}')
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app.cli import EXIT_FAIL, EXIT_OK, UsageError, emit_json, load_project_or_fail
    from app.cli.verb_trust import refuse_if_restricted
    from app.engine.cases import CaseError, run_cases
    from app.engine.secrets import SecretsError

    project = load_project_or_fail(args.dir)
    refuse_if_restricted(project)  # restricted mode: exit 2 naming `customdb trust DIR`
    try:
        reports = run_cases(project)
    except (CaseError, SecretsError) as e:
        raise UsageError(str(e)) from None
    passed = sum(1 for r in reports if r.passed)
    failed = len(reports) - passed
    if args.json:
        emit_json({"cases": [r.to_dict() for r in reports], "passed": passed, "failed": failed})
    else:
        for r in reports:
            mark = "PASS" if r.passed else "FAIL"
            print(f"{mark} {r.name} ({r.script}): {r.outcome}" + ("" if r.passed else f" — {r.message}"))
        print(f"{passed} passed, {failed} failed")
    return EXIT_OK if failed == 0 else EXIT_FAIL
