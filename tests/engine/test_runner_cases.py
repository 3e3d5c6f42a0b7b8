"""Judging saved cases (shared by `customdb test` and the IDE's case list): pure, no child involved."""

from __future__ import annotations

import json

import pytest

from app.engine.cases import judge, load_case, matches


def test_objects_match_on_the_keys_they_list_recursively():
    actual = {"user_id": "legacy|1", "email": "a@x", "user_metadata": {"plan": "gold", "seats": 3}}
    assert matches({"user_id": "legacy|1"}, actual)
    assert matches({"user_metadata": {"plan": "gold"}}, actual)
    assert not matches({"user_metadata": {"plan": "free"}}, actual)
    assert not matches({"missing": None}, actual)
    assert matches(True, True) and not matches(True, 1.5) and not matches([1], [1, 2])


def test_judge_reports_outcome_and_result_mismatches():
    case = {"script": "login", "expect": {"outcome": "ok", "result": {"user_id": "legacy|1"}}}
    assert judge("a", case, {"outcome": "ok", "result": {"user_id": "legacy|1", "email": "x"}}).passed
    bad = judge("a", case, {"outcome": "rejected", "result": None,
                            "error": {"type": "WrongUsernameOrPasswordError", "message": "Wrong email or password."}})
    assert not bad.passed
    assert bad.message.startswith("expected outcome ok, got rejected (WrongUsernameOrPasswordError")
    assert "does not match" in bad.message
    assert judge("b", {"script": "get_user"}, {"outcome": "ok"}).passed  # outcome defaults to ok


@pytest.mark.parametrize(("text", "message"), [
    ("{", "not valid JSON"),
    ("[]", "must be a JSON object"),
    ('{"script": "logon"}', "unknown script 'logon'"),
    ('{"script": "login", "input": []}', "'input' must be a JSON object"),
    ('{"script": "login", "expect": 1}', "'expect' must be a JSON object"),
])
def test_broken_case_files_say_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "c.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_case(path)


def test_a_valid_case_loads(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"script": "get_user", "input": {"email": "a"}, "expect": {"outcome": "not_found"}}))
    assert load_case(path)["script"] == "get_user"
