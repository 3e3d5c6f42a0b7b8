"""The bundled script templates: `resources/templates/<dialect>/<mode>/<key>.py` + `<dialect>/schema.sql`,
and the JavaScript ones, `resources/templates/javascript/<dialect>/<mode>/<key>.js`.

One place that knows where they live (source checkout or frozen bundle) and which exist, so the
scaffold, the sample project and the tests all read the same files. The scripts are rendered from
one source per script kind and language (tools/templates/, `make templates`), the dialects' SQL
differences as data; tests/tools/test_templates_generated.py keeps the committed files equal to them.
"""

from __future__ import annotations

from pathlib import Path

from app.domain.languages import JAVASCRIPT, PYTHON, Language
from app.domain.platforms.auth0 import AUTH0
from app.domain.scripts import Mode, kind
from app.resources import resources_root

DIALECTS: tuple[str, ...] = ("sqlite", "postgresql", "mysql", "mssql")
# what a hosted JavaScript script reaches through the module store's drivers (pg, mysql2, mssql, mongodb)
JS_DIALECTS: tuple[str, ...] = ("postgresql", "mysql", "mssql", "mongodb")


def templates_root() -> Path:
    """The templates folder: next to the package in a checkout, under _MEIPASS when frozen."""
    return resources_root() / "templates"


def template_keys(mode: Mode | str) -> list[str]:
    """Script keys a new project of this mode gets: all seven in legacy mode; Login, Get User and
    Change Password (a reset of a user not yet migrated) in migration mode."""
    return [k for k in AUTH0.order if kind(k).used_in(mode)]


def _check_dialect(dialect: str, language: Language = PYTHON) -> None:
    known = JS_DIALECTS if language is JAVASCRIPT else DIALECTS
    if dialect not in known:
        raise ValueError(f"unknown database {dialect!r}; expected one of {', '.join(known)}")


def template_path(dialect: str, mode: Mode | str, key: str, language: Language = PYTHON) -> Path:
    _check_dialect(dialect, language)
    folder = templates_root() / "javascript" if language is JAVASCRIPT else templates_root()
    return folder / dialect / str(Mode(mode)) / language.file_name(kind(key).key)


def template_source(dialect: str, mode: Mode | str, key: str, language: Language = PYTHON) -> str:
    return template_path(dialect, mode, key, language).read_text(encoding="utf-8")


def schema_path(dialect: str) -> Path:
    """The `users` table the templates expect, in the dialect's SQL."""
    _check_dialect(dialect)
    return templates_root() / dialect / "schema.sql"
