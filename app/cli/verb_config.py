"""`customdb config set|list|unset`: a project's configuration. Plain values live in customdb.toml;
secret values only in the OS keychain (the toml just marks them `{ secret = true }`).

`DATABASE_PASSWORD` is the legacy database's password: keychain only, never a configuration entry.
"""

from __future__ import annotations

import argparse
import re
import sys

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DATABASE_PASSWORD = "DATABASE_PASSWORD"  # noqa: S105 - same name as app.engine.secrets.DATABASE_PASSWORD


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("config", help="set, list or unset configuration values and secrets",
                                   description="Manage what scripts read as configuration[KEY]. Secret values "
                                               "go to the OS keychain only.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    p_set = actions.add_parser("set", help="set a value (--secret: into the OS keychain)")
    p_set.add_argument("dir", metavar="DIR")
    p_set.add_argument("key", metavar="KEY")
    p_set.add_argument("value", metavar="VALUE", nargs="?",
                       help="the value; with --secret it may be left out to type it (or pipe it on stdin), "
                            "which keeps it out of the shell history")
    p_set.add_argument("--secret", action="store_true", help="store the value in the OS keychain, not the file")
    p_set.set_defaults(func=run)

    p_list = actions.add_parser("list", help="list keys, where each value comes from; secrets as ****")
    p_list.add_argument("dir", metavar="DIR")
    p_list.add_argument("--json", action="store_true", help="print one JSON object (schema in docs/cli.md)")
    p_list.set_defaults(func=run)

    p_unset = actions.add_parser("unset", help="remove a key from the file and the keychain")
    p_unset.add_argument("dir", metavar="DIR")
    p_unset.add_argument("key", metavar="KEY")
    p_unset.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app.cli import load_project_or_fail

    project = load_project_or_fail(args.dir)
    return {"set": _set, "list": _list, "unset": _unset}[args.action](project, args)


def _check_key(key: str) -> None:
    from app.cli import UsageError

    if not _KEY.match(key):
        raise UsageError(f"configuration key {key!r} must be a Python identifier (letters, digits, _)")


def _read_value(key: str) -> str:
    import getpass

    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"{key}: ")
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


def _save(project) -> None:
    from app.cli import UsageError
    from app.domain.project import ProjectError

    try:
        project.save()
    except (ProjectError, OSError) as e:
        raise UsageError(f"cannot save {project.file}: {e}") from None


def _set(project, args: argparse.Namespace) -> int:
    from app.cli import UsageError
    from app.domain.project import ConfigEntry
    from app.engine.secrets import KeychainUnavailable, delete_secret, set_secret

    key = args.key
    _check_key(key)
    if key == DATABASE_PASSWORD and not args.secret:
        raise UsageError(f"{DATABASE_PASSWORD} is the database password: store it with --secret "
                         "(it never goes into customdb.toml)")
    value = args.value
    if value is None:
        if not args.secret:
            raise UsageError("a plain value needs VALUE (only --secret values can be typed or piped in)")
        value = _read_value(key)
    if args.secret:
        if value == "":
            raise UsageError(f"refusing to store an empty secret for {key}")
        try:
            set_secret(project, key, value)
        except KeychainUnavailable as e:
            raise UsageError(f"cannot store {key}: {e}") from None
        if key == DATABASE_PASSWORD:
            print(f"{key} stored in the OS keychain (service customdb-studio); "
                  "it is used to connect to the legacy database")
            return 0
        had_plain = key in project.configuration and not project.configuration[key].secret
        project.configuration[key] = ConfigEntry(key, None, True)
        _save(project)
        note = "; its plaintext value was removed from customdb.toml" if had_plain else ""
        print(f"{key} stored in the OS keychain (service customdb-studio); customdb.toml marks it secret{note}")
        return 0

    was_secret = key in project.configuration and project.configuration[key].secret
    project.configuration[key] = ConfigEntry(key, value, False)
    _save(project)
    note = ""
    if was_secret:
        try:
            delete_secret(project, key)
            note = " (it was a secret: its keychain entry was removed)"
        except KeychainUnavailable:
            note = " (it was a secret; the keychain could not be reached to remove the old entry)"
    print(f"{key} set in customdb.toml{note}")
    return 0


def _unset(project, args: argparse.Namespace) -> int:
    from app.cli import UsageError
    from app.engine.secrets import KeychainUnavailable, delete_secret

    key = args.key
    _check_key(key)
    entry = project.configuration.pop(key, None)
    is_secret = key == DATABASE_PASSWORD or (entry is not None and entry.secret)
    removed_keychain = False
    if is_secret:
        try:
            removed_keychain = delete_secret(project, key)
        except KeychainUnavailable as e:
            if entry is None:
                raise UsageError(f"cannot remove {key}: {e}") from None
            print(f"customdb config: the keychain entry of {key} could not be removed: {e}", file=sys.stderr)
    if entry is None and not removed_keychain:
        raise UsageError(f"{project.file}: no configuration key {key!r}")
    if entry is not None:
        _save(project)
    where = " and ".join(w for w, done in (("customdb.toml", entry is not None),
                                            ("the OS keychain", removed_keychain)) if done)
    print(f"{key} removed from {where}")
    return 0


def _rows(project) -> list[dict]:
    from app.engine.database import parse_url
    from app.engine.secrets import secret_source

    rows = []
    for key, entry in project.configuration.items():
        if entry.secret:
            value, source = secret_source(project, key)
            rows.append({"key": key, "scope": "configuration", "secret": True,
                         "value": None if value is None else "****", "source": source})
        else:
            rows.append({"key": key, "scope": "configuration", "secret": False,
                         "value": entry.value or "", "source": "file"})
    value, source = secret_source(project, DATABASE_PASSWORD)
    try:
        needs_password = bool(parse_url(project.database_url).username)
    except ValueError:
        needs_password = False
    if (needs_password or value is not None) and DATABASE_PASSWORD not in project.configuration:
        rows.append({"key": DATABASE_PASSWORD, "scope": "database", "secret": True,
                     "value": None if value is None else "****", "source": source})
    return rows


def _list(project, args: argparse.Namespace) -> int:
    from app.cli import emit_json
    from app.engine.secrets import SERVICE, keychain_notice_once, keychain_problem

    rows = _rows(project)
    problem = keychain_problem()
    if args.json:
        emit_json({"project": str(project.root), "keychain": {"service": SERVICE, "available": problem is None,
                                                              "problem": problem},
                   "entries": rows})
        return 0
    notice = keychain_notice_once()
    if notice:
        print(f"customdb config: {notice}", file=sys.stderr)
    if not rows:
        print(f"no configuration in {project.file}")
        return 0
    width = max(len(r["key"]) for r in rows)
    for r in rows:
        shown = "(not set)" if r["value"] is None else r["value"]
        where = r["source"] if r["scope"] == "configuration" else f"{r['source']}, database password"
        print(f"{r['key']:<{width}}  {shown}  [{'secret, ' if r['secret'] else ''}{where}]")
    return 0
