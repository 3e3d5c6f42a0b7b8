"""`customdb`: every headless verb. Each verb lives in its own module `app/cli/verb_<name>.py`,
found at start-up, exposing `register(subparsers)` that adds its parser with `func=run`.

Verb modules import only the standard library at module level so `customdb --help` stays fast;
they import the engine inside `run`.

Exit codes (a public contract): 0 success, 1 the check found problems / the run failed,
2 unusable input (missing folder, broken project file, bad arguments) with a one-line message.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from collections.abc import Sequence

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Unusable input: printed as one line on stderr, exit 2, never a traceback."""


def emit_json(obj: object) -> None:
    json.dump(obj, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def add_script_arguments(parser: argparse.ArgumentParser) -> None:
    """DIR SCRIPT [--input JSON] [--database URL]: the shared front of every verb that runs one script."""
    parser.add_argument("dir", metavar="DIR")
    parser.add_argument("script", metavar="SCRIPT",
                        help="login, get_user, create, verify, change_password, delete or change_email")
    parser.add_argument("--input", metavar="JSON", default="{}",
                        help='the arguments by Python name, e.g. \'{"email": "a@b.c", "password": "x"}\'')
    parser.add_argument("--database", metavar="URL", help="use this SQLAlchemy URL instead of the project's")


def build_parser() -> argparse.ArgumentParser:
    from app import __version__

    parser = argparse.ArgumentParser(prog="customdb", description="Custom DB Studio command line.")
    parser.add_argument("--version", action="version", version=f"customdb {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("verb_"):
            importlib.import_module(f"{__name__}.{info.name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:  # the program itself, not a test calling in: keep secrets out of our environment
        from app.engine.secrets import adopt_environment_overrides

        adopt_environment_overrides()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except UsageError as e:
        print(f"customdb {args.verb}: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def load_project_or_fail(path: str):
    """Load a project for a verb, turning any ProjectError into a one-line exit-2 message."""
    from app.domain.project import ProjectError, load_project

    try:
        return load_project(path)
    except ProjectError as e:
        raise UsageError(str(e)) from None
