import json

import pytest

from app.cli import main

ALL_SCRIPTS = ["change_email.py", "change_password.py", "create.py", "delete.py", "get_user.py", "login.py",
               "verify.py"]


def cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("mode, scripts", [("legacy", ALL_SCRIPTS), ("migration", ["change_password.py", "get_user.py", "login.py"])])
def test_new_then_lint_json_is_clean(tmp_path, capsys, mode, scripts):
    folder = tmp_path / "proj"
    code, out, err = cli(capsys, "new", str(folder), "--mode", mode, "--name", "Acme")
    assert code == 0 and err == "" and "Acme" in out
    assert sorted(p.name for p in (folder / "scripts").iterdir()) == scripts
    code, out, err = cli(capsys, "lint", str(folder), "--json")
    assert code == 0 and json.loads(out) == {"findings": []}


def test_new_server_database_prints_where_the_password_goes(tmp_path, capsys):
    code, out, _ = cli(capsys, "new", str(tmp_path / "p"), "--database", "mysql")
    assert code == 0 and "DATABASE_PASSWORD --secret" in out and "schema.sql" in out
    assert (tmp_path / "p" / "schema.sql").is_file()


def test_new_refuses_a_non_empty_folder_with_exit_2(tmp_path, capsys):
    (tmp_path / "x.txt").write_text("x")
    code, out, err = cli(capsys, "new", str(tmp_path))
    assert code == 2 and out == "" and err.count("\n") == 1 and "not empty" in err


def test_new_rejects_an_unknown_database(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["new", str(tmp_path / "p"), "--database", "oracle"])
    assert e.value.code == 2 and "invalid choice" in capsys.readouterr().err


@pytest.fixture
def project(tmp_path, capsys):
    folder = tmp_path / "proj"
    assert main(["new", str(folder), "--mode", "migration"]) == 0
    capsys.readouterr()
    return folder


def test_lint_errors_exit_1_with_file_line_severity_code(project, capsys):
    login = project / "scripts" / "login.py"
    lines = login.read_text().splitlines()
    at = lines.index("def login(email, password, callback):") + 1
    lines.insert(at, '    q = "SELECT id FROM users WHERE email = \'" + email + "\'"')
    login.write_text("\n".join(lines) + "\n")
    code, out, _ = cli(capsys, "lint", str(project))
    assert code == 1
    assert f"scripts/login.py:{at + 1}: error [sql-string-concat] SQL built with +" in out
    assert out.splitlines()[-1] == "3 scripts checked: 1 error"


def test_lint_json_shape_and_warnings_only_exit_0(project, capsys):
    get_user = project / "scripts" / "get_user.py"
    get_user.write_text(get_user.read_text().replace("def get_user(", "def get_by_email("))
    (project / "scripts" / "verify.py").write_text("def verify(email, callback):\n    callback(None, True)\n")
    code, out, _ = cli(capsys, "lint", str(project), "--json")
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["findings"]
    assert all(list(f) == ["code", "severity", "message", "script", "line"] for f in data["findings"])
    by_code = {f["code"]: f for f in data["findings"]}
    assert by_code["non-recommended-name"]["severity"] == "warning"
    assert by_code["non-recommended-name"]["script"] == "get_user"
    assert isinstance(by_code["non-recommended-name"]["line"], int)
    assert by_code["unused-in-mode"] == {"code": "unused-in-mode", "severity": "info",
                                         "message": by_code["unused-in-mode"]["message"],
                                         "script": "verify", "line": None}


def test_lint_a_missing_required_script_is_an_error(project, capsys):
    (project / "scripts" / "get_user.py").unlink()
    code, out, _ = cli(capsys, "lint", str(project))
    assert code == 1 and "scripts/get_user.py: error [missing-entry] scripts/get_user.py is missing" in out


def test_lint_never_echoes_a_secret(project, capsys):
    login = project / "scripts" / "login.py"
    login.write_text('DB = "postgresql://admin:Tr0ub4dor-x@db/users"\n' + login.read_text())
    code, out, err = cli(capsys, "lint", str(project), "--json")
    assert code == 1 and "Tr0ub4dor" not in out + err
    assert json.loads(out)["findings"][0]["code"] == "hardcoded-secret"


@pytest.mark.parametrize("breakage", ["missing-folder", "no-toml", "broken-toml"])
def test_lint_unusable_input_exits_2_with_one_line(project, capsys, breakage, tmp_path):
    target = project
    if breakage == "missing-folder":
        target = tmp_path / "nope"
    elif breakage == "no-toml":
        (project / "customdb.toml").unlink()
    else:
        (project / "customdb.toml").write_text('name = "x"\nmode = "sideways"\n')
    code, out, err = cli(capsys, "lint", str(target), "--json")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("customdb lint: ") and "Traceback" not in err


def test_lint_a_javascript_project_names_js_files_with_the_same_shapes(tmp_path, capsys):
    root = tmp_path / "js"
    (root / "scripts").mkdir(parents=True)
    (root / "customdb.toml").write_text('name = "JS"\nlanguage = "javascript"\nmode = "migration"\n')
    (root / "scripts" / "login.js").write_text(
        "function login(email, password, callback) {\n  callback(null, {user_id: '1'});\n}\n")
    (root / "scripts" / "get_user.js").write_text("function getUser(email, callback) {\n  var = 1;\n}\n")
    code, out, err = cli(capsys, "lint", str(root))
    assert code == 1 and err == ""
    assert out.splitlines() == [
        "scripts/get_user.js:2: error [syntax-error] unexpected 'var =' (column 3)",
        "2 scripts checked: 1 error",
    ]
    code, out, _ = cli(capsys, "lint", str(root), "--json")
    assert code == 1 and json.loads(out) == {"findings": [
        {"code": "syntax-error", "severity": "error", "message": "unexpected 'var =' (column 3)",
         "script": "get_user", "line": 2}]}


@pytest.mark.parametrize("database, mode", [("embedded", "legacy"), ("postgresql", "migration"), ("mysql", "legacy"),
                                            ("mssql", "legacy"), ("mongodb", "migration")])
def test_new_javascript_project_then_lint_json_is_clean(tmp_path, capsys, database, mode):
    folder = tmp_path / "js"
    code, _, err = cli(capsys, "new", str(folder), "--language", "javascript", "--database", database, "--mode", mode)
    assert code == 0 and err == ""
    assert all(p.suffix == ".js" for p in (folder / "scripts").iterdir())
    code, out, _ = cli(capsys, "lint", str(folder), "--json")
    assert code == 0 and json.loads(out) == {"findings": []}
