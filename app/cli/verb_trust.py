"""`customdb trust DIR [--revoke] [--json]`: allow (or, with --revoke, refuse again) running the
scripts of a project that came from a reproduction bundle. Trust is remembered per folder, for this
user, outside the project (see app/engine/trust.py).

Also the gate the running verbs call: `refuse_if_restricted(project)` (exit 2 naming `customdb trust`).
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "trust", help="allow running a project that came from a reproduction bundle (restricted mode)",
        description="A project unpacked from a reproduction bundle holds someone else's code: run, test, "
                    "debug, simulate, rehearse and reproduce are refused until you trust it. Read its "
                    "scripts first. --revoke restricts the folder again.")
    parser.add_argument("dir", metavar="DIR")
    parser.add_argument("--revoke", action="store_true", help="take trust back: running is refused again")
    parser.add_argument("--json", action="store_true",
                        help='print {"project": DIR, "trusted": bool, "from_bundle": bool, "scripts": [KEY]}')
    parser.set_defaults(func=run)


def refuse_if_restricted(project) -> None:
    """Exit 2 with a one-line message naming `customdb trust DIR` when the project is restricted."""
    from app.cli import UsageError
    from app.engine.trust import UntrustedProjectError, require_trusted

    try:
        require_trusted(project)
    except UntrustedProjectError as e:
        raise UsageError(str(e)) from None


def run(args: argparse.Namespace) -> int:
    from app.cli import UsageError, emit_json, load_project_or_fail
    from app.engine import trust

    project = load_project_or_fail(args.dir)
    try:
        if args.revoke:
            trust.revoke(project)
        else:
            trust.trust(project)
    except OSError as e:
        raise UsageError(f"cannot write the trust store {trust.store_path()}: {e.strerror or e}") from None
    trusted = not trust.is_restricted(project)
    scripts = project.script_keys()
    if args.json:
        emit_json({"project": str(project.root), "trusted": trusted,
                   "from_bundle": trust.is_from_bundle(project.root), "scripts": scripts})
    elif trusted:
        print(f"trusted {project.root}: its scripts ({', '.join(scripts) or 'none'}) may now run on this machine")
    else:
        print(f"restricted {project.root}: running its scripts is refused until `customdb trust {project.root}`")
    return 0
