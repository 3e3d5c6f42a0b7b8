"""`customdb debug` on a JavaScript project: the same flags and stop records as for Python, the
stops always in the user's file (never in Node internals, the module store or the host)."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from tests.node_host_support import make_js_project

# Line numbers matter: the tests name them.
GET_USER = """\
function normalise(value) {
  const cleaned = value.trim().toLowerCase();
  return cleaned;
}

function getUser(email, callback) {
  const wanted = normalise(email);
  const { DatabaseSync } = require('node:sqlite');
  const db = new DatabaseSync(configuration.DB_PATH);
  const row = db.prepare('SELECT id, email FROM users WHERE email = ?').get(wanted);
  db.close();
  const key = configuration.API_KEY;
  if (!row) return callback(null);
  callback(null, { user_id: 'legacy|' + row.id, email: row.email });
}
"""

ALICE = '{"email": " Alice@Example.com "}'


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    mp.setenv("CUSTOMDB_CONFIG_API_KEY", "s3cr3t-value")
    yield make_js_project(tmp_path_factory.mktemp("jsdebug") / "p", {"get_user": GET_USER},
                          configuration="API_KEY = { secret = true }\n")
    mp.undo()


def debug_json(capsys, *argv: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["debug", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def brief(stops: list[dict]) -> list[tuple]:
    return [(s["reason"], s["line"], s["function"]) for s in stops]


def test_a_breakpoint_stops_on_its_line_with_the_locals(project, capsys):
    code, out = debug_json(capsys, str(project.root), "get_user", "--input", ALICE, "--break", "11")
    assert code == 0
    assert brief(out["stops"]) == [("breakpoint", 11, "getUser")]
    stop = out["stops"][0]
    assert stop["file"] == str(project.root / "scripts" / "get_user.js")
    assert stop["locals"]["wanted"] == '"alice@example.com"'
    assert stop["locals"]["row"] == '{id: 1, email: "alice@example.com"}'
    assert stop["locals"]["email"] == '" Alice@Example.com "'
    assert out["run"]["outcome"] == "ok" and out["run"]["result"]["user_id"] == "legacy|1"


def test_steps_over_into_and_out_land_on_the_users_lines_only(project, capsys):
    code, out = debug_json(capsys, str(project.root), "get_user", "--input", ALICE,
                           "--steps", "into,over,out,over,over")
    assert code == 0
    # Stop on entry, into normalise, over its first line, out to the caller (V8 pauses on the
    # caller's next statement once the call's line has nothing left to run), then on.
    assert brief(out["stops"]) == [("step", 7, "getUser"), ("step", 2, "normalise"), ("step", 3, "normalise"),
                                   ("step", 8, "getUser"), ("step", 9, "getUser"), ("step", 10, "getUser")]
    assert out["stops"][2]["locals"] == {"value": '" Alice@Example.com "', "cleaned": '"alice@example.com"'}
    assert all(s["file"].endswith("get_user.js") for s in out["stops"])
    assert out["run"]["outcome"] == "ok"


def test_step_into_a_require_never_stops_in_node_or_the_store(project, capsys):
    code, out = debug_json(capsys, str(project.root), "get_user", "--input", ALICE, "--break", "8",
                           "--steps", "into,into,into")
    assert code == 0
    lines = [s["line"] for s in out["stops"]]
    assert lines[0] == 8 and all(s["file"].endswith("get_user.js") for s in out["stops"])
    assert lines[1:] == [9, 10, 11]  # a step into require(...) or a constructor comes back to the script


def test_stepping_past_the_last_line_finishes_the_run(project, capsys):
    code, out = debug_json(capsys, str(project.root), "get_user", "--input", ALICE, "--break", "14",
                           "--steps", "over,over,over")
    assert code == 0 and brief(out["stops"])[0] == ("breakpoint", 14, "getUser")
    assert all(s["file"].endswith("get_user.js") for s in out["stops"])
    assert out["run"]["outcome"] == "ok"


def test_a_javascript_condition_picks_the_stop(project, capsys):
    code, out = debug_json(capsys, str(project.root), "get_user", "--input", ALICE,
                           "--break", "3 if cleaned.startsWith('alice')", "--break", "13 if row === undefined")
    assert code == 0 and brief(out["stops"]) == [("breakpoint", 3, "normalise")]
    code, out = debug_json(capsys, str(project.root), "get_user", "--input", '{"email": "nobody@x.org"}',
                           "--break", "3 if cleaned.startsWith('alice')", "--break", "13 if row === undefined")
    assert code == 0 and brief(out["stops"]) == [("breakpoint", 13, "getUser")]
    assert out["run"]["outcome"] == "not_found"


def test_stop_ends_the_run_cleanly_and_the_next_run_works(project, capsys):
    code, out = debug_json(capsys, str(project.root), "get_user", "--input", ALICE, "--break", "9",
                           "--steps", "stop")
    assert brief(out["stops"]) == [("breakpoint", 9, "getUser")]
    assert out["run"]["outcome"] == "error" and out["run"]["error"]["message"] == "stopped by the user"
    assert code == 1
    code, out = debug_json(capsys, str(project.root), "get_user", "--input", ALICE)
    assert code == 0 and out["run"]["outcome"] == "ok"


def test_a_debug_run_without_breakpoints_answers_like_a_plain_run(project, capsys):
    code, out = debug_json(capsys, str(project.root), "get_user", "--input", ALICE)
    capsys.readouterr()
    plain_code = main(["run", str(project.root), "get_user", "--input", ALICE, "--json"])
    plain = json.loads(capsys.readouterr().out)
    assert out["stops"] == []
    assert (code, out["run"]["outcome"], out["run"]["result"], out["run"]["log_event"]) == (
        plain_code, plain["outcome"], plain["result"], plain["log_event"])


def test_secrets_are_masked_in_the_locals(project, capsys):
    code, out = debug_json(capsys, str(project.root), "get_user", "--input", ALICE, "--break", "13")
    assert code == 0 and brief(out["stops"]) == [("breakpoint", 13, "getUser")]
    assert "key" in out["stops"][0]["locals"]
    assert "s3cr3t-value" not in json.dumps(out)


def test_an_uncaught_exception_in_a_timer_stops_where_it_was_thrown(tmp_path, capsys):
    p = make_js_project(tmp_path / "p", {"get_user": """\
        function getUser(email, callback) {
          setTimeout(() => {
            const broken = null;
            broken.email.trim();
          }, 1);
        }
        """})
    code, out = debug_json(capsys, str(p.root), "get_user", "--input", ALICE)
    assert brief(out["stops"]) == [("exception", 4, "<anonymous>")]
    assert out["stops"][0]["locals"] == {"broken": "null"}
    assert out["run"]["outcome"] == "error" and code == 1


def test_human_output_names_each_stop(project, capsys):
    capsys.readouterr()
    code = main(["debug", str(project.root), "get_user", "--input", ALICE, "--break", "11"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("stop 1: breakpoint at line 11 in getUser\n")
    assert 'wanted="alice@example.com"' in out

