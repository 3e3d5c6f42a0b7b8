"""`customdb deploy import | export | check`: the Auth0 Deploy CLI's folder and tenant.yaml exports.

    customdb deploy import EXPORT_DIR PROJECT_DIR [--connection NAME] [--json]
    customdb deploy export PROJECT_DIR EXPORT_DIR [--format directory|yaml]
    customdb deploy check EXPORT_DIR|PROJECT_DIR [--connection NAME] [--json]

Exit codes: 0 done (check: no errors), 1 check found errors, 2 unusable input.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "deploy", help="open, write back and check Auth0 Deploy CLI exports of a custom database connection",
        description="Work with what the Auth0 Deploy CLI exports: a database-connections/<name>/ folder "
                    "(database.json and the script files) or a tenant.yaml.")
    verbs = parser.add_subparsers(dest="deploy_verb", metavar="import|export|check")
    p_import = verbs.add_parser("import", help="make a project from one connection of an export")
    p_import.add_argument("export", metavar="EXPORT_DIR", help="the export folder (or its tenant.yaml)")
    p_import.add_argument("project", metavar="PROJECT_DIR", help="a new or empty folder for the project")
    p_import.add_argument("--connection", metavar="NAME", help="which connection, when the export has several")
    p_import.add_argument("--json", action="store_true", help="print what was imported as one JSON object")
    p_import.set_defaults(func=run_import)
    p_export = verbs.add_parser("export", help="write a project back in the Deploy CLI's layout (no secret values)")
    p_export.add_argument("project", metavar="PROJECT_DIR")
    p_export.add_argument("export", metavar="EXPORT_DIR", help="the export folder (created if absent)")
    p_export.add_argument("--format", choices=("directory", "yaml"),
                          help="the export's form (default: the form it was imported from, else directory)")
    p_export.set_defaults(func=run_export)
    p_check = verbs.add_parser("check", help="what would go wrong if this were deployed (exit 1 on errors)")
    p_check.add_argument("path", metavar="EXPORT_DIR|PROJECT_DIR")
    p_check.add_argument("--connection", metavar="NAME", help="check only this connection of an export")
    p_check.add_argument("--json", action="store_true",
                         help='print {"findings": [{"code", "severity", "message", "script", "line", "connection"}]}')
    p_check.set_defaults(func=run_check)
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    from app.cli import UsageError

    raise UsageError("deploy needs a verb: import, export or check (customdb deploy --help)")


def run_import(args: argparse.Namespace) -> int:
    from app.cli import EXIT_OK, UsageError, emit_json
    from app.domain.deploy import DeployError
    from app.engine.deploy import import_export

    try:
        report = import_export(args.export, args.project, args.connection)
    except DeployError as e:
        raise UsageError(str(e)) from None
    project = report.project
    if args.json:
        emit_json({"project": str(project.root), "connection": report.connection, "mode": str(project.mode),
                   "scripts": report.imported, "kept": report.kept, "missing": report.missing,
                   "secrets": report.secrets})
        return EXIT_OK
    print(f"Imported connection {report.connection!r} ({project.mode} mode) into {project.root}")
    print(f"  scripts: {', '.join(report.imported) or 'none'}")
    if report.kept:
        print(f"  kept, not run by this IDE: {', '.join(report.kept)} (exported back unchanged)")
    if report.missing:
        print(f"  missing from the export: {', '.join(report.missing)} (customdb deploy check says more)")
    if report.secrets:
        print(f"  configuration: {', '.join(report.secrets)}. An export holds no values: set each one with")
        print(f"    customdb config set {args.project} KEY --secret")
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    from app.cli import EXIT_OK, UsageError, load_project_or_fail
    from app.domain.deploy import DeployError
    from app.engine.deploy import export_project

    load_project_or_fail(args.project)
    try:
        written = export_project(args.project, args.export, form=args.format)
    except DeployError as e:
        raise UsageError(str(e)) from None
    except OSError as e:
        raise UsageError(f"{args.export}: cannot write ({e.strerror or e})") from None
    for path in written:
        print(path)
    print(f"{len(written)} files written (secret configuration values are exported as ##KEY## placeholders)")
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    from app.cli import EXIT_FAIL, EXIT_OK, UsageError, emit_json
    from app.domain.deploy import DeployError
    from app.domain.findings import Severity, has_errors
    from app.domain.project import ProjectError
    from app.engine.deploy import check_path

    try:
        checked = check_path(args.path, args.connection)
    except (DeployError, ProjectError) as e:
        raise UsageError(str(e)) from None
    named = [(c, f) for c, findings in checked for f in findings]  # an export may hold several connections
    if args.json:
        emit_json({"findings": [{**f.to_dict(), "connection": c.name} for c, f in named]})
    else:
        for c, f in named:
            print(_format(c, f))
        counts = {s: sum(1 for _, f in named if f.severity is s) for s in Severity}
        summary = ", ".join(f"{n} {s}{'s' if n != 1 and s is not Severity.INFO else ''}"
                            for s, n in counts.items() if n)
        names = ", ".join(c.name for c, _ in checked) or "no connection"
        print(f"{names}: {summary or 'ready to deploy'}")
    return EXIT_FAIL if has_errors([f for _, f in named]) else EXIT_OK


def _format(connection, f) -> str:
    script = connection.scripts.get(f.script) if f.script else None
    where = (script.resolved or script.path) if script else (f"{connection.location}/database.json"
                                                              if connection.location else "database.json")
    if f.line:
        where += f":{f.line}"
    return f"{where}: {f.severity} [{f.code}] {f.message}"
