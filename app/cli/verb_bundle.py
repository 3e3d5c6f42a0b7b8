"""`customdb bundle export DIR OUT.zip [--script KEY] [--input JSON] [--trace FILE] [--data] [--mask] [--json]`
and `customdb bundle import ZIP DIR [--json]`: reproduction bundles (app/engine/bundles.py).

Exit 0 done, 2 anything unusable or refused (not a bundle, unsafe entries, zip bombs, a non-empty
target, a secret value in a script, ...), always with a one-line message.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bundle", help="export or import a reproduction bundle (scripts, cases, failing input, trace, data)",
        description="Reproduction bundles carry what support needs to reproduce a customer's error.")
    sub = parser.add_subparsers(dest="bundle_verb", metavar="export|import")
    exp = sub.add_parser("export", help="write a reproduction bundle of the project in DIR",
                         description="Write OUT.zip: customdb.toml, scripts/, cases/, repro/ (the failing "
                                     "script, input and trace) and with --data a snapshot of the legacy "
                                     "data. Never secret values, keychain entries, .customdb/ or caches.")
    exp.add_argument("dir", metavar="DIR")
    exp.add_argument("out", metavar="OUT.zip")
    exp.add_argument("--script", metavar="KEY", help="the script that failed (default: the one the trace names)")
    exp.add_argument("--input", metavar="JSON", help="the input that failed, as for customdb run --input")
    exp.add_argument("--trace", metavar="FILE", help="the stack trace or log (a file, or - for stdin)")
    exp.add_argument("--data", action="store_true",
                     help="add a SQLite snapshot of the legacy data (SQLite: a copy; a server: the rows "
                          "the script touches in a dry run)")
    exp.add_argument("--mask", action="store_true",
                     help="mask e-mail addresses (stable pseudonyms) and password hashes in the snapshot "
                          "and trace; the repro input's own user is kept so it still reproduces")
    exp.add_argument("--json", action="store_true", help="print what was written as one JSON object")
    exp.set_defaults(func=run_export)
    imp = sub.add_parser("import", help="unpack a reproduction bundle into a new project (restricted mode)",
                         description="Unpack ZIP into DIR (absent or empty) as a project that uses the "
                                     "bundled snapshot as its database. It starts restricted: running is "
                                     "refused until `customdb trust DIR`.")
    imp.add_argument("zip", metavar="ZIP")
    imp.add_argument("dir", metavar="DIR")
    imp.add_argument("--json", action="store_true", help="print the new project as one JSON object")
    imp.set_defaults(func=run_import)
    parser.set_defaults(func=_usage(parser))


def _usage(parser: argparse.ArgumentParser):
    def run(args: argparse.Namespace) -> int:
        from app.cli import UsageError

        raise UsageError("say `customdb bundle export DIR OUT.zip` or `customdb bundle import ZIP DIR`")
    return run


def run_export(args: argparse.Namespace) -> int:
    from app.cli import UsageError, emit_json, load_project_or_fail
    from app.cli.verb_run import parse_input
    from app.engine.bundles import BundleError, export_bundle

    project = load_project_or_fail(args.dir)
    data = parse_input(args.input) if args.input is not None else None
    trace = None
    if args.trace is not None:
        from app.cli.verb_trace import read_input

        trace = read_input(args.trace)
    try:
        summary = export_bundle(project, args.out, script=args.script, input=data, trace=trace,
                                data=args.data, mask=args.mask)
    except BundleError as e:
        raise UsageError(str(e)) from None
    except OSError as e:
        raise UsageError(f"cannot write {args.out}: {e.strerror or e}") from None
    if args.json:
        emit_json(summary.to_dict())
    else:
        what = {"sqlite_copy": "a copy of the SQLite database", "touched_rows": "the rows the script touched"}
        print(f"wrote {summary.path}: {len(summary.files)} files"
              + (f", repro of {summary.script}" if summary.script else "")
              + (f", {what[summary.data]}" if summary.data else "")
              + (", masked" if summary.masked else ""))
    return 0


def run_import(args: argparse.Namespace) -> int:
    from app.cli import UsageError, emit_json
    from app.engine.bundles import BundleError, import_bundle

    try:
        project = import_bundle(args.zip, args.dir)
    except BundleError as e:
        raise UsageError(str(e)) from None
    except OSError as e:
        raise UsageError(f"cannot unpack into {args.dir}: {e.strerror or e}") from None
    if args.json:
        emit_json({"project": str(project.root), "name": project.name, "database_url": project.database_url,
                   "scripts": project.script_keys(), "restricted": True})
    else:
        print(f"unpacked {args.zip} into {project.root} ({', '.join(project.script_keys()) or 'no scripts'}); "
              f"it is restricted: read its scripts, then `customdb trust {project.root}` to run them")
    return 0
