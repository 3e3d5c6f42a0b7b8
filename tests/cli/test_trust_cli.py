"""`customdb trust DIR [--revoke] [--json]`: restricted mode from the command line."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from app.engine import trust
from tests.runner_support import GET_USER, make_project


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTOMDB_DATA_DIR", str(tmp_path / "userdata"))


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def restricted(tmp_path):
    p = make_project(tmp_path / "imported", {"get_user": GET_USER})
    trust.mark_from_bundle(p, "repro.zip")
    return p


def test_trust_allows_running_and_revoke_refuses_again(restricted, capsys):
    root = restricted.root
    code, _, err = cli(capsys, "run", root, "get_user", "--input", '{"email": "alice@example.com"}')
    assert code == 2 and f"customdb trust {root}" in err

    code, out, _ = cli(capsys, "trust", root)
    assert code == 0 and out.startswith(f"trusted {root}") and "get_user" in out
    code, out, _ = cli(capsys, "run", root, "get_user", "--input", '{"email": "alice@example.com"}', "--json")
    assert code == 0 and json.loads(out)["outcome"] == "ok"

    code, out, _ = cli(capsys, "trust", root, "--revoke")
    assert code == 0 and out.startswith(f"restricted {root}")
    assert cli(capsys, "run", root, "get_user")[0] == 2


def test_trust_json_shape(restricted, capsys):
    code, out, _ = cli(capsys, "trust", restricted.root, "--json")
    assert code == 0
    assert json.loads(out) == {"project": str(restricted.root), "trusted": True, "from_bundle": True,
                               "scripts": ["get_user"]}
    code, out, _ = cli(capsys, "trust", restricted.root, "--revoke", "--json")
    assert json.loads(out)["trusted"] is False


def test_trust_of_a_folder_that_is_no_project_exits_2(tmp_path, capsys):
    code, out, err = cli(capsys, "trust", tmp_path / "nothing")
    assert code == 2 and out == "" and "no such project folder" in err


def test_an_own_project_runs_without_trust(tmp_path, capsys):
    p = make_project(tmp_path / "mine", {"get_user": GET_USER})
    code, _, _ = cli(capsys, "run", p.root, "get_user", "--input", '{"email": "alice@example.com"}')
    assert code == 0


@pytest.mark.parametrize("argv", [["simulate", "{root}", "login"], ["rehearse", "{root}"]])
def test_simulate_and_rehearse_are_refused_until_trusted(restricted, capsys, argv):
    code, out, err = cli(capsys, *[a.replace("{root}", str(restricted.root)) for a in argv])
    assert code == 2 and out == "" and f"customdb trust {restricted.root}" in err
    assert len(err.strip().splitlines()) == 1
