"""Post-mortem through the real runner (child process, parent masking): a failed run's error names
each script frame's variables and the exceptions behind it; a run that did not fail carries none."""

from __future__ import annotations

import json

import pytest

from app.engine.runner import RunnerClient
from tests.runner_support import GET_USER, make_project

SECRET = "pm-Secret-Value-77"

HELPER_FAILS = '''
def normalise(email):
    local, _, domain = email.partition("@")
    return local + "@" + domain.lower()[5]

def get_user(email, callback):
    cleaned = email.strip()
    row = db.execute(text("SELECT id FROM users WHERE email = :e"), {"e": cleaned}).first()
    return callback(None, {"user_id": normalise(cleaned)})
'''

CHAINED = '''
def to_id(raw):
    return int(raw)

def get_user(email, callback):
    raw = email.split("|")[-1]
    try:
        to_id(raw)
    except ValueError as e:
        raise LookupError(f"no legacy id in {email!r}") from e
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("postmortem") / "proj", {"get_user": GET_USER}, timeout_s=10,
                        configuration="API_KEY = { secret = true }\n")


@pytest.fixture(scope="module")
def client(project):
    mp = pytest.MonkeyPatch()
    mp.setenv("CUSTOMDB_CONFIG_API_KEY", SECRET)
    c = RunnerClient(project)
    yield c
    c.close()
    mp.undo()


def test_an_error_in_a_helper_gives_both_frames_variables(client):
    r = client.run("get_user", {"email": " Bob@X.io "}, source=HELPER_FAILS)
    assert r.outcome == "error" and r.error["type"] == "IndexError"
    entry, helper = r.error["traceback"]
    assert (entry["function"], helper["function"]) == ("get_user", "normalise")
    assert entry["locals"] == {"email": "' Bob@X.io '", "cleaned": "'Bob@X.io'", "row": "None"}
    assert helper["locals"] == {"email": "'Bob@X.io'", "local": "'Bob'", "_": "'@'", "domain": "'X.io'"}
    assert entry["source"] == 'return callback(None, {"user_id": normalise(cleaned)})'
    assert helper["source"] == 'return local + "@" + domain.lower()[5]'
    assert "chain" not in r.error


def test_raise_from_gives_the_chain(client):
    r = client.run("get_user", {"email": "legacy|12x"}, source=CHAINED)
    assert r.error["type"] == "LookupError" and r.error["message"] == "no legacy id in 'legacy|12x'"
    assert r.error["traceback"][0]["locals"]["raw"] == "'12x'"
    (cause,) = r.error["chain"]
    assert cause["type"] == "ValueError" and cause["relation"] == "cause"
    assert [(f["function"], f["source"]) for f in cause["traceback"]] == [
        ("get_user", "to_id(raw)"), ("to_id", "return int(raw)")]
    assert cause["traceback"][1]["locals"] == {"raw": "'12x'"}


def test_the_unsaved_buffer_is_what_source_lines_quote(client, project):
    r = client.run("get_user", {"email": "a@b.c"},
                   source="def get_user(email, callback):\n    unsaved = 1\n    raise KeyError(email)\n")
    assert "raise KeyError" not in project.script_path("get_user").read_text()  # the file says otherwise
    assert r.error["traceback"][0]["source"] == "raise KeyError(email)"
    assert r.error["traceback"][0]["locals"] == {"email": "'a@b.c'", "unsaved": "1"}


def test_secrets_and_the_typed_password_never_leave_in_locals(client):
    r = client.run("login", {"email": "alice@example.com", "password": "typed-Pass-123"}, source='''
def login(email, password, callback):
    key = configuration["API_KEY"]
    headers = {"X-Key": key, "X-Pass": password}
    raise PermissionError("upstream refused")
''')
    dumped = json.dumps(r.to_dict())
    assert SECRET not in dumped and "typed-Pass-123" not in dumped
    assert r.error["traceback"][0]["locals"] == {"email": "'alice@example.com'", "password": "'****'",
                                                 "key": "'****'",
                                                 "headers": "{'X-Key': '****', 'X-Pass': '****'}"}


def test_an_exception_passed_to_callback_carries_its_frames_variables(client):
    r = client.run("get_user", {"email": "x@y.z"}, source='''
def get_user(email, callback):
    attempt = 1
    try:
        {}[email]
    except KeyError as e:
        return callback(e)
''')
    assert r.outcome == "error" and r.error["type"] == "KeyError"
    assert r.error["traceback"][0]["locals"]["attempt"] == "1"


def test_a_successful_run_has_no_post_mortem(client):
    r = client.run("get_user", {"email": "alice@example.com"})
    assert r.outcome == "ok" and r.error is None
