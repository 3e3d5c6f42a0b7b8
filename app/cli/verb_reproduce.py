"""`customdb reproduce DIR [--json]`: run the input in DIR/repro/ against its script (a dry run) and
compare the local traceback with the customer's trace in repro/trace.txt, frames matched by script
and line (app/engine/replay.py). An extension of issue 7's "Reproduce" for scripts and CI.

Exit 0 the error reproduced, 1 it did not (or there is no customer trace to compare with),
2 unusable input: not a project, no repro/, a restricted project (`customdb trust DIR`), a missing secret.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reproduce", help="replay a bundle's failing input and compare with the customer's trace",
        description="Dry-run repro/repro.json's input against its script and set the local traceback "
                    "beside repro/trace.txt, frames matched by script and line. Exit 0 when the error "
                    "reproduced, 1 when it did not.")
    parser.add_argument("dir", metavar="DIR")
    parser.add_argument("--json", action="store_true", help="print the comparison as one JSON object")
    parser.set_defaults(func=run)


def _frame_text(frame: dict | None) -> str:
    if frame is None:
        return ""
    where = f"{(frame.get('file') or '?').replace(chr(92), '/').rsplit('/', 1)[-1]}:{frame.get('line')}"
    return f"{frame.get('function') or '<anonymous>'} {where}"


def format_comparison(c: dict) -> str:
    verdict = {True: "REPRODUCED", False: "NOT REPRODUCED", None: "NO CUSTOMER TRACE"}[c["reproduced"]]
    local = c["local"]
    lines = [f"{c['script']}: {verdict}"]
    if c["customer"]:
        lines.append(f"customer: {c['customer']['type']}: {c['customer']['message']}")
    lines.append(f"local:    {local['type'] or local['outcome']}" + (f": {local['message']}" if local['message'] else ""))
    width = 40
    lines.append(f"  {'customer':<{width}} {'local':<{width}}")
    for row in c["rows"]:
        left = _frame_text(c["customer"]["frames"][row["customer"]]) if row["customer"] is not None else ""
        right = _frame_text(local["frames"][row["local"]]) if row["local"] is not None else ""
        mark = "=" if row["matched"] else " "
        lines.append(f"{mark} {left:<{width}} {right:<{width}}".rstrip())
    lines.append(f"{c['matched_frames']} frame(s) matched by script and line")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from app.cli import EXIT_FAIL, EXIT_OK, UsageError, emit_json, load_project_or_fail
    from app.cli.verb_trust import refuse_if_restricted
    from app.engine.bundles import BundleError
    from app.engine.database import DatabaseUrlError
    from app.engine.replay import reproduce
    from app.engine.runner import RunInputError
    from app.engine.secrets import SecretsError

    project = load_project_or_fail(args.dir)
    refuse_if_restricted(project)
    try:
        comparison = reproduce(project).to_dict()
    except (BundleError, RunInputError, SecretsError, DatabaseUrlError) as e:
        raise UsageError(str(e)) from None
    if args.json:
        emit_json(comparison)
    else:
        print(format_comparison(comparison))
    return EXIT_OK if comparison["reproduced"] else EXIT_FAIL
