"""Create a new connection project from the bundled templates (`customdb new`, the New Project dialog).

A SQLite project gets its own copy of the sample legacy store, so it runs at once; a server
project gets a URL template (no password: that goes to the keychain) and the `schema.sql` that
creates the `users` table the templates expect.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from app.domain.project import ConfigEntry, Project
from app.domain.scripts import Mode
from app.domain.templates import DIALECTS, schema_path, template_keys, template_source

# Starting URLs: user `customdb`, no password (it lives in the OS keychain as DATABASE_PASSWORD).
DEFAULT_URLS: dict[str, str] = {
    "sqlite": "sqlite:///legacy.db",
    "postgresql": "postgresql+psycopg://customdb@localhost:5432/legacy",
    "mysql": "mysql+pymysql://customdb@localhost:3306/legacy",
    "mssql": "mssql+pymssql://customdb@localhost:1433/legacy",
}
SCHEMA_FILE = "schema.sql"


class ScaffoldError(ValueError):
    """The project cannot be created here; str() is one line saying why."""


def create_project(folder: Path | str, *, database: str = "sqlite", mode: Mode | str = "legacy",
                   name: str | None = None) -> Project:
    """Write a new project into `folder` (absent or empty) and return it."""
    folder = Path(folder)
    if database not in DIALECTS:
        raise ScaffoldError(f"unknown database {database!r}; choose one of {', '.join(DIALECTS)}")
    try:
        mode = Mode(mode)
    except ValueError:
        raise ScaffoldError(f"unknown mode {mode!r}; choose legacy or migration") from None
    if folder.exists() and not folder.is_dir():
        raise ScaffoldError(f"{folder} exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()):
        raise ScaffoldError(f"{folder} is not empty; choose a new or empty folder")
    name = (name or "").strip() or folder.resolve().name or "Custom database connection"

    project = Project(root=folder, name=name, mode=mode, database_url=DEFAULT_URLS[database])
    # Create and Change Password hash with this cost (migration mode: Change Password, on a reset)
    project.configuration["BCRYPT_ROUNDS"] = ConfigEntry("BCRYPT_ROUNDS", "10")
    created = not folder.exists()
    try:
        project.save()
        for key in template_keys(mode):
            project.write_script(key, template_source(database, mode, key))
        project.cases_dir.mkdir(exist_ok=True)
        if database == "sqlite":
            from app.engine.sample import SAMPLE_DB, generate_legacy_db

            generate_legacy_db(folder / SAMPLE_DB)
        else:
            shutil.copyfile(schema_path(database), folder / SCHEMA_FILE)
    except BaseException:
        # leave nothing half-made behind: the folder was absent or empty when we started
        if created:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            for child in folder.iterdir():
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        raise
    return project
