import pytest

from app.domain.project import ConfigEntry, Project, ProjectError, load_project, resolve_sqlite_url
from app.domain.scripts import Mode

GOOD = """\
name = "Acme legacy"
mode = "migration"

[database]
url = "sqlite:///legacy.db"

[options]
requires_username = true
timeout_s = 5

[configuration]
BCRYPT_ROUNDS = "10"
API_KEY = { secret = true }
"""


def write(tmp_path, text):
    (tmp_path / "customdb.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_loads_a_valid_project(tmp_path):
    p = load_project(write(tmp_path, GOOD))
    assert p.name == "Acme legacy" and p.mode is Mode.MIGRATION
    assert p.requires_username and not p.context_object and p.timeout_s == 5
    assert p.configuration["API_KEY"] == ConfigEntry("API_KEY", None, True)
    assert p.configuration["BCRYPT_ROUNDS"].value == "10"
    assert p.resolved_database_url() == f"sqlite:///{(tmp_path / 'legacy.db').resolve().as_posix()}"


def test_save_round_trips_and_never_writes_secret_values(tmp_path):
    p = load_project(write(tmp_path, GOOD))
    p.configuration["TOKEN"] = ConfigEntry("TOKEN", "would-be-secret", secret=True)
    p.save()
    text = (tmp_path / "customdb.toml").read_text()
    assert "would-be-secret" not in text
    again = load_project(tmp_path)
    assert again.configuration["TOKEN"].secret and again.configuration["TOKEN"].value is None
    assert again.to_toml_dict() == load_project(tmp_path).to_toml_dict()


@pytest.mark.parametrize(("text", "line", "words"), [
    ('name = "x"\nmode = "lazy"\n', 2, "mode"),
    ('name = "x"\n[options]\ntimeout_s = "soon"\n', 3, "timeout_s"),
    ('name = "x"\n[database]\nurl = "postgresql://u:hunter2@h/db"\n', 3, "password"),
    ('name = "x"\n[configuration]\nKEY = { secret = false }\n', 3, "secret = true"),
    ('name = "x"\nmode = \n', 2, "invalid TOML"),
    ('name = "x"\n[options]\nspeed = 3\n', 3, "unknown option"),
])
def test_problems_name_file_line_and_what_is_wrong(tmp_path, text, line, words):
    write(tmp_path, text)
    with pytest.raises(ProjectError) as err:
        load_project(tmp_path)
    assert err.value.line == line
    assert words in str(err.value)
    assert "hunter2" not in str(err.value)
    assert str(err.value).startswith(str(tmp_path / "customdb.toml"))


def test_missing_folder_and_missing_file(tmp_path):
    with pytest.raises(ProjectError, match="no such project folder"):
        load_project(tmp_path / "nope")
    with pytest.raises(ProjectError, match="not a Custom DB Studio project"):
        load_project(tmp_path)


def test_broken_file_is_never_overwritten(tmp_path):
    write(tmp_path, 'name = "x"\nmode = \n')
    with pytest.raises(ProjectError):
        load_project(tmp_path)
    assert (tmp_path / "customdb.toml").read_text() == 'name = "x"\nmode = \n'


def test_save_refuses_a_password_in_the_url(tmp_path):
    p = Project(root=tmp_path, name="x", database_url="mysql+pymysql://u:pw@h/db")
    with pytest.raises(ProjectError, match="password"):
        p.save()
    assert not (tmp_path / "customdb.toml").exists()


def test_unknown_sections_survive_a_save(tmp_path):
    write(tmp_path, GOOD + '\n[rehearsal]\nquery = "SELECT email FROM users"\n')
    load_project(tmp_path).save()
    assert load_project(tmp_path).extra == {"rehearsal": {"query": "SELECT email FROM users"}}


def test_sqlite_urls_resolve_against_the_project(tmp_path):
    assert resolve_sqlite_url("sqlite:///:memory:", tmp_path) == "sqlite:///:memory:"
    assert resolve_sqlite_url("postgresql://h/db", tmp_path) == "postgresql://h/db"
    assert resolve_sqlite_url("sqlite:////abs/x.db", tmp_path) == "sqlite:////abs/x.db"


def test_a_relative_folder_loads_as_an_absolute_root(tmp_path, monkeypatch):
    write(tmp_path, GOOD)
    monkeypatch.chdir(tmp_path.parent)
    p = load_project(tmp_path.name)
    assert p.root.is_absolute() and p.root == tmp_path
    assert p.state_dir.is_absolute()


# -- language and platform (customdb.toml `language`, `platform`) -------------------------------------

def test_a_project_without_language_loads_as_python_and_saves_unchanged(tmp_path):
    from app.domain.languages import PYTHON
    from app.domain.platforms import AUTH0

    p = load_project(write(tmp_path, GOOD))
    assert p.language is PYTHON and p.platform is AUTH0
    assert p.script_path("get_user") == tmp_path / "scripts" / "get_user.py"
    p.save()
    text = (tmp_path / "customdb.toml").read_text(encoding="utf-8")
    assert "language" not in text and "platform" not in text  # an existing project's file keeps its keys
    assert load_project(tmp_path).language is PYTHON


def test_a_javascript_project_names_its_scripts_js_and_keeps_its_language(tmp_path):
    from app.domain.languages import JAVASCRIPT

    p = load_project(write(tmp_path, 'language = "javascript"\n' + GOOD))
    assert p.language is JAVASCRIPT and p.script_file_name("login") == "login.js"
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "login.js").write_text("function login(email, password, callback) {}\n")
    (tmp_path / "scripts" / "get_user.py").write_text("def get_user(email, callback): pass\n")
    assert p.script_keys() == ["login"]  # a .py file is not a script of a JavaScript project
    p.save()
    assert 'language = "javascript"' in (tmp_path / "customdb.toml").read_text(encoding="utf-8")
    assert load_project(tmp_path).language is JAVASCRIPT


def test_lint_project_uses_the_projects_language(tmp_path):
    from app.domain.lint import lint_project

    p = load_project(write(tmp_path, 'language = "javascript"\n' + GOOD))
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "login.js").write_text("function login(email, password, callback) {\n  var = 1;\n}\n")
    findings = lint_project(p)
    assert [(f.code, f.script, f.line) for f in findings] == [
        ("missing-entry", "get_user", None), ("syntax-error", "login", 2)]
    assert "scripts/get_user.js is missing" in findings[0].message


@pytest.mark.parametrize("key, value, expected", [
    ("language", '"ruby"', "unknown language 'ruby'; expected one of python, javascript"),
    ("language", "3", "unknown language 3; expected one of python, javascript"),
    ("platform", '"okta"', "unknown platform 'okta'; expected one of auth0"),
])
def test_an_unknown_language_or_platform_is_a_one_line_error_with_its_line(tmp_path, key, value, expected):
    with pytest.raises(ProjectError) as e:
        load_project(write(tmp_path, GOOD.replace('mode = "migration"', f'mode = "migration"\n{key} = {value}')))
    assert str(e.value) == f"{tmp_path / 'customdb.toml'}:3: {expected}"
