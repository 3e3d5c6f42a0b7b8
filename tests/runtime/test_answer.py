"""The callback's arguments as data, and traceback frames without the runtime's own."""

from __future__ import annotations

import datetime

from app.runtime.answer import Callback, frames, jsonable
from app.runtime.errors import WrongUsernameOrPasswordError
from app.runtime.masking import Masker


def make(key="login", secrets=(), passwords=()):
    return Callback(key, "/p/scripts/login.py", Masker(secrets), secrets, passwords)


def test_first_call_counts_and_result_is_frozen_at_call_time():
    cb = make("get_user")
    profile = {"user_id": "a|1", "created": datetime.date(2024, 1, 2)}
    cb(None, profile)
    profile["user_id"] = "changed"
    cb(None, {"user_id": "a|2"})
    assert cb.answer.result == {"user_id": "a|1", "created": "2024-01-02"}
    assert cb.calls == 2 and cb.twice_finding().code == "callback-called-twice"


def test_wrong_credentials_answer_records_whether_a_user_was_named():
    cb = make()
    cb(WrongUsernameOrPasswordError("alice@example.com"))
    assert cb.answer.error_kind == "wrong_credentials" and cb.answer.error_has_user
    cb2 = make()
    cb2(WrongUsernameOrPasswordError())
    assert not cb2.answer.error_has_user


def test_error_class_instead_of_instance_and_keyword_arguments_are_flagged():
    cb = make()
    cb(WrongUsernameOrPasswordError, profile={"x": 1})
    assert {f.code for f in cb.findings} == {"wrong-callback-arguments"}
    assert len(cb.findings) == 2 and cb.answer.error_kind == "wrong_credentials"


def test_profile_checks_run_on_the_raw_profile_and_the_answer_is_masked():
    cb = make(secrets=("sk_live_12345",), passwords=("typed",))
    cb(None, {"user_id": "1", "key": "sk_live_12345", "echo": "typed"})
    assert cb.answer.result["key"] == "****"
    assert [f.code for f in cb.findings] == ["secret-in-profile", "secret-in-profile"]


def test_jsonable_handles_odd_values():
    assert jsonable({1: b"abc", "s": {1, 2}, "n": float("nan")}) == {"1": "<3 bytes>", "s": [1, 2], "n": "nan"}


def test_frames_skip_the_runtime_and_mark_libraries():
    def fail():
        raise ValueError("x")

    try:
        fail()
    except ValueError as e:
        out = frames(e.__traceback__, __file__)
    assert [f["function"] for f in out] == ["test_frames_skip_the_runtime_and_mark_libraries", "fail"]
    assert not any(f["library"] for f in out)
