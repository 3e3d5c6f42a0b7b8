"""Create a new connection project from the bundled templates (`customdb new`, the New Project dialog).

A SQLite project gets its own copy of the sample legacy store, so it runs at once; a server
project gets a URL template (no password: that goes to the keychain) and the `schema.sql` that
creates the `users` table the templates expect.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from app.domain.languages import JAVASCRIPT, UnknownLanguage, get_language
from app.domain.project import ConfigEntry, Project
from app.domain.scripts import Mode
from app.domain.templates import DIALECTS, JS_DIALECTS, schema_path, template_keys, template_source

# Starting URLs: user `customdb`, no password (it lives in the OS keychain as DATABASE_PASSWORD).
DEFAULT_URLS: dict[str, str] = {
    "sqlite": "sqlite:///legacy.db",
    "postgresql": "postgresql+psycopg://customdb@localhost:5432/legacy",
    "mysql": "mysql+pymysql://customdb@localhost:3306/legacy",
    "mssql": "mssql+pymssql://customdb@localhost:1433/legacy",
}
SCHEMA_FILE = "schema.sql"
# JavaScript projects: the embedded sample database (PGlite, app.engine.sampledb) by default, or
# a server; scripts read the connection from configuration DATABASE_URL (+ secret DATABASE_PASSWORD)
JS_DATABASES: tuple[str, ...] = ("embedded", *JS_DIALECTS)
JS_SCRIPT_URLS: dict[str, str] = {
    "postgresql": "postgres://customdb@localhost:5432/legacy",
    "mysql": "mysql://customdb@localhost:3306/legacy",
    "mssql": "mssql://customdb@localhost:1433/legacy",
    "mongodb": "mongodb://customdb@localhost:27017/legacy",
}


class ScaffoldError(ValueError):
    """The project cannot be created here; str() is one line saying why."""


def create_project(folder: Path | str, *, database: str | None = None, mode: Mode | str = "legacy",
                   name: str | None = None, language: str = "python") -> Project:
    """Write a new project into `folder` (absent or empty) and return it. The database defaults to
    SQLite for Python and to the embedded sample database for JavaScript: either runs at once."""
    folder = Path(folder)
    try:
        lang = get_language(language)
    except UnknownLanguage as e:
        raise ScaffoldError(str(e)) from None
    known = JS_DATABASES if lang is JAVASCRIPT else DIALECTS
    database = database or known[0]
    if database not in known:
        raise ScaffoldError(f"unknown database {database!r} for {lang.title} projects; choose one of {', '.join(known)}")
    try:
        mode = Mode(mode)
    except ValueError:
        raise ScaffoldError(f"unknown mode {mode!r}; choose legacy or migration") from None
    if folder.exists() and not folder.is_dir():
        raise ScaffoldError(f"{folder} exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()):
        raise ScaffoldError(f"{folder} is not empty; choose a new or empty folder")
    name = (name or "").strip() or folder.resolve().name or "Custom database connection"

    if lang is JAVASCRIPT:
        project = _javascript_project(folder, name, mode, database)
    else:
        project = Project(root=folder, name=name, mode=mode, database_url=DEFAULT_URLS[database])
    # Create and Change Password hash with this cost (migration mode: Change Password, on a reset)
    project.configuration["BCRYPT_ROUNDS"] = ConfigEntry("BCRYPT_ROUNDS", "10")
    created = not folder.exists()
    try:
        project.save()
        dialect = "postgresql" if database == "embedded" else database
        for key in template_keys(mode):
            project.write_script(key, template_source(dialect, mode, key, lang))
        project.cases_dir.mkdir(exist_ok=True)
        if database in ("embedded", "mongodb"):
            pass  # the embedded database comes seeded (on first use); MongoDB needs no schema
        elif database == "sqlite":
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


def _javascript_project(folder: Path, name: str, mode: Mode, database: str) -> Project:
    """A JavaScript project's settings: the scripts' connection in configuration, and for the
    embedded database its own loopback port (kept in customdb.toml, [sample_database])."""
    from app.engine import sampledb

    if database == "embedded":
        port = sampledb.free_port()
        project = Project(root=folder, name=name, mode=mode, database_url=sampledb.python_url(port),
                          language=JAVASCRIPT, extra={sampledb.SECTION: {"engine": sampledb.ENGINE, "port": port}})
        project.configuration["DATABASE_URL"] = ConfigEntry("DATABASE_URL", sampledb.script_url(port))
        return project
    url = DEFAULT_URLS.get(database, JS_SCRIPT_URLS[database])
    project = Project(root=folder, name=name, mode=mode, database_url=url, language=JAVASCRIPT)
    project.configuration["DATABASE_URL"] = ConfigEntry("DATABASE_URL", JS_SCRIPT_URLS[database])
    project.configuration["DATABASE_PASSWORD"] = ConfigEntry("DATABASE_PASSWORD", None, secret=True)
    return project
