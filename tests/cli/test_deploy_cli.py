"""`customdb deploy import | export | check` through the command line, exit codes and JSON included."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from tests.deploy_support import CHANGE_USERNAME, GET_USER, LOGIN, STUB, tree, write_directory_export

CHANGE_EMAIL = """function changeEmail(email, newEmail, verified, callback) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: configuration.DB_URL });
  client.connect();
  client.query('UPDATE users SET email = $1 WHERE email = $2', [newEmail, email], (err) => {
    client.end();
    if (err) return callback(err);
    callback(null, true);
  });
}
"""


def run(capsys, *argv):
    code = main(["deploy", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_import_then_export_round_trip_on_the_command_line(tmp_path, capsys):
    write_directory_export(tmp_path / "export", files={"login": LOGIN, "get_user": GET_USER,
                                                       "change_username": CHANGE_USERNAME})
    code, out, _ = run(capsys, "import", str(tmp_path / "export"), str(tmp_path / "proj"))
    assert code == 0
    assert "scripts: login, get_user" in out and "kept, not run by this IDE: change_username" in out
    assert "DB_URL" in out and "--secret" in out
    code, out, _ = run(capsys, "export", str(tmp_path / "proj"), str(tmp_path / "again"))
    assert code == 0 and "4 files written" in out
    assert tree(tmp_path / "again") == tree(tmp_path / "export")


def test_import_json(tmp_path, capsys):
    write_directory_export(tmp_path / "export", import_mode=True)
    code, out, _ = run(capsys, "import", str(tmp_path / "export"), str(tmp_path / "proj"), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["mode"] == "migration" and doc["scripts"] == ["login", "get_user"]
    assert doc["secrets"] == ["DB_URL"] and doc["missing"] == [] and doc["connection"] == "legacy-users"


def test_unusable_input_is_one_line_and_exit_2(tmp_path, capsys):
    code, _, err = run(capsys, "import", str(tmp_path / "nothing"), str(tmp_path / "proj"))
    assert code == 2 and err.count("\n") == 1 and "no such folder" in err
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "check", str(tmp_path / "empty"))
    assert code == 2 and "not a Deploy CLI export" in err
    with pytest.raises(SystemExit):
        main(["deploy", "export"])


def test_check_a_clean_export_is_ready(tmp_path, capsys):
    write_directory_export(tmp_path / "export", import_mode=True)
    code, out, _ = run(capsys, "check", str(tmp_path / "export"))
    assert code == 0, out
    assert out.strip().endswith("legacy-users: ready to deploy")


def check_codes(capsys, path) -> tuple[int, dict[str, dict]]:
    code, out, _ = run(capsys, "check", str(path), "--json")
    return code, {f["code"]: f for f in json.loads(out)["findings"]}


def test_check_finds_each_deploy_outage(tmp_path, capsys):
    folder = write_directory_export(
        tmp_path / "export",
        files={"login": LOGIN.replace("configuration.DB_URL", "configuration.PG_URL"), "create": STUB,
               "verify": LOGIN},  # a Login pasted into the Verify slot
        configuration={"DB_URL": "##DB_URL##", "UNUSED": "##UNUSED##"})
    meta = json.loads((folder / "database.json").read_text())
    meta["options"]["customScripts"]["get_user"] = "./get_user.js"  # named, but the file was not exported
    (folder / "database.json").write_text(json.dumps(meta, indent=2))
    (folder / "delete.js").write_text("function deleteUser(id, callback) { callback(null); }\n")  # not named
    code, found = check_codes(capsys, tmp_path / "export")
    assert code == 1
    assert found["deploy-script-missing"]["script"] == "get_user"
    assert found["deploy-stub-script"]["script"] == "create"
    assert found["deploy-wrong-kind"]["script"] == "verify" and "function login" in found["deploy-wrong-kind"]["message"]
    assert found["deploy-script-not-referenced"]["script"] == "delete"
    assert found["change-email-missing"]["severity"] == "error"
    assert found["deploy-config-missing"]["message"].startswith("login reads configuration.PG_URL")
    assert found["deploy-config-unused"]["severity"] == "warning" and "UNUSED" in found["deploy-config-unused"]["message"]
    assert {f["connection"] for f in found.values()} == {"legacy-users"}


def test_check_adds_the_scripts_lint_findings(tmp_path, capsys):
    broken = LOGIN.replace("client.end();", "client.end(;")  # what `customdb lint` reports, with its line
    two_args = GET_USER.replace("function getUser(email, callback)", "function getUser(callback)")
    write_directory_export(tmp_path / "export", files={"login": broken, "get_user": two_args}, import_mode=True)
    code, found = check_codes(capsys, tmp_path / "export")
    assert code == 1
    assert found["syntax-error"]["script"] == "login" and found["syntax-error"]["line"] == 6
    assert found["wrong-arity"]["script"] == "get_user"


def test_check_a_project_before_exporting_it(tmp_path, capsys):
    write_directory_export(tmp_path / "export", files={"login": LOGIN, "get_user": GET_USER,
                                                       "create": LOGIN, "change_email": CHANGE_EMAIL})
    assert run(capsys, "import", str(tmp_path / "export"), str(tmp_path / "proj"))[0] == 0
    code, found = check_codes(capsys, tmp_path / "proj")
    assert code == 1 and found["deploy-wrong-kind"]["script"] == "create"
    (tmp_path / "proj/scripts/create.js").write_text(
        "function create(user, callback) {\n  callback(null);\n}\n")
    code, found = check_codes(capsys, tmp_path / "proj")
    assert "deploy-wrong-kind" not in found


def test_check_text_output_names_the_file(tmp_path, capsys):
    write_directory_export(tmp_path / "export", files={"login": LOGIN, "get_user": "", "create": STUB},
                           import_mode=True)
    code, out, _ = run(capsys, "check", str(tmp_path / "export"))
    assert code == 1
    assert "database-connections/legacy-users/get_user.js: error [deploy-stub-script]" in out
