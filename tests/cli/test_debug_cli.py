"""`customdb debug`: the recorded stops and the run result, as a support engineer would capture them."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from tests.runner_support import LOGIN, make_project

ALICE = '{"email": "alice@example.com", "password": "wonderland-42"}'

HELPERS = '''
def normalise(value):
    cleaned = value.strip().lower()
    return cleaned

def get_user(email, callback):
    wanted = normalise(email)
    row = db.execute(text("SELECT id, email FROM users WHERE email = :e"), {"e": wanted}).first()
    if row is None:
        return callback(None)
    return callback(None, {"user_id": f"legacy|{row.id}", "email": row.email})
'''


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "p", {"login": LOGIN, "get_user": HELPERS})


def debug_json(capsys, *argv: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["debug", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def brief(stops: list[dict]) -> list[tuple]:
    return [(s["reason"], s["line"], s["function"]) for s in stops]


def test_steps_without_breakpoints_start_on_the_entry_and_record_each_stop(project, capsys):
    code, out = debug_json(capsys, str(project.root), "get_user", "--input", '{"email": " Alice@Example.com "}',
                           "--steps", "into,over,out,over")
    assert code == 0
    assert brief(out["stops"]) == [("step", 7, "get_user"), ("step", 3, "normalise"), ("step", 4, "normalise"),
                                   ("step", 7, "get_user"), ("step", 8, "get_user")]
    assert out["stops"][2]["locals"] == {"value": "' Alice@Example.com '", "cleaned": "'alice@example.com'"}
    assert out["stops"][4]["locals"]["wanted"] == "'alice@example.com'"
    assert out["stops"][0]["file"] == str((project.root / "scripts" / "get_user.py").resolve())
    assert out["run"]["outcome"] == "ok"
    assert out["run"]["result"] == {"user_id": "legacy|1", "email": "alice@example.com"}
    assert set(out["run"]) >= {"script", "outcome", "result", "error", "findings", "logs", "sql", "duration_ms"}


def test_breakpoints_with_conditions_keep_stopping_after_the_steps_are_used_up(project, capsys):
    code, out = debug_json(capsys, str(project.root), "login", "--input", ALICE,
                           "--break", "5 if row is not None", "--break", "7", "--steps", "over")
    assert code == 0
    assert brief(out["stops"]) == [("breakpoint", 5, "login"), ("breakpoint", 7, "login")]
    assert out["stops"][0]["locals"]["row"].startswith("(1, 'alice@example.com'")
    code, out = debug_json(capsys, str(project.root), "login", "--input", ALICE, "--break", "5 if row is None")
    assert out["stops"] == [] and out["run"]["outcome"] == "ok"


def test_an_uncaught_error_is_a_stop_and_exits_like_run(tmp_path, capsys):
    p = make_project(tmp_path / "e", {"login": "def login(email, password, callback):\n    n = len(email)\n"
                                                "    return n / 0\n"})
    code, out = debug_json(capsys, str(p.root), "login", "--input", ALICE)
    assert code == 1
    assert out["stops"] == [{"reason": "exception", "file": str((p.root / "scripts" / "login.py").resolve()),
                             "line": 3, "function": "login",
                             "locals": {"email": "'alice@example.com'", "password": "'wonderland-42'",
                                        "callback": "<callback>", "n": "17"}}]
    assert out["run"]["outcome"] == "error" and out["run"]["error"]["type"] == "ZeroDivisionError"


def test_stop_as_a_step_ends_the_run_as_stopped(project, capsys):
    code, out = debug_json(capsys, str(project.root), "login", "--input", ALICE, "--steps", "over,stop")
    assert brief(out["stops"]) == [("step", 3, "login"), ("step", 5, "login")]
    assert out["run"]["error"]["type"] == "Stopped" and code == 1


def test_human_output_lists_stops_then_the_run_summary(project, capsys):
    assert main(["debug", str(project.root), "login", "--input", ALICE, "--break", "7"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("stop 1: breakpoint at line 7 in login\n  email='alice@example.com'")
    assert "login: ok" in text


@pytest.mark.parametrize("argv, message", [
    (["--steps", "over,sideways"], "unknown step 'sideways'"),
    (["--break", "seven"], "a breakpoint is LINE"),
    (["--break", "3 if ((("], "not an expression"),
    (["--input", "[1]"], "--input must be a JSON object"),
])
def test_bad_arguments_exit_2_with_one_line(project, capsys, argv, message):
    assert main(["debug", str(project.root), "login", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_unknown_script_and_missing_project_exit_2(project, tmp_path, capsys):
    assert main(["debug", str(project.root), "create"]) == 2
    assert main(["debug", str(tmp_path / "nowhere"), "login"]) == 2
    assert "Traceback" not in capsys.readouterr().err
