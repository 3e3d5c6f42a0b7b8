"""`customdb new DIR [--database D] [--mode M] [--name NAME]`: scaffold a connection project.

A SQLite project gets its own copy of the sample legacy store and runs at once; a server project
gets a URL without password and `schema.sql` for the `users` table the templates expect.
"""

from __future__ import annotations

import argparse

DATABASES = ("sqlite", "postgresql", "mysql", "mssql")  # same as app.domain.templates.DIALECTS
MODES = ("legacy", "migration")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "new", help="create a connection project from the templates",
        description="Create a connection project in DIR (new or empty): customdb.toml, scripts/ from the "
                    "templates of the database and mode, cases/. With sqlite it gets its own copy of the "
                    "sample legacy store and runs at once.")
    parser.add_argument("dir", metavar="DIR")
    parser.add_argument("--database", choices=DATABASES, default="sqlite",
                        help="the legacy database's kind (default: sqlite)")
    parser.add_argument("--mode", choices=MODES, default="legacy",
                        help="legacy: all seven scripts; migration: Login and Get User (default: legacy)")
    parser.add_argument("--name", help="the connection's display name (default: the folder's name)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app.cli import UsageError
    from app.engine.scaffold import ScaffoldError, create_project

    try:
        project = create_project(args.dir, database=args.database, mode=args.mode, name=args.name)
    except ScaffoldError as e:
        raise UsageError(str(e)) from None
    except OSError as e:
        raise UsageError(f"cannot create {args.dir}: {e.strerror or e}") from None
    scripts = ", ".join(project.script_file_name(k) for k in project.script_keys())
    print(f"Created {project.name!r} ({args.mode} mode, {args.database}) in {project.root}")
    print(f"  scripts/: {scripts}")
    if args.database == "sqlite":
        print("  legacy.db: the sample store (try alice@example.com / wonderland-42)")
    else:
        print(f"  database: {project.database_url}  (edit [database] url in customdb.toml)")
        print("  schema.sql: creates the users table the scripts expect")
        print(f"  password: customdb config set {args.dir} DATABASE_PASSWORD --secret")
    return 0
