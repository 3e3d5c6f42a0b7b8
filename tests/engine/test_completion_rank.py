"""Completion ranking: likely names first (issue 17 item 5)."""

from app.engine.completion_rank import Ranker, rank_names


def test_prior_puts_execute_before_exec_driver_sql():
    assert rank_names(["exec_driver_sql", "execute", "execution_options"], "exe") == [
        "execute", "exec_driver_sql", "execution_options"]


def test_buffer_use_beats_the_prior():
    source = "x.execution_options()\n" * 3 + "x.exe"
    assert rank_names(["exec_driver_sql", "execute", "execution_options"], "exe", source)[0] == "execution_options"


def test_case_sensitive_prefix_then_public_before_private_before_dunder():
    assert rank_names(["Info", "info"], "i") == ["info", "Info"]
    assert rank_names(["__eq__", "_fields", "count"]) == ["count", "_fields", "__eq__"]


def test_priors_can_be_replaced():
    ranker = Ranker(priors={"beta": 1})
    assert ranker.rank(["alpha", "beta"], "", name_of=lambda n: n) == ["beta", "alpha"]


def test_the_typed_word_is_not_a_use():
    # `exe` appears once, as the half-typed word: it must not lift names starting with it
    assert rank_names(["exe_other", "execute"], "exe", "db.exe") == ["execute", "exe_other"]
