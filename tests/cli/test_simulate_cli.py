"""`customdb simulate` as a user calls it: JSON shape, human output, state across calls, exit codes."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from app.engine.scaffold import create_project

ALICE = '{"email": "alice@example.com", "password": "wonderland-42"}'
KEYS = ["flow", "mode", "outcome", "steps", "log_event", "findings", "managed_user"]
STEP_KEYS = {"actor", "action", "script", "input", "outcome", "duration_ms"}


@pytest.fixture
def project(tmp_path):
    return create_project(tmp_path / "proj", mode="migration")


def cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_has_the_documented_shape_and_passwords_are_masked(project, capsys):
    code, out, _ = cli(capsys, "simulate", str(project.root), "login", "--input", ALICE, "--json")
    data = json.loads(out)
    assert code == 0 and list(data) == KEYS
    assert (data["flow"], data["mode"], data["outcome"], data["log_event"]) == ("login", "migration", "success", "s")
    assert all(set(step) == STEP_KEYS for step in data["steps"])
    assert [s["actor"] for s in data["steps"]] == ["managed_store", "script", "managed_store"]
    assert data["steps"][1]["input"]["password"] == "****" and "wonderland-42" not in out
    assert data["managed_user"]["user_id"] == "legacy|1" and data["managed_user"]["has_password"] is True


def test_state_persists_between_calls_until_reset(project, capsys):
    cli(capsys, "simulate", str(project.root), "login", "--input", ALICE)
    code, out, _ = cli(capsys, "simulate", str(project.root), "login", "--input", ALICE, "--json")
    assert code == 0 and [s["actor"] for s in json.loads(out)["steps"]] == ["managed_store"]
    code, out, _ = cli(capsys, "simulate", str(project.root), "delete", "--input", '{"user": "legacy|1"}')
    assert code == 0 and "sdu" in out
    code, out, _ = cli(capsys, "simulate", str(project.root), "login", "--input", ALICE)
    assert code == 1 and "fu" in out  # the template marked alice migrated: she does not come back
    assert cli(capsys, "simulate", str(project.root), "--reset")[0] == 0
    code, out, _ = cli(capsys, "simulate", str(project.root), "login", "--input", ALICE, "--json")
    assert code == 0 and json.loads(out)["steps"][1]["script"] == "login"


def test_human_output_lists_steps_and_findings(project, capsys):
    code, out, _ = cli(capsys, "simulate", str(project.root), "login", "--input",
                       '{"email": "alice@example.com", "password": "nope"}')
    assert code == 1
    assert out.splitlines()[0] == "login (migration mode): failure  (log event fp)"
    assert "2. script login: run login -> rejected" in out and '"password": "****"' in out


@pytest.mark.parametrize(("argv", "message"), [
    (["verify"], "unknown flow 'verify' for migration mode"),
    (["login", "--input", "{oops"], "--input is not valid JSON"),
    (["login", "--input", '{"email": "a@b.c"}'], "needs 'password'"),
    (["login", "--input", '{"pass": "x"}'], "unknown input key 'pass'"),
    ([], "name a FLOW"),
    (["login", "--reset"], "--reset takes no FLOW"),
])
def test_unusable_input_exits_2_with_one_line(project, capsys, argv, message):
    code, out, err = cli(capsys, "simulate", str(project.root), *argv)
    assert code == 2 and out == "" and message in err and len(err.strip().splitlines()) == 1


def test_missing_project_exits_2(tmp_path, capsys):
    code, _, err = cli(capsys, "simulate", str(tmp_path / "nowhere"), "login")
    assert code == 2 and "customdb simulate:" in err


def test_a_failing_script_step_says_why_in_both_outputs(tmp_path, capsys):
    """A script that raises must not show up as a bare `-> error`: the step carries the error."""
    project = create_project(tmp_path / "p", mode="migration")
    project.write_script("login", "def login(email, password, callback):\n    raise RuntimeError('legacy store offline')\n")
    data = {"email": "alice@example.com", "password": "wonderland-42"}
    assert main(["simulate", str(project.root), "login", "--input", json.dumps(data), "--json"]) == 1
    step = json.loads(capsys.readouterr().out)["steps"][-1]
    assert step["error"] == {"type": "RuntimeError", "message": "legacy store offline"}
    assert main(["simulate", str(project.root), "login", "--input", json.dumps(data)]) == 1
    assert "error RuntimeError: legacy store offline" in capsys.readouterr().out


@pytest.mark.parametrize("flow", ["identifier-first", "management-lookup"])
def test_the_lookup_flows_run_get_user_only_and_create_nobody(project, capsys, flow):
    code, out, _ = cli(capsys, "simulate", str(project.root), flow, "--input", '{"email": "bob@example.com"}',
                       "--json")
    data = json.loads(out)
    assert code == 0 and list(data) == KEYS and data["outcome"] == "success" and data["managed_user"] is None
    assert [s["script"] for s in data["steps"] if s["actor"] == "script"] == ["get_user"]
    code, out, _ = cli(capsys, "simulate", str(project.root), flow, "--input", '{"email": "nobody@example.com"}')
    assert code == 1 and f"{flow} (migration mode): failure" in out
