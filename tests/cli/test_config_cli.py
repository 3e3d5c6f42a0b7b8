"""`customdb config`: plain values in customdb.toml, secrets only in the keychain (never in the file)."""

from __future__ import annotations

import io
import json
import sys
import tomllib

import keyring
import keyring.backends.fail
import pytest

from app.cli import main
from app.domain.project import Project, load_project
from app.engine.secrets import SERVICE, get_secret


@pytest.fixture
def project_dir(tmp_path):
    root = tmp_path / "shop"
    Project(root=root, name="shop", database_url="postgresql+psycopg://bob@db.example/legacy").save()
    return root


def cli(*argv: str) -> int:
    return main(["config", *argv])


def list_json(project_dir, capsys) -> dict:
    capsys.readouterr()
    assert cli("list", str(project_dir), "--json") == 0
    return json.loads(capsys.readouterr().out)


def test_secret_round_trip_never_writes_the_value_to_the_file(project_dir, memory_keyring, capsys):
    assert cli("set", str(project_dir), "API_KEY", "sk-live-0123456789", "--secret") == 0
    text = (project_dir / "customdb.toml").read_text()
    assert "sk-live-0123456789" not in text
    assert tomllib.loads(text)["configuration"]["API_KEY"] == {"secret": True}  # only marked
    project = load_project(project_dir)
    assert project.configuration["API_KEY"].secret
    assert memory_keyring.store[(SERVICE, f"{project.id}:API_KEY")] == "sk-live-0123456789"
    assert get_secret(project, "API_KEY", environ={}) == "sk-live-0123456789"

    listed = list_json(project_dir, capsys)
    entry = next(e for e in listed["entries"] if e["key"] == "API_KEY")
    assert entry == {"key": "API_KEY", "scope": "configuration", "secret": True, "value": "****",
                     "source": "keychain"}
    assert "sk-live" not in json.dumps(listed)


def test_plain_values_go_to_the_file(project_dir, memory_keyring, capsys):
    assert cli("set", str(project_dir), "BCRYPT_ROUNDS", "12") == 0
    assert load_project(project_dir).configuration["BCRYPT_ROUNDS"].value == "12"
    assert memory_keyring.store == {}
    capsys.readouterr()
    assert cli("list", str(project_dir)) == 0
    out = capsys.readouterr().out
    assert "BCRYPT_ROUNDS" in out and "12" in out and "[file]" in out


def test_making_a_plain_value_secret_removes_the_plaintext(project_dir, capsys):
    cli("set", str(project_dir), "API_TOKEN", "plain-but-should-not-be")
    assert "plain-but-should-not-be" in (project_dir / "customdb.toml").read_text()
    capsys.readouterr()
    assert cli("set", str(project_dir), "API_TOKEN", "plain-but-should-not-be", "--secret") == 0
    assert "plaintext value was removed" in capsys.readouterr().out
    assert "plain-but-should-not-be" not in (project_dir / "customdb.toml").read_text()


def test_list_says_where_each_value_comes_from(project_dir, monkeypatch, capsys):
    cli("set", str(project_dir), "FROM_KEYCHAIN", "v-keychain", "--secret")
    cli("set", str(project_dir), "FROM_ENV", "v-keychain-2", "--secret")
    monkeypatch.setenv("CUSTOMDB_CONFIG_FROM_ENV", "v-environment")
    project = load_project(project_dir)
    project.configuration["NOT_SET"] = type(project.configuration["FROM_ENV"])("NOT_SET", None, True)
    project.save()
    sources = {e["key"]: (e["source"], e["value"]) for e in list_json(project_dir, capsys)["entries"]}
    assert sources["FROM_KEYCHAIN"] == ("keychain", "****")
    assert sources["FROM_ENV"] == ("environment", "****")
    assert sources["NOT_SET"] == ("missing", None)
    assert sources["DATABASE_PASSWORD"] == ("missing", None)  # the URL names a user


def test_database_password_goes_to_the_keychain_only(project_dir, capsys):
    before = (project_dir / "customdb.toml").read_text()
    assert cli("set", str(project_dir), "DATABASE_PASSWORD", "pg-Secret-1", "--secret") == 0
    assert (project_dir / "customdb.toml").read_text() == before
    project = load_project(project_dir)
    assert get_secret(project, "DATABASE_PASSWORD", environ={}) == "pg-Secret-1"
    entry = next(e for e in list_json(project_dir, capsys)["entries"] if e["key"] == "DATABASE_PASSWORD")
    assert entry == {"key": "DATABASE_PASSWORD", "scope": "database", "secret": True, "value": "****",
                     "source": "keychain"}


def test_database_password_without_secret_is_refused(project_dir, capsys):
    assert cli("set", str(project_dir), "DATABASE_PASSWORD", "oops") == 2
    assert "--secret" in capsys.readouterr().err
    assert "oops" not in (project_dir / "customdb.toml").read_text()


def test_a_secret_can_be_piped_in_to_keep_it_out_of_the_shell_history(project_dir, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("piped-secret-value\n"))
    assert cli("set", str(project_dir), "API_KEY", "--secret") == 0
    assert get_secret(load_project(project_dir), "API_KEY", environ={}) == "piped-secret-value"


def test_unset_removes_the_key_from_file_and_keychain(project_dir, memory_keyring, capsys):
    cli("set", str(project_dir), "API_KEY", "to-be-removed", "--secret")
    assert cli("unset", str(project_dir), "API_KEY") == 0
    assert "API_KEY" not in load_project(project_dir).configuration
    assert memory_keyring.store == {}
    assert cli("unset", str(project_dir), "API_KEY") == 2
    assert "no configuration key 'API_KEY'" in capsys.readouterr().err


def test_no_keychain_is_exit_2_with_one_clear_line_and_nothing_written(project_dir, capsys):
    keyring.set_keyring(keyring.backends.fail.Keyring())
    before = (project_dir / "customdb.toml").read_text()
    assert cli("set", str(project_dir), "API_KEY", "nowhere-to-go", "--secret") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no OS keychain" in err and "Traceback" not in err
    assert "nowhere-to-go" not in err
    assert (project_dir / "customdb.toml").read_text() == before
    assert sorted(p.name for p in project_dir.iterdir()) == ["customdb.toml"]


def test_list_without_keychain_still_works_and_says_so(project_dir, capsys):
    keyring.set_keyring(keyring.backends.fail.Keyring())
    listed = list_json(project_dir, capsys)
    assert listed["keychain"]["available"] is False and "no OS keychain" in listed["keychain"]["problem"]


@pytest.mark.parametrize("argv, message", [
    (("set", "{dir}", "not-a-key", "x"), "Python identifier"),
    (("set", "{dir}", "PLAIN"), "needs VALUE"),
    (("list", "{dir}/missing"), "no such project folder"),
])
def test_bad_input_is_exit_2_with_a_message(project_dir, capsys, argv, message):
    assert cli(*(a.format(dir=project_dir) for a in argv)) == 2
    assert message in capsys.readouterr().err
