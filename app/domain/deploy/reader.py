"""Read the custom database connections of a Deploy CLI export (folder or `tenant.yaml` form).

Nothing is guessed silently: a `customScripts` path naming no file is kept as a missing script (the
check reports it), script files beside `database.json` that `customScripts` does not name are kept
as `unreferenced` (a deploy would leave the default stubs live), and configuration values are never
read into the model (an export holds none, or placeholders).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path, PurePosixPath
from typing import Any

from app.domain.deploy.model import (
    CONNECTIONS_DIR,
    DIRECTORY_FORM,
    KEPT_SLOTS,
    METADATA_FILE,
    SCRIPT_SLOTS,
    YAML_FORM,
    DeployConnection,
    DeployError,
    DeployScript,
    is_custom_database,
    is_placeholder,
)

YAML_NAMES = ("tenant.yaml", "tenant.yml")
MAX_METADATA_BYTES = 8 * 1024 * 1024  # a connection's JSON or a tenant.yaml: far below this
MAX_SCRIPT_BYTES = 4 * 1024 * 1024  # the platform refuses anything over 100 kB anyway


def find_yaml(root: Path) -> Path | None:
    for name in YAML_NAMES:
        if (root / name).is_file():
            return root / name
    return None


def read_export(path: Path | str) -> list[DeployConnection]:
    """Every custom database connection in an export folder or a tenant.yaml file, in name order."""
    path = Path(path)
    if path.is_file():
        return _read_yaml(path)
    if not path.is_dir():
        raise DeployError(f"{path}: no such folder or file")
    connections_dir = path / CONNECTIONS_DIR
    if connections_dir.is_dir():
        return _read_directory(path, connections_dir)
    yaml_file = find_yaml(path)
    if yaml_file is not None:
        return _read_yaml(yaml_file)
    if (path / METADATA_FILE).is_file():  # the connection's own folder was given
        return [_read_connection_folder(path.parent, path)]
    raise DeployError(f"{path}: not a Deploy CLI export (no {CONNECTIONS_DIR}/ folder and no tenant.yaml)")


def pick(connections: list[DeployConnection], name: str | None, where: Path | str) -> DeployConnection:
    """The one connection to import: by name, or the only custom database of the export."""
    if name is not None:
        for c in connections:
            if c.name == name:
                return c
        known = ", ".join(c.name for c in connections) or "none"
        raise DeployError(f"{where}: no custom database connection named {name!r} (found: {known})")
    if not connections:
        raise DeployError(f"{where}: the export holds no custom database connection")
    if len(connections) > 1:
        names = ", ".join(c.name for c in connections)
        raise DeployError(f"{where}: several custom database connections ({names}); choose one with --connection")
    return connections[0]


# -- the folder form ---------------------------------------------------------------------------
def _read_directory(root: Path, connections_dir: Path) -> list[DeployConnection]:
    out = []
    for folder in sorted(p for p in connections_dir.iterdir() if p.is_dir()):
        if not (folder / METADATA_FILE).is_file():
            continue  # the Deploy CLI skips such folders too
        connection = _read_connection_folder(root, folder)
        if is_custom_database(connection.metadata) or connection.unreferenced:
            out.append(connection)
    return out


def _read_connection_folder(root: Path, folder: Path) -> DeployConnection:
    meta_file = folder / METADATA_FILE
    data = _load_json(meta_file)
    if not isinstance(data, dict):
        raise DeployError(f"{meta_file}: must hold one JSON object (the connection)")
    # Old exports put customScripts at the top level; the Deploy CLI moves it into options.
    if isinstance(data.get("customScripts"), dict):
        options = data.setdefault("options", {})
        if isinstance(options, dict):
            options.setdefault("customScripts", data["customScripts"])
    name = data.get("name") if isinstance(data.get("name"), str) else folder.name
    location = folder.relative_to(root).as_posix() if folder.is_relative_to(root) else folder.name
    connection = _connection(name, DIRECTORY_FORM, data, location)
    for script in connection.scripts.values():
        if script.path is not None:
            script.source, script.resolved = _read_script(folder, script.path, root)
    named = {s.resolved for s in connection.scripts.values() if s.resolved}
    for file in sorted(folder.glob("*.js")):
        rel = file.relative_to(root).as_posix() if file.is_relative_to(root) else file.name
        if rel not in named:
            connection.unreferenced[file.stem] = _read_text(file)
    return connection


# -- the YAML form -------------------------------------------------------------------------------
def _read_yaml(file: Path) -> list[DeployConnection]:
    import yaml

    text = _read_text(file, MAX_METADATA_BYTES)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark is not None else str(file)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise DeployError(f"{where}: invalid YAML: {problem}") from None
    except RecursionError:
        raise DeployError(f"{file}: nested too deeply to be a tenant export") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DeployError(f"{file}: must be a YAML mapping (the tenant)")
    databases = data.get("databases") or []
    if not isinstance(databases, list):
        raise DeployError(f"{file}: 'databases' must be a list of connections")
    out = []
    root = file.parent
    for i, db in enumerate(databases):
        if not isinstance(db, dict):
            raise DeployError(f"{file}: databases[{i}] must be a mapping")
        if not is_custom_database(db):
            continue
        name = db.get("name") if isinstance(db.get("name"), str) else f"databases[{i}]"
        connection = _connection(name, YAML_FORM, db, file.name)
        for script in connection.scripts.values():
            if script.path is not None:
                script.source, script.resolved = _read_script(root, script.path, root)
        out.append(connection)
    return sorted(out, key=lambda c: c.name)


# -- shared --------------------------------------------------------------------------------------
def _connection(name: str, form: str, data: dict[str, Any], location: str) -> DeployConnection:
    metadata = copy.deepcopy(data)
    options = metadata.get("options") if isinstance(metadata.get("options"), dict) else {}
    raw_scripts = options.get("customScripts") if isinstance(options.get("customScripts"), dict) else {}
    scripts: dict[str, DeployScript] = {}
    for slot in (*SCRIPT_SLOTS, *KEPT_SLOTS):
        value = raw_scripts.get(slot)
        if isinstance(value, str):
            scripts[slot] = DeployScript(slot, value, None)
    config = options.get("configuration")
    if isinstance(config, dict):  # keys only: a value that is not a placeholder never leaves the export
        options["configuration"] = {k: (v if is_placeholder(v) else None) for k, v in config.items()}
    return DeployConnection(name=name, form=form, metadata=metadata, scripts=scripts, location=location)


def _read_script(base: Path, path: str, root: Path) -> tuple[str | None, str | None]:
    """(text, path relative to the export root) of a customScripts entry; text None when missing."""
    target = (base / PurePosixPath(path.replace("\\", "/"))).resolve()
    try:
        rel = target.relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = None  # outside the export: reported missing rather than read from anywhere on disk
    if rel is None or not target.is_file():
        return None, rel
    return _read_text(target, MAX_SCRIPT_BYTES), rel


def _load_json(file: Path) -> Any:
    text = _read_text(file, MAX_METADATA_BYTES)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise DeployError(f"{file}:{e.lineno}: invalid JSON: {e.msg}") from None
    except RecursionError:
        raise DeployError(f"{file}: nested too deeply to be a connection") from None


def _read_text(file: Path, limit: int = MAX_SCRIPT_BYTES) -> str:
    try:
        size = file.stat().st_size
        if size > limit:
            raise DeployError(f"{file}: {size:,} bytes is too large for a Deploy CLI export file")
        data = file.read_bytes()
    except OSError as e:
        raise DeployError(f"{file}: cannot read ({e.strerror or e})") from None
    try:
        return data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else data.decode("utf-8")
    except UnicodeDecodeError:
        raise DeployError(f"{file}: not UTF-8 text") from None
