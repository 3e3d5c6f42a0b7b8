"""Deploy CLI exports on disk: import one connection as a project, export a project back, check either.

The project keeps what it needs to write the export back exactly in `deploy/connection.json`: the
connection object as exported (with script bodies and configuration values removed: an export holds
no secret values and neither does the project), its form (folder or tenant.yaml) and layout.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from app.domain.deploy import DeployConnection, DeployError, DeployScript, ProjectSide, check_connection
from app.domain.deploy import export_files as build_export_files
from app.domain.deploy.model import DIRECTORY_FORM, KEPT_SLOTS, SCRIPT_SLOTS
from app.domain.deploy.reader import pick, read_export
from app.domain.findings import Finding
from app.domain.languages import JAVASCRIPT
from app.domain.project import PROJECT_FILE, ConfigEntry, Project, atomic_write, load_project
from app.domain.scripts import Mode

DEPLOY_DIR = "deploy"
CONNECTION_FILE = "connection.json"
JS_SUFFIX = JAVASCRIPT.suffix  # a Deploy CLI export is always JavaScript


@dataclass
class ImportReport:
    project: Project
    connection: str
    imported: list[str] = field(default_factory=list)  # script keys written to scripts/
    kept: list[str] = field(default_factory=list)  # slots kept but never run (change_username)
    missing: list[str] = field(default_factory=list)  # slots customScripts names whose file is absent
    secrets: list[str] = field(default_factory=list)  # configuration keys whose values the user must give


def import_export(export: Path | str, project_dir: Path | str, connection: str | None = None) -> ImportReport:
    """Make a new project in `project_dir` (absent or empty) from one connection of the export."""
    export, project_dir = Path(export), Path(project_dir)
    chosen = pick(read_export(export), connection, export)
    if project_dir.exists() and (not project_dir.is_dir() or any(project_dir.iterdir())):
        raise DeployError(f"{project_dir}: choose a new or empty folder for the project")
    project = Project(root=project_dir.resolve(), name=chosen.name,
                      mode=Mode.MIGRATION if chosen.migration else Mode.LEGACY,
                      requires_username=chosen.requires_username, context_object=chosen.context_object)
    project.language = JAVASCRIPT
    for key in chosen.configuration_keys:
        project.configuration[key] = ConfigEntry(key, None, True)
    report = ImportReport(project, chosen.name, secrets=list(chosen.configuration_keys))
    created = not project_dir.exists()
    try:
        project.save()
        scripts = project.root / "scripts"
        scripts.mkdir(exist_ok=True)
        (project.root / "cases").mkdir(exist_ok=True)
        for slot, script in chosen.scripts.items():
            if script.missing:
                report.missing.append(slot)
                continue
            atomic_write(scripts / f"{slot}{JS_SUFFIX}", script.source or "")
            (report.kept if slot in KEPT_SLOTS else report.imported).append(slot)
        for stem, source in chosen.unreferenced.items():  # the files a deploy would skip: still the user's
            if stem in (*SCRIPT_SLOTS, *KEPT_SLOTS) and stem not in chosen.scripts:
                atomic_write(scripts / f"{stem}{JS_SUFFIX}", source)
                (report.kept if stem in KEPT_SLOTS else report.imported).append(stem)
        save_connection(project.root, chosen, trailing_newline=_had_trailing_newline(export, chosen))
    except BaseException:
        if created:
            shutil.rmtree(project_dir, ignore_errors=True)
        else:
            for child in project_dir.iterdir():
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)
        raise
    return report


def export_project(project_dir: Path | str, export: Path | str, form: str | None = None) -> list[Path]:
    """Write the project as a Deploy CLI export into `export` (created if absent); the files written."""
    project = load_project(project_dir)
    connection, trailing = load_connection(project)
    files = build_export_files(connection, project_side(project), form=form, trailing_newline=trailing)
    export = Path(export)
    written = []
    for rel, text in files.items():
        target = export / rel
        atomic_write(target, text)
        written.append(target)
    return written


def check_path(path: Path | str, connection: str | None = None) -> list[tuple[DeployConnection, list[Finding]]]:
    """Each connection at `path` (a project or an export) with its deploy findings and lint."""
    path = Path(path)
    if (path / PROJECT_FILE).is_file():
        project = load_project(path)
        connections = [connection_of_project(project)]
    else:
        connections = read_export(path)
        if connection is not None:
            connections = [pick(connections, connection, path)]
    return [(c, check_connection(c) + lint_scripts(c)) for c in connections]


def lint_scripts(connection: DeployConnection) -> list[Finding]:
    """The JavaScript lint findings of each script the IDE runs (the same as `customdb lint`)."""
    mode = Mode.MIGRATION if connection.migration else Mode.LEGACY
    out: list[Finding] = []
    for slot, script in connection.scripts.items():
        if script.source is not None and slot in SCRIPT_SLOTS:
            out += JAVASCRIPT.lint(slot, script.source, mode=mode, context=connection.context_object)
    return out


# -- the project's record of its connection ------------------------------------------------------
def save_connection(root: Path, connection: DeployConnection, trailing_newline: bool = False) -> None:
    record = {"format": 1, "name": connection.name, "form": connection.form, "location": connection.location,
              "trailing_newline": trailing_newline, "metadata": connection.metadata}
    atomic_write(root / DEPLOY_DIR / CONNECTION_FILE, json.dumps(record, indent=2, ensure_ascii=False) + "\n")


def load_connection(project: Project) -> tuple[DeployConnection, bool]:
    """The connection the project was imported from, or a new one named after the project."""
    file = project.root / DEPLOY_DIR / CONNECTION_FILE
    if not file.is_file():
        meta = {"name": project.name, "strategy": "auth0",
                "options": {"enabledDatabaseCustomization": True}}
        return DeployConnection(project.name, DIRECTORY_FORM, meta), True
    try:
        record = json.loads(file.read_text(encoding="utf-8"))
        meta = record["metadata"]
        if not isinstance(meta, dict):
            raise TypeError
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError):
        raise DeployError(f"{file}: not a connection record written by customdb deploy import") from None
    name = record.get("name") if isinstance(record.get("name"), str) else project.name
    form = record.get("form") if record.get("form") in ("directory", "yaml") else DIRECTORY_FORM
    return DeployConnection(name, form, meta, location=str(record.get("location", ""))), bool(
        record.get("trailing_newline", False))


def project_side(project: Project) -> ProjectSide:
    scripts = {}
    for slot in (*SCRIPT_SLOTS, *KEPT_SLOTS):
        file = project.root / "scripts" / f"{slot}{JS_SUFFIX}"
        if file.is_file():
            scripts[slot] = file.read_bytes().decode("utf-8")
    return ProjectSide(
        migration=project.mode is Mode.MIGRATION, requires_username=project.requires_username,
        context_object=project.context_object,
        configuration={k: (None if e.secret else e.value) for k, e in project.configuration.items()},
        scripts=scripts)


def connection_of_project(project: Project) -> DeployConnection:
    """The connection as `export_project` would write it, for `deploy check PROJECT_DIR`."""
    from app.domain.deploy.layout import updated_metadata

    connection, _ = load_connection(project)
    side = project_side(project)
    paths = {slot: f"./{slot}{JS_SUFFIX}" for slot in side.scripts}
    meta = updated_metadata(connection, side, paths)
    scripts = {slot: DeployScript(slot, paths[slot], source) for slot, source in side.scripts.items()}
    return DeployConnection(connection.name, connection.form, meta, scripts, location=str(project.root))


def _had_trailing_newline(export: Path, connection: DeployConnection) -> bool:
    if connection.form != DIRECTORY_FORM:
        return False
    base = export if (export / "database.json").is_file() else export / connection.location
    try:
        return (base / "database.json").read_bytes().endswith(b"\n")
    except OSError:
        return False
