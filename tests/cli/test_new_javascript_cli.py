"""`customdb new DIR --language javascript`: a project on the embedded sample database whose Login
runs at once through the Node host (dry run: nothing written), every script kind from the
templates, and a server database that says where its password goes."""

from __future__ import annotations

import json
import os

import pytest

from app.cli import main
from app.domain.project import load_project
from app.engine import sampledb
from tests.js_support import require_node

pytestmark = pytest.mark.slow


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    require_node()
    monkeypatch.setenv("CUSTOMDB_DATA_DIR", str(tmp_path / "userdata"))
    yield tmp_path / "userdata"
    sampledb.stop_all()


def test_a_new_javascript_project_logs_alice_in_at_once(tmp_path, capsys, data_home):
    folder = tmp_path / "js"
    assert main(["new", str(folder), "--language", "javascript"]) == 0
    out = capsys.readouterr().out
    assert "(javascript, legacy mode, embedded)" in out and "alice@example.com / wonderland-42" in out
    project = load_project(folder)
    assert project.language.name == "javascript"
    assert sorted(p.name for p in (folder / "scripts").iterdir()) == sorted(
        f"{k}.js" for k in ["login", "get_user", "create", "verify", "change_password", "delete", "change_email"])
    assert main(["run", str(folder), "login", "--input",
                 '{"email": "alice@example.com", "password": "wonderland-42"}', "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["outcome"] == "ok" and data["result"]["user_id"] == "legacy|1" and data["committed"] is False
    assert [s["statement"] for s in data["sql"]][0] == "BEGIN"
    # a dry-run Create leaves the sample as it was
    assert main(["run", str(folder), "create", "--input",
                 '{"user": {"email": "new@example.com", "password": "pw-123456"}}', "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "ok"
    assert main(["run", str(folder), "get_user", "--input", '{"email": "new@example.com"}', "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "not_found"


def test_migration_mode_and_a_server_database(tmp_path, capsys, data_home):
    folder = tmp_path / "mig"
    assert main(["new", str(folder), "--language", "javascript", "--database", "mysql", "--mode", "migration"]) == 0
    out = capsys.readouterr().out
    assert "DATABASE_PASSWORD --secret" in out and "mysql://customdb@localhost:3306/legacy" in out
    project = load_project(folder)
    assert project.configuration["DATABASE_PASSWORD"].secret is True
    assert "require('mysql2/promise')" in (folder / "scripts" / "login.js").read_text(encoding="utf-8")
    assert (folder / "schema.sql").is_file()
    assert not os.path.exists(data_home / "sampledb")  # no sample database made for a server project


def test_a_python_only_database_is_refused_for_javascript(tmp_path, capsys):
    assert main(["new", str(tmp_path / "x"), "--language", "javascript", "--database", "sqlite"]) == 2
    assert "unknown database 'sqlite' for JavaScript projects" in capsys.readouterr().err
