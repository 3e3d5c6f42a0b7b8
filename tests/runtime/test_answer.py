"""The callback's arguments as data, and traceback frames without the runtime's own."""

from __future__ import annotations

import datetime

from app.domain.hosted import decide
from app.engine.run_result import RunResult, masked
from app.runtime.answer import Callback, frames, jsonable
from app.runtime.errors import WrongUsernameOrPasswordError
from app.runtime.masking import Masker


class Reported(Callback):
    """A callback whose `call` events are kept, and what the parent decides from them."""

    def __init__(self, key="login", secrets=(), passwords=()):
        self.events = []
        self.key, self.secrets, self.typed = key, secrets, passwords
        super().__init__(1, "/p/scripts/login.py", Masker(secrets), passwords, self.events.append)

    def decision(self):
        return decide(self.key, self.events, {"type": "done", "run": 1}, timeout_s=20,
                      secret_values=self.secrets, passwords=self.typed)


def codes(decision):
    return [f.code for f in decision.findings]


def test_first_call_counts_and_result_is_frozen_at_call_time():
    cb = Reported("get_user")
    profile = {"user_id": "a|1", "created": datetime.date(2024, 1, 2)}
    cb(None, profile)
    profile["user_id"] = "changed"
    cb(None, {"user_id": "a|2"})
    decision = cb.decision()
    assert decision.result == {"user_id": "a|1", "created": "2024-01-02"}
    assert cb.calls == 2 and "callback-called-twice" in codes(decision)


def test_wrong_credentials_answer_records_whether_a_user_was_named():
    cb = Reported()
    cb(WrongUsernameOrPasswordError("alice@example.com"))
    assert (cb.decision().outcome, cb.decision().log_event) == ("rejected", "fp")  # a user was named
    cb2 = Reported()
    cb2(WrongUsernameOrPasswordError())
    assert (cb2.decision().outcome, cb2.decision().log_event) == ("rejected", "fu")


def test_error_class_instead_of_instance_and_keyword_arguments_are_flagged():
    cb = Reported()
    cb(WrongUsernameOrPasswordError, profile={"x": 1})
    decision = cb.decision()
    assert codes(decision) == ["wrong-callback-arguments", "wrong-callback-arguments"]
    assert decision.outcome == "rejected" and decision.error["type"] == "WrongUsernameOrPasswordError"


def test_profile_checks_run_on_the_raw_profile_and_the_answer_is_masked():
    cb = Reported(secrets=("sk_live_12345",), passwords=("typed",))
    cb(None, {"user_id": "1", "key": "sk_live_12345", "echo": "typed"})
    decision = cb.decision()
    assert codes(decision) == ["secret-in-profile", "secret-in-profile"]
    shown = masked(RunResult("login", decision.outcome, decision.result), frozenset({"sk_live_12345"}))
    assert shown.result["key"] == "****"


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
