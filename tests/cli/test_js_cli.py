"""The CLI verbs on a JavaScript project: same verbs, outcomes, exit codes and JSON shapes."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from tests.node_host_support import GET_USER_JS, LOGIN_JS, make_js_project

ALICE = '{"email": "alice@example.com", "password": "wonderland-42"}'
RUN_KEYS = ["script", "outcome", "result", "error", "findings", "logs", "sql", "log_event", "duration_ms",
            "committed"]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    p = make_js_project(tmp_path_factory.mktemp("jscli") / "proj", {"login": LOGIN_JS, "get_user": GET_USER_JS})
    cases = p.root / "cases"
    cases.mkdir()
    (cases / "alice.json").write_text(json.dumps({"script": "login", "input": json.loads(ALICE),
                                                  "expect": {"outcome": "ok", "result": {"user_id": "legacy|1"}}}))
    (cases / "wrong.json").write_text(json.dumps({"script": "login", "input": {"email": "alice@example.com",
                                                                               "password": "no"},
                                                  "expect": {"outcome": "rejected"}}))
    return p


def cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_json_has_the_python_runs_shape(project, capsys):
    code, out, _ = cli(capsys, "run", str(project.root), "login", "--input", ALICE, "--json")
    data = json.loads(out)
    assert code == 0 and list(data) == RUN_KEYS
    assert (data["outcome"], data["log_event"], data["result"]["user_id"]) == ("ok", "s", "legacy|1")


def test_run_human_output_names_the_js_file_and_line(project, capsys):
    code, out, _ = cli(capsys, "run", str(project.root), "login", "--input",
                       '{"email": "alice@example.com", "password": "no"}')
    assert code == 0
    assert out.startswith("login: rejected  (log event fp)")
    assert f"{project.root / 'scripts' / 'login.js'}:9 in login" in out


def test_run_exit_code_1_for_an_error(project, capsys, tmp_path):
    broken = make_js_project(tmp_path / "broken", {"login": "function login(e, p, cb) {\n  cb(null, {\n}\n"})
    code, out, _ = cli(capsys, "run", str(broken.root), "login", "--json")
    assert code == 1 and json.loads(out)["outcome"] == "invalid"


def test_saved_cases_run_through_node(project, capsys):
    code, out, _ = cli(capsys, "test", str(project.root), "--json")
    data = json.loads(out)
    assert code == 0 and (data["passed"], data["failed"]) == (2, 0)


def test_rehearse_runs_get_user_for_every_user(project, capsys):
    code, out, _ = cli(capsys, "rehearse", str(project.root), "--json")
    data = json.loads(out)
    assert code == 0 and (data["users"], data["ok"], data["failed"]) == (2, 2, 0)


def test_rehearse_reports_an_unstable_user_id(project, capsys, tmp_path):
    flaky = make_js_project(tmp_path / "flaky", {"get_user": (
        "function getUser(email, callback) {\n  global.n = (global.n || 0) + 1;\n"
        "  callback(null, { user_id: 'legacy|' + global.n, email });\n}\n")})
    code, out, _ = cli(capsys, "rehearse", str(flaky.root), "--json")
    data = json.loads(out)
    assert code == 1 and data["by_code"] == {"unstable-user-id": 2}


def test_debug_steps_the_javascript_login(project, capsys):
    code, out, _ = cli(capsys, "debug", str(project.root), "login", "--input", ALICE, "--break", "9", "--json")
    data = json.loads(out)
    assert code == 0 and [(s["reason"], s["line"]) for s in data["stops"]] == [("breakpoint", 9)]
    assert data["stops"][0]["locals"]["email"] == '"alice@example.com"' and data["run"]["outcome"] == "ok"


def test_simulate_a_login_flow_of_a_javascript_project(project, capsys):
    code, out, _ = cli(capsys, "simulate", str(project.root), "login", "--input", ALICE, "--json")
    data = json.loads(out)
    assert code == 0 and data["flow"] == "login"
    step = data["steps"][0]
    assert (step["script"], step["outcome"]) == ("login", "ok")


def test_bundle_and_reproduce_a_javascript_customers_error(project, capsys, tmp_path):
    trace = tmp_path / "customer.log"
    trace.write_text("Error: Wrong email or password.\n    at login (/data/webtask/login.js:9:53)\n", encoding="utf-8")
    out_zip = tmp_path / "repro.zip"
    code, _, err = cli(capsys, "bundle", "export", str(project.root), str(out_zip), "--script", "login",
                       "--input", '{"email": "alice@example.com", "password": "no"}', "--trace", str(trace))
    assert code == 0, err
    unpacked = tmp_path / "unpacked"
    assert cli(capsys, "bundle", "import", str(out_zip), str(unpacked))[0] == 0
    assert (unpacked / "scripts" / "login.js").is_file()
    assert cli(capsys, "trust", str(unpacked))[0] == 0
    code, out, _ = cli(capsys, "reproduce", str(unpacked), "--json")
    data = json.loads(out)
    assert data["local"]["outcome"] == "rejected" and data["matched_frames"] == 1
    assert data["local"]["frames"][0]["file"] == str(unpacked / "scripts" / "login.js")


def test_an_anonymous_frame_is_called_out_in_the_human_output(capsys, tmp_path):
    p = make_js_project(tmp_path / "anon", {"login": (
        "function login(email, password, callback) {\n  [1].forEach(function () {\n    null.boom;\n  });\n}\n")})
    code, out, _ = cli(capsys, "run", str(p.root), "login")
    assert code == 1 and "TypeError" in out
    assert f"{p.root / 'scripts' / 'login.js'}:3 in <anonymous>  (anonymous function: traces cannot name it)" in out
