"""Deploy CLI exports: import as a project, export back byte for byte, and nothing secret either way."""

from __future__ import annotations

import json

import pytest

from app.domain.deploy import DeployError
from app.domain.project import load_project
from app.domain.scripts import Mode
from app.engine.deploy import export_project, import_export
from tests.deploy_support import (
    CHANGE_USERNAME,
    GET_USER,
    LOGIN,
    connection_object,
    tree,
    write_directory_export,
    write_yaml_export,
)


def test_import_makes_a_javascript_project_with_the_connections_settings(tmp_path):
    write_directory_export(tmp_path / "export", import_mode=True, requires_username=True,
                           enable_script_context=True,
                           configuration={"DB_URL": "##DB_URL##", "API_KEY": "##API_KEY##"})
    report = import_export(tmp_path / "export", tmp_path / "proj")
    project = load_project(tmp_path / "proj")
    assert project.name == "legacy-users"
    assert project.mode is Mode.MIGRATION
    assert project.requires_username and project.context_object
    assert {k: (e.secret, e.value) for k, e in project.configuration.items()} == {
        "DB_URL": (True, None), "API_KEY": (True, None)}
    assert (tmp_path / "proj/scripts/login.js").read_text() == LOGIN
    assert (tmp_path / "proj/scripts/get_user.js").read_text() == GET_USER
    assert report.imported == ["login", "get_user"] and report.secrets == ["DB_URL", "API_KEY"]
    assert 'language = "javascript"' in (tmp_path / "proj/customdb.toml").read_text()


def test_directory_export_round_trips_to_the_same_files(tmp_path):
    write_directory_export(tmp_path / "export", files={"login": LOGIN, "get_user": GET_USER,
                                                       "change_username": CHANGE_USERNAME})
    import_export(tmp_path / "export", tmp_path / "proj")
    export_project(tmp_path / "proj", tmp_path / "again")
    assert tree(tmp_path / "again") == tree(tmp_path / "export")


def test_yaml_export_round_trips_scripts_and_the_connection(tmp_path):
    import yaml

    write_yaml_export(tmp_path / "export")
    import_export(tmp_path / "export", tmp_path / "proj")
    export_project(tmp_path / "proj", tmp_path / "again")
    before, after = tree(tmp_path / "export"), tree(tmp_path / "again")
    assert {k: v for k, v in after.items() if k.endswith(".js")} == {
        k: v for k, v in before.items() if k.endswith(".js")}
    original = yaml.safe_load(before["tenant.yaml"])["databases"]
    assert yaml.safe_load(after["tenant.yaml"])["databases"] == original


def test_custom_script_paths_are_honoured(tmp_path):
    folder = write_directory_export(tmp_path / "export", files={}, paths={"login": "./src/my-login.js"})
    (folder / "src").mkdir()
    (folder / "src/my-login.js").write_text(LOGIN)
    report = import_export(tmp_path / "export", tmp_path / "proj")
    assert report.imported == ["login"]
    assert (tmp_path / "proj/scripts/login.js").read_text() == LOGIN


def test_a_path_leaving_the_export_is_not_read(tmp_path):
    (tmp_path / "outside.js").write_text("function login(){}")
    write_directory_export(tmp_path / "export", files={}, paths={"login": "../../../outside.js"})
    report = import_export(tmp_path / "export", tmp_path / "proj")
    assert report.missing == ["login"] and not (tmp_path / "proj/scripts/login.js").exists()


def test_configuration_values_in_an_export_never_reach_the_project(tmp_path):
    write_directory_export(tmp_path / "export", configuration={"DB_URL": "postgres://u:hunter2@db/x"})
    import_export(tmp_path / "export", tmp_path / "proj")
    for path, data in tree(tmp_path / "proj").items():
        assert b"hunter2" not in data, path
    export_project(tmp_path / "proj", tmp_path / "again")
    meta = json.loads((tmp_path / "again/database-connections/legacy-users/database.json").read_text())
    assert meta["options"]["configuration"] == {"DB_URL": "##DB_URL##"}


def test_export_writes_the_projects_changes_and_no_secret_value(tmp_path, memory_keyring):
    from app.engine.secrets import set_secret

    write_directory_export(tmp_path / "export")
    import_export(tmp_path / "export", tmp_path / "proj")
    project = load_project(tmp_path / "proj")
    set_secret(project, "DB_URL", "postgres://u:pw-in-keychain@db/x")
    project.mode = Mode.MIGRATION
    project.save()
    (tmp_path / "proj/scripts/verify.js").write_text("function verify(email, callback) { callback(null, true); }\n")
    export_project(tmp_path / "proj", tmp_path / "again")
    out = tree(tmp_path / "again")
    assert all(b"pw-in-keychain" not in data for data in out.values())
    meta = json.loads(out["database-connections/legacy-users/database.json"])
    assert meta["options"]["import_mode"] is True
    assert meta["options"]["customScripts"] == {"login": "./login.js", "get_user": "./get_user.js",
                                                "verify": "./verify.js"}
    assert meta["enabled_clients"] == ["My App"] and meta["realms"] == ["legacy-users"]


def test_several_connections_need_a_name(tmp_path):
    write_directory_export(tmp_path / "export", name="one")
    write_directory_export(tmp_path / "export", name="two")
    with pytest.raises(DeployError, match="several custom database connections .*--connection"):
        import_export(tmp_path / "export", tmp_path / "proj")
    report = import_export(tmp_path / "export", tmp_path / "proj", connection="two")
    assert report.connection == "two"
    with pytest.raises(DeployError, match="no custom database connection named 'three'"):
        import_export(tmp_path / "export", tmp_path / "p3", connection="three")


def test_non_custom_connections_are_skipped(tmp_path):
    folder = tmp_path / "export/database-connections/Username-Password-Authentication"
    folder.mkdir(parents=True)
    (folder / "database.json").write_text(json.dumps({"name": "Username-Password-Authentication",
                                                      "strategy": "auth0", "options": {}}))
    with pytest.raises(DeployError, match="holds no custom database connection"):
        import_export(tmp_path / "export", tmp_path / "proj")


@pytest.mark.parametrize("content, message", [
    ("{not json", "invalid JSON"),
    ("[1, 2]", "one JSON object"),
    ("[" * 100_000, "nested too deeply|invalid JSON"),
])
def test_a_broken_database_json_is_one_clear_error_and_leaves_nothing(tmp_path, content, message):
    folder = tmp_path / "export/database-connections/x"
    folder.mkdir(parents=True)
    (folder / "database.json").write_text(content)
    with pytest.raises(DeployError, match=message):
        import_export(tmp_path / "export", tmp_path / "proj")
    assert not (tmp_path / "proj").exists()


def test_broken_yaml_names_its_line(tmp_path):
    (tmp_path / "tenant.yaml").write_text("databases:\n  - name: x\n    options: [unclosed\n")
    with pytest.raises(DeployError, match=r"tenant.yaml:\d+: invalid YAML"):
        import_export(tmp_path, tmp_path / "proj")


def test_import_refuses_a_folder_with_files(tmp_path):
    write_directory_export(tmp_path / "export")
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj/keep.txt").write_text("mine")
    with pytest.raises(DeployError, match="new or empty folder"):
        import_export(tmp_path / "export", tmp_path / "proj")
    assert (tmp_path / "proj/keep.txt").read_text() == "mine"


def test_a_project_never_imported_exports_as_a_new_connection(tmp_path):
    from app.domain.deploy import read_export
    from app.domain.languages import JAVASCRIPT
    from app.domain.project import Project

    project = Project(root=tmp_path / "proj", name="Fresh DB", language=JAVASCRIPT)
    project.save()
    (tmp_path / "proj/scripts").mkdir()
    (tmp_path / "proj/scripts/login.js").write_text(LOGIN)
    export_project(tmp_path / "proj", tmp_path / "out")
    (connection,) = read_export(tmp_path / "out")
    assert connection.name == "Fresh DB" and connection.scripts["login"].source == LOGIN
    assert connection_object()["strategy"] == connection.metadata["strategy"]
