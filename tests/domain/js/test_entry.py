"""The entry the hosted loader calls in a JavaScript script, decided as the loader does."""

import pytest

from app.domain.js.entry import EXPRESSION, STATEMENTS, find_entry
from app.domain.js.parser import parse
from app.domain.languages import JAVASCRIPT
from app.domain.scripts import kind


def entry(source, key="login"):
    return find_entry(parse(source), kind(key))


@pytest.mark.parametrize("source, name, is_async, anonymous", [
    ("function login(email, password, callback) {}", "login", False, False),
    ("function (email, password, callback) {}", None, False, True),
    ("(function (email, password, callback) {})", None, False, True),
    ("async function login(email, password, callback) {}", "login", True, False),
    ("async function (email, password, callback) {}", None, True, True),
    ("// Login\n/* header */\nfunction login(email, password, callback) {}\n", "login", False, False),
    ("(email, password, callback) => {}", None, False, True),
])
def test_a_file_that_is_one_function_is_its_own_entry(source, name, is_async, anonymous):
    e = entry(source)
    assert (e.name, e.is_async, e.anonymous, e.form, e.callable_by_loader) == (name, is_async, anonymous,
                                                                                EXPRESSION, True)
    assert e.params == ("email", "password", "callback")


def test_with_other_top_level_code_the_loader_looks_up_the_recommended_name():
    source = ("const bcrypt = require('bcrypt');\n"
              "function hash(p) { return p; }\n"
              "function getUser(email, callback) {\n  callback(null);\n}\n")
    e = entry(source, "get_user")
    assert (e.name, e.line, e.form, e.recommended, e.callable_by_loader) == ("getUser", 3, STATEMENTS, True, True)
    arrow = entry("var x = 1;\nconst getUser = async (email, cb) => cb(null);\n", "get_user")
    assert (arrow.name, arrow.is_async, arrow.line, arrow.callable_by_loader) == ("getUser", True, 2, True)


def test_a_misnamed_function_among_statements_is_found_but_not_callable():
    e = entry("var x = 1;\nfunction getByEmail(email, callback) {}\n", "get_user")
    assert (e.name, e.callable_by_loader, e.recommended) == ("getByEmail", False, False)
    # the runner is told there is no entry: the hosted loader would not find one either
    assert JAVASCRIPT.find_entry("var x = 1;\nfunction getByEmail(email, callback) {}\n", kind("get_user")) is None


def test_a_single_function_under_another_name_is_the_entry_with_its_name():
    e = entry("function loginByEmail(email, password, callback) {}")
    assert (e.name, e.recommended, e.callable_by_loader) == ("loginByEmail", False, True)


def test_no_entry_when_nothing_is_callable_or_the_choice_is_ambiguous():
    assert entry("var a = 1;\nconsole.log(a);\n") is None
    assert entry("function a(x) {}\nfunction b(y) {}\n") is None


def test_rest_and_default_parameters():
    e = entry("function login(email, password = '', ...rest) {}")
    assert e.params == ("email", "password") and e.has_rest


def test_the_languages_entry_finder_gives_the_runner_a_neutral_entry():
    e = JAVASCRIPT.find_entry("async function (email, password, callback) {}", kind("login"))
    assert (e.name, e.anonymous, e.is_async, e.line) == (None, True, True, 1)
    js = JAVASCRIPT.js_entry("function login(a, b, c) {}", kind("login"))
    assert js.form == EXPRESSION
    assert JAVASCRIPT.js_entry("function login(a, b, c) {", kind("login")) is None  # does not parse
