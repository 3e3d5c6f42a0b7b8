"""Pure rules: callback answer -> outcome and hosted log event; profile checks; SQL-trace rules."""

from __future__ import annotations

import bcrypt
import pytest

from app.domain.outcome import Answer, classify, exit_code
from app.domain.profile import check_profile, looks_like_password_hash, secret_field_name
from app.domain.sqlrules import statement_verb, trace_findings


@pytest.mark.parametrize(("key", "answer", "outcome", "event"), [
    ("login", Answer(result={"user_id": "1"}), "ok", "s"),
    ("login", Answer(error_kind="wrong_credentials", error_has_user=True), "rejected", "fp"),
    ("login", Answer(error_kind="wrong_credentials"), "rejected", "fu"),
    ("login", Answer(), "rejected", "fu"),
    ("login", Answer(error_kind="exception"), "error", None),
    ("get_user", Answer(), "not_found", None),
    ("get_user", Answer(result={"user_id": "1"}), "ok", None),
    ("create", Answer(), "ok", "ss"),
    ("create", Answer(error_kind="validation", error_code="user_exists"), "rejected", "fs"),
    ("verify", Answer(result=True), "ok", None),
    ("verify", Answer(result=False), "rejected", None),
    ("change_password", Answer(result={"last_password_reset": "x"}), "ok", None),
    ("change_email", Answer(error_kind="unauthorized"), "rejected", None),
    ("delete", Answer(), "ok", None),
])
def test_classify(key, answer, outcome, event):
    verdict = classify(key, answer)
    assert (verdict.outcome, verdict.log_event) == (outcome, event)


def test_answers_the_platform_cannot_use_are_errors_with_a_finding():
    for key, answer in [("login", Answer(result="alice")), ("verify", Answer(result="yes")),
                        ("get_user", Answer(error_kind="not_an_error", error_type="str"))]:
        verdict = classify(key, answer)
        assert verdict.outcome == "error" and [f.code for f in verdict.findings] == ["wrong-callback-arguments"]


def test_exit_codes():
    assert [exit_code(o) for o in ("ok", "not_found", "rejected")] == [0, 0, 0]
    assert [exit_code(o) for o in ("error", "timeout", "crashed", "invalid")] == [1, 1, 1, 1]


def test_profile_checks():
    bhash = bcrypt.hashpw(b"pw", bcrypt.gensalt(4)).decode()
    found = check_profile({"email": "a", "app_metadata": {}, "nested": {"legacy": bhash},
                           "last_password_reset": "2024", "api": "conf-secret-1"},
                          "login", secret_values={"conf-secret-1"})
    codes = sorted(f.code for f in found)
    assert codes == ["app-metadata-name", "missing-user-id", "secret-in-profile", "secret-in-profile"]
    assert all("conf-secret-1" not in f.message and bhash not in f.message for f in found)
    assert check_profile({"id": 5, "email": "a"}, "get_user") == []
    assert [f.code for f in check_profile({"user_id": "1"}, "login", requires_username=True)] == ["missing-username"]


def test_secret_names_and_hash_values():
    assert secret_field_name("password") and secret_field_name("passwordHash") and secret_field_name("api_token")
    assert not secret_field_name("last_password_reset") and not secret_field_name("email")
    assert looks_like_password_hash("$argon2id$v=19$m=65536")
    assert looks_like_password_hash("pbkdf2_sha256$260000$abc$def")
    assert not looks_like_password_hash("$100 off")


def test_statement_verbs():
    assert statement_verb("  /* hi */ -- x\n delete from users") == "DELETE"
    assert statement_verb("WITH d AS (SELECT 1) UPDATE users SET a = 1") == "UPDATE"
    assert statement_verb("(SELECT 1)") == "SELECT"


def test_trace_rules():
    sql = [{"statement": "BEGIN", "error": None}, {"statement": "DELETE FROM users WHERE id = 1", "error": None}]
    assert [f.code for f in trace_findings("login", "legacy", "ok", sql)] == ["delete-in-login"]
    assert trace_findings("get_user", "legacy", "ok", sql) == []
    select = [{"statement": "SELECT 1", "error": None}]
    assert trace_findings("get_user", "migration", "ok", select) == []  # Get User must not mark: a lookup
    mark = [{"statement": "UPDATE users SET migrated = 1", "error": None}]
    assert [f.code for f in trace_findings("get_user", "migration", "ok", mark)] == ["marked-in-get-user"]
    assert [f.code for f in trace_findings("get_user", "migration", "not_found", mark)] == ["marked-in-get-user"]
    assert trace_findings("get_user", "legacy", "ok", mark) == []
    assert [f.code for f in trace_findings("login", "migration", "ok", select)] == ["not-marked-migrated"]
    failed_update = [{"statement": "UPDATE users SET migrated = 1", "error": "locked"}]
    assert [f.code for f in trace_findings("login", "migration", "ok", failed_update)] == ["not-marked-migrated"]
    update = [{"statement": "UPDATE users SET migrated = 1", "error": None}]
    assert trace_findings("login", "migration", "ok", update) == []
    assert trace_findings("login", "migration", "rejected", select) == []


def test_log_events_read_as_the_platform_names_them():
    from app.domain.outcome import LOG_EVENTS, describe_log_event

    assert describe_log_event("fp") == "fp: Failed Login (wrong password)"
    assert describe_log_event("fu") == "fu: Failed Login (unknown user)"
    assert describe_log_event("zz") == "zz"  # an event this version does not know stays readable
    assert set(LOG_EVENTS) == {"s", "fp", "fu", "ss", "fs"}  # every event classify() can give
