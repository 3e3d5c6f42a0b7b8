"""`customdb new DIR [--language L] [--database D] [--mode M] [--name NAME]`: scaffold a connection project.

A SQLite project gets its own copy of the sample legacy store and runs at once; so does a
JavaScript project on the embedded sample database (its default: PostgreSQL in PGlite, started with
the project). A server project gets a URL without password and `schema.sql` for the `users` table
the templates expect.
"""

from __future__ import annotations

import argparse

DATABASES = ("sqlite", "postgresql", "mysql", "mssql")  # same as app.domain.templates.DIALECTS
JS_DATABASES = ("embedded", "postgresql", "mysql", "mssql", "mongodb")  # app.engine.scaffold.JS_DATABASES
LANGUAGES = ("python", "javascript")
MODES = ("legacy", "migration")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "new", help="create a connection project from the templates",
        description="Create a connection project in DIR (new or empty): customdb.toml, scripts/ from the "
                    "templates of the database and mode, cases/. With sqlite it gets its own copy of the "
                    "sample legacy store and runs at once.")
    parser.add_argument("dir", metavar="DIR")
    parser.add_argument("--language", choices=LANGUAGES, default="python",
                        help="the scripts' language (default: python; javascript is what the hosted platform runs)")
    parser.add_argument("--database", choices=sorted(set(DATABASES) | set(JS_DATABASES)), default=None,
                        help="the legacy database's kind (default: sqlite for Python, embedded for JavaScript: "
                             "a PostgreSQL sample that needs no server; mongodb and embedded are JavaScript only)")
    parser.add_argument("--mode", choices=MODES, default="legacy",
                        help="legacy: all seven scripts; migration: Login and Get User (default: legacy)")
    parser.add_argument("--name", help="the connection's display name (default: the folder's name)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app.cli import UsageError
    from app.engine.scaffold import ScaffoldError, create_project

    try:
        project = create_project(args.dir, database=args.database, mode=args.mode, name=args.name,
                                 language=args.language)
    except ScaffoldError as e:
        raise UsageError(str(e)) from None
    except OSError as e:
        raise UsageError(f"cannot create {args.dir}: {e.strerror or e}") from None
    scripts = ", ".join(project.script_file_name(k) for k in project.script_keys())
    database = args.database or ("embedded" if args.language == "javascript" else "sqlite")
    print(f"Created {project.name!r} ({args.language}, {args.mode} mode, {database}) in {project.root}")
    print(f"  scripts/: {scripts}")
    if database == "embedded":
        print("  database: the embedded sample database (started with the project; try alice@example.com / "
              "wonderland-42)")
    elif database == "sqlite":
        print("  legacy.db: the sample store (try alice@example.com / wonderland-42)")
    else:
        if args.language == "javascript":
            url = project.configuration["DATABASE_URL"].value
            print(f"  database: {url}  (the scripts' configuration DATABASE_URL; [database] url for the IDE)")
        else:
            print(f"  database: {project.database_url}  (edit [database] url in customdb.toml)")
        if database != "mongodb":
            print("  schema.sql: creates the users table the scripts expect")
        print(f"  password: customdb config set {args.dir} DATABASE_PASSWORD --secret")
    return 0
