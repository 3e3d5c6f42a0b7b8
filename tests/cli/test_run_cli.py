"""`customdb run` and `customdb test` as a user (or their CI) calls them: output, JSON shape, exit codes."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest

from app.cli import main
from tests.runner_support import GET_USER, LOGIN, make_legacy_db, make_project

ALICE = '{"email": "alice@example.com", "password": "wonderland-42"}'
RUN_KEYS = ["script", "outcome", "result", "error", "findings", "logs", "sql", "log_event", "duration_ms",
            "committed"]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("cli") / "proj", {"login": LOGIN, "get_user": GET_USER})


def cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_json_is_one_object_with_the_documented_keys(project, capsys):
    code, out, _ = cli(capsys, "run", str(project.root), "login", "--input", ALICE, "--json")
    data = json.loads(out)
    assert code == 0 and list(data) == RUN_KEYS
    assert data["outcome"] == "ok" and data["result"]["user_id"] == "legacy|1" and data["log_event"] == "s"
    assert data["committed"] is False and isinstance(data["duration_ms"], float)
    assert set(data["sql"][1]) == {"statement", "params", "duration_ms", "rows", "error"}


def test_run_human_output(project, capsys):
    code, out, _ = cli(capsys, "run", str(project.root), "login", "--input",
                       '{"email": "alice@example.com", "password": "wrong"}')
    assert code == 0
    assert out.splitlines()[0] == "login: rejected  (log event fp)"
    assert "error: WrongUsernameOrPasswordError: Wrong email or password." in out
    assert "1 SQL statement(s)" in out and "rolled back (dry run)" in out


@pytest.mark.parametrize(("source", "outcome"), [
    ("def get_user(email, callback):\n    raise RuntimeError('x')\n", "error"),
    ("def get_user(email, callback)\n", "invalid"),
])
def test_failed_runs_exit_1(tmp_path, capsys, source, outcome):
    p = make_project(tmp_path / "p", {"get_user": source})
    code, out, _ = cli(capsys, "run", str(p.root), "get_user", "--input", '{"email": "a"}', "--json")
    assert code == 1 and json.loads(out)["outcome"] == outcome


def test_timeout_flag_exits_1(tmp_path, capsys):
    p = make_project(tmp_path / "p", {"get_user": "def get_user(email, callback):\n    while True:\n        pass\n"})
    code, out, _ = cli(capsys, "run", str(p.root), "get_user", "--timeout", "0.5", "--json")
    assert code == 1 and json.loads(out)["error"]["message"] == "Request to Webtask exceeded allowed execution time"


@pytest.mark.parametrize(("args", "message"), [
    (["run", "{missing}", "login"], "no such project folder"),
    (["run", "{root}", "nope"], "unknown script 'nope'"),
    (["run", "{root}", "verify"], "verify.py does not exist"),
    (["run", "{root}", "login", "--input", "{bad"], "--input is not valid JSON"),
    (["run", "{root}", "login", "--input", "[1]"], "--input must be a JSON object"),
    (["run", "{root}", "login", "--input", '{"mail": "x"}'], "unknown input key 'mail'"),
])
def test_unusable_input_exits_2_with_one_line(project, tmp_path, capsys, args, message):
    argv = [a.replace("{root}", str(project.root)).replace("{missing}", str(tmp_path / "absent")) for a in args]
    code, out, err = cli(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_secret_exits_2_naming_both_ways_to_set_it(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CUSTOMDB_CONFIG_API_KEY", raising=False)
    reads_key = LOGIN.replace("    row = db", '    key = configuration["API_KEY"]\n    row = db')
    p = make_project(tmp_path / "p", {"login": reads_key}, configuration="API_KEY = { secret = true }\n")
    code, _, err = cli(capsys, "run", str(p.root), "login", "--input", ALICE)
    assert code == 2 and "API_KEY" in err and "CUSTOMDB_CONFIG_API_KEY" in err and "config set" in err


def test_a_missing_secret_no_script_reads_does_not_stop_the_run(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CUSTOMDB_CONFIG_API_KEY", raising=False)
    p = make_project(tmp_path / "p", {"login": LOGIN}, configuration="API_KEY = { secret = true }\n")
    code, out, err = cli(capsys, "run", str(p.root), "login", "--input", ALICE, "--json")
    assert code == 0 and json.loads(out)["outcome"] == "ok", err


WRITER = """
def change_email(email, new_email, verified, callback):
    db.execute(text("UPDATE users SET email = :n WHERE email = :e"), {"n": new_email, "e": email})
    callback(None, True)
"""


def test_dry_run_leaves_the_database_unchanged_and_commit_writes(tmp_path, capsys):
    p = make_project(tmp_path / "p", {"change_email": WRITER})
    db_file = p.root / "legacy.db"
    before = hashlib.sha256(db_file.read_bytes()).hexdigest()
    payload = '{"email": "bob@example.com", "new_email": "robert@example.com", "verified": true}'
    code, out, _ = cli(capsys, "run", str(p.root), "change_email", "--input", payload, "--json")
    assert code == 0 and json.loads(out)["committed"] is False
    assert hashlib.sha256(db_file.read_bytes()).hexdigest() == before
    code, out, _ = cli(capsys, "run", str(p.root), "change_email", "--input", payload, "--commit", "--json")
    assert code == 0 and json.loads(out)["committed"] is True
    con = sqlite3.connect(db_file)
    assert con.execute("SELECT email FROM users WHERE id = 2").fetchone() == ("robert@example.com",)
    con.close()


def test_database_override(tmp_path, capsys):
    p = make_project(tmp_path / "p", {"get_user": GET_USER})
    other = make_legacy_db(tmp_path / "other.db", users=[(5, "eve@example.com", "x")])
    code, out, _ = cli(capsys, "run", str(p.root), "get_user", "--input", '{"email": "eve@example.com"}',
                       "--database", f"sqlite:///{other}", "--json")
    assert code == 0 and json.loads(out)["result"]["user_id"] == "legacy|5"


def test_secret_never_appears_in_the_json_output(tmp_path, capsys, monkeypatch):
    secret = "Zq9-very-secret-value"
    monkeypatch.setenv("CUSTOMDB_CONFIG_TOKEN", secret)
    p = make_project(tmp_path / "p", {"get_user": """
def get_user(email, callback):
    print("token", configuration["TOKEN"])
    db.execute(text("SELECT :v AS v"), {"v": configuration["TOKEN"]})
    callback(Exception("failed with " + configuration["TOKEN"]))
"""}, configuration="TOKEN = { secret = true }\n")
    code, out, err = cli(capsys, "run", str(p.root), "get_user", "--input", '{"email": "a"}', "--json")
    assert code == 1 and secret not in out and secret not in err
    assert json.loads(out)["error"]["message"] == "failed with ****"


def test_a_failed_runs_json_carries_frame_locals_sources_and_the_exception_chain(tmp_path, capsys):
    p = make_project(tmp_path / "p", {"get_user": """
def parse(raw):
    return int(raw)

def get_user(email, callback):
    raw = email.rpartition("|")[2]
    try:
        parse(raw)
    except ValueError as e:
        raise LookupError("no legacy id") from e
"""})
    code, out, _ = cli(capsys, "run", str(p.root), "get_user", "--input", '{"email": "legacy|7b"}', "--json")
    data = json.loads(out)
    assert code == 1 and list(data) == RUN_KEYS  # the new fields live inside `error` only
    error = data["error"]
    (frame,) = error["traceback"]
    assert frame["source"] == 'raise LookupError("no legacy id") from e'
    assert frame["locals"]["raw"] == "'7b'" and frame["locals"]["email"] == "'legacy|7b'"
    (cause,) = error["chain"]
    assert set(cause) == {"type", "message", "traceback", "relation"}
    assert (cause["type"], cause["relation"]) == ("ValueError", "cause")
    assert cause["traceback"][-1] == {"function": "parse", "file": frame["file"], "line": 3, "library": False,
                                      "source": "return int(raw)", "locals": {"raw": "'7b'"}}


def test_a_library_frame_has_its_source_but_no_locals(tmp_path, capsys):
    p = make_project(tmp_path / "p", {"get_user": """
import json

def get_user(email, callback):
    payload = "{not json"
    return callback(None, json.loads(payload))
"""})
    code, out, _ = cli(capsys, "run", str(p.root), "get_user", "--input", '{"email": "a"}', "--json")
    frames = json.loads(out)["error"]["traceback"]
    library = [f for f in frames if f["library"]]
    assert code == 1 and library and all("locals" not in f and f.get("source") for f in library)
    assert frames[0]["locals"] == {"email": "'a'", "payload": "'{not json'"}


# -- customdb test ---------------------------------------------------------------------------------

def write_case(root, name, case):
    (root / "cases").mkdir(exist_ok=True)
    (root / "cases" / f"{name}.json").write_text(json.dumps(case) if not isinstance(case, str) else case)


def test_cases_pass_and_fail_with_exit_code_and_json(tmp_path, capsys):
    p = make_project(tmp_path / "p", {"login": LOGIN, "get_user": GET_USER})
    write_case(p.root, "a_login_ok", {"script": "login", "input": json.loads(ALICE),
                                      "expect": {"outcome": "ok", "result": {"user_id": "legacy|1"}}})
    write_case(p.root, "b_unknown", {"script": "get_user", "input": {"email": "zed@x"},
                                     "expect": {"outcome": "not_found"}})
    code, out, _ = cli(capsys, "test", str(p.root), "--json")
    data = json.loads(out)
    assert code == 0 and (data["passed"], data["failed"]) == (2, 0)
    assert list(data["cases"][0]) == ["name", "script", "passed", "outcome", "expected", "message"]

    write_case(p.root, "c_wrong_result", {"script": "login", "input": json.loads(ALICE),
                                          "expect": {"outcome": "ok", "result": {"user_id": "legacy|2"}}})
    write_case(p.root, "d_broken", "{not json")
    write_case(p.root, "e_wrong_outcome", {"script": "get_user", "input": {"email": "alice@example.com"},
                                           "expect": {"outcome": "not_found"}})
    code, out, _ = cli(capsys, "test", str(p.root))
    assert code == 1
    assert "PASS a_login_ok (login): ok" in out
    assert "FAIL c_wrong_result" in out and "does not match" in out
    assert "FAIL d_broken" in out and "not valid JSON" in out
    assert "FAIL e_wrong_outcome" in out and "expected outcome not_found, got ok" in out
    assert out.strip().splitlines()[-1] == "2 passed, 3 failed"


def test_no_cases_exits_2(tmp_path, capsys):
    p = make_project(tmp_path / "p", {"login": LOGIN})
    code, _, err = cli(capsys, "test", str(p.root))
    assert code == 2 and "no saved cases" in err


def test_the_sample_projects_saved_cases_all_pass(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CUSTOMDB_DATA_DIR", str(tmp_path / "data"))
    from app.engine.sample import ensure_sample_project

    folder = ensure_sample_project()
    code, out, _ = cli(capsys, "test", str(folder), "--json")
    data = json.loads(out)
    assert code == 0 and data["failed"] == 0 and data["passed"] == len(list((folder / "cases").glob("*.json"))) > 0
    code, out, _ = cli(capsys, "run", str(folder), "login", "--input", ALICE, "--json")
    assert code == 0 and json.loads(out)["result"]["user_id"]
