import sqlite3

import pytest

from app.domain.lint import lint_project
from app.domain.project import load_project, url_password
from app.domain.templates import DIALECTS, schema_path, template_source
from app.engine.scaffold import DEFAULT_URLS, ScaffoldError, create_project

ALL_KEYS = ["login", "get_user", "create", "verify", "change_password", "delete", "change_email"]


def test_sqlite_legacy_project_is_complete_and_runs_at_once(tmp_path):
    folder = tmp_path / "acme"
    create_project(folder)
    project = load_project(folder)  # what was written loads back
    assert project.name == "acme" and project.mode == "legacy"
    assert project.database_url == "sqlite:///legacy.db"
    assert project.script_keys() == ALL_KEYS
    assert project.read_script("login") == template_source("sqlite", "legacy", "login")
    assert project.cases_dir.is_dir()
    assert project.configuration["BCRYPT_ROUNDS"].value == "10"
    con = sqlite3.connect(folder / "legacy.db")
    assert con.execute("SELECT email FROM users WHERE id = 1").fetchone() == ("alice@example.com",)
    con.close()
    assert not (folder / "schema.sql").exists()
    assert lint_project(project) == []


@pytest.mark.parametrize("database", [d for d in DIALECTS if d != "sqlite"])
def test_server_projects_get_a_password_free_url_and_the_schema(tmp_path, database):
    folder = tmp_path / database
    project = create_project(folder, database=database, mode="migration", name="  Acme SSO  ")
    loaded = load_project(folder)
    assert loaded.name == "Acme SSO" and loaded.mode == "migration"
    assert loaded.database_url == DEFAULT_URLS[database] and url_password(loaded.database_url) is None
    assert loaded.database_url.startswith({"postgresql": "postgresql+psycopg://", "mysql": "mysql+pymysql://",
                                           "mssql": "mssql+pymssql://"}[database])
    assert loaded.script_keys() == ["login", "get_user", "change_password"]
    assert (folder / "schema.sql").read_text() == schema_path(database).read_text()
    assert not (folder / "legacy.db").exists()
    assert loaded.configuration["BCRYPT_ROUNDS"].value == "10"  # Change Password hashes on a reset
    assert lint_project(project) == []


def test_an_existing_empty_folder_is_fine(tmp_path):
    create_project(tmp_path, mode="migration")
    assert load_project(tmp_path).script_keys() == ["login", "get_user", "change_password"]


def test_refuses_a_non_empty_folder_and_leaves_it_untouched(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(ScaffoldError, match="not empty"):
        create_project(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("kwargs, message", [
    ({"database": "oracle"}, "unknown database 'oracle'"),
    ({"mode": "import"}, "unknown mode 'import'"),
])
def test_refuses_unknown_choices_without_creating_anything(tmp_path, kwargs, message):
    with pytest.raises(ScaffoldError, match=message):
        create_project(tmp_path / "p", **kwargs)
    assert not (tmp_path / "p").exists()


def test_refuses_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ScaffoldError, match="not a folder"):
        create_project(tmp_path / "file")


def test_a_failure_midway_leaves_no_half_project(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("app.engine.sample.generate_legacy_db", boom)
    with pytest.raises(OSError):
        create_project(tmp_path / "p")
    assert not (tmp_path / "p").exists()
