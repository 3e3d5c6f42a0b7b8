"""`customdb rehearse DIR [--json] [--limit N] [--workers N]`: run Get User for every legacy user (a
dry run, always rolled back) and report every user the automatic migration would not handle cleanly.
The users are split over N worker processes (default: one per core); the report's order is the
identifier query's, whatever N is. On a terminal, stderr shows a progress line.

The identifiers come from `[rehearsal] query` in customdb.toml (default `SELECT email FROM users`).
Exit 0 when every user passed, 1 when any user failed, 2 for unusable input (missing project, no
Get User script, a missing secret, a query or database that cannot be used).
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "rehearse", help="rehearse the migration: Get User for every legacy user, checked (dry run)",
        description="Run Get User of the project in DIR for every legacy user (identifiers from "
                    "[rehearsal] query, default SELECT email FROM users) twice, always rolled back, and "
                    "check each profile: found, user_id set, unique and stable, e-mail unique, no secrets.")
    parser.add_argument("dir", metavar="DIR")
    parser.add_argument("--limit", metavar="N", type=int, help="check only the first N users")
    parser.add_argument("--workers", metavar="N", type=int,
                        help="worker processes, each with its own dry-run connection (default: one per core)")
    parser.add_argument("--csv", metavar="FILE", help="also write every failure to FILE as CSV")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.set_defaults(func=run)


def format_report(report: dict) -> str:
    lines = [f"{report['users']} users checked in {report['duration_s']:.1f} s: {report['ok']} ok, "
             f"{report['failed']} failed" + (" (cancelled)" if report.get("cancelled") else "")]
    unchecked = max(int(report.get("total") or 0) - report["users"], 0)
    if unchecked:
        lines.append(f"  {unchecked} of {report['total']} users were not checked; this says nothing about them")
    stranded = report.get("stranded_sample") or {}
    if stranded.get("note"):
        lines.append(f"stranded users: {stranded['note']}")
    for code, count in report["by_code"].items():
        lines.append(f"  {code}: {count}")
    if report["examples"]:
        lines.append("examples:")
        for example in report["examples"]:
            lines.append(f"  [{example['code']}] {example['identifier']!r}: {example['message']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from app.cli import UsageError, emit_json, load_project_or_fail
    from app.cli.verb_trust import refuse_if_restricted
    from app.engine.database import DatabaseUrlError
    from app.engine.rehearsal import Rehearsal, RehearsalError
    from app.engine.run_inputs import RunInputError
    from app.engine.secrets import SecretsError

    project = load_project_or_fail(args.dir)
    refuse_if_restricted(project)  # restricted mode: exit 2 naming `customdb trust DIR`
    if args.limit is not None and args.limit < 0:
        raise UsageError("--limit must be 0 or more")
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be 1 or more")
    progress = None
    if sys.stderr.isatty():
        def progress(done: int, total: int, rate: float, eta: float | None) -> None:
            left = f", {eta:.0f} s left" if eta is not None else ""
            of = f"/{total}" if total else ""
            print(f"\r{done}{of} users, {rate:.0f}/s{left}   ", end="", file=sys.stderr, flush=True)
    try:
        report = Rehearsal(project, limit=args.limit, on_progress=progress, workers=args.workers).run()
    except (RehearsalError, RunInputError, SecretsError, DatabaseUrlError) as e:
        raise UsageError(str(e)) from None
    finally:
        if progress is not None:
            print(file=sys.stderr)
    if args.csv:
        try:
            report.write_csv(args.csv)
        except OSError as e:
            raise UsageError(f"cannot write {args.csv}: {e.strerror or e}") from None
    data = report.to_dict()
    data.pop("cancelled", None)  # the CLI cannot be cancelled: it checked every user it was asked to
    data.pop("total", None)
    if args.json:
        emit_json(data)
    else:
        print(format_report(data))
    return 1 if report.failed else 0
