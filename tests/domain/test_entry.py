import ast

from app.domain.entry import find_entry
from app.domain.scripts import kind


def entry(src, key="get_user"):
    return find_entry(ast.parse(src), kind(key))


def test_recommended_name_wins_over_helpers():
    e = entry("def helper(x):\n    pass\n\ndef get_user(email, callback):\n    pass\n")
    assert e.name == "get_user" and e.recommended and e.line == 4 and e.params == ("email", "callback")


def test_single_callable_under_another_name_is_the_entry_but_not_recommended():
    e = entry("import x\n\ndef fetch(email, callback):\n    pass\n")
    assert e.name == "fetch" and not e.recommended


def test_alias_is_preferred_among_several_functions():
    e = entry("def helper(a):\n    pass\n\ndef getByEmail(email, callback):\n    pass\n")
    assert e.name == "getByEmail" and not e.recommended


def test_lambda_bound_to_a_name():
    e = entry("get_user = lambda email, callback: callback(None)\n")
    assert e.is_lambda and e.name == "get_user" and not e.recommended


def test_async_entry_and_ambiguity():
    assert entry("async def login(email, password, callback):\n    pass\n", "login").is_async
    assert entry("def a(x):\n    pass\n\ndef b(y):\n    pass\n") is None
    assert entry("x = 1\n") is None
