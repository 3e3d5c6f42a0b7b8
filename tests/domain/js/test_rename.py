"""The JavaScript quick fix: name the anonymous entry or rename a misnamed one; every other byte
stays as written."""

import pytest

from app.domain.js.lint import lint_source
from app.domain.js.rename import rename_entry
from app.domain.rename import RenameError

JS_ANON = """// Get User (hosted)
function (email, callback) {
  const query = 'SELECT id FROM users WHERE email = $1 /* function (x) */';
  db.query(query, [email], function (err, rows) {
    if (err) return callback(err);
    callback(null, rows[0] && { user_id: 'legacy|' + rows[0].id });
  });
}
"""
NAME_CODES = {"anonymous-entry", "non-recommended-name"}


def test_js_anonymous_entry_gets_the_js_name():
    out = rename_entry(JS_ANON, "get_user")
    assert out == JS_ANON.replace("function (email, callback) {", "function getUser(email, callback) {", 1)
    assert rename_entry(out, "get_user") == out  # already named: unchanged
    assert not NAME_CODES & {f.code for f in lint_source("get_user", out)}


@pytest.mark.parametrize("src, key, expected", [
    ("async function(user, callback) {}\n", "create", "async function create(user, callback) {}\n"),
    ("/* header */\nfunction\n(id, callback) {}\n", "delete", "/* header */\nfunction deleteUser(id, callback) {}\n"),
    ("module.exports = function (email, cb) { return 1; };\n", "verify",
     "module.exports = function verify(email, cb) { return 1; };\n"),
    ("var re = /function (x)/; function (email, callback) {}\n", "verify",
     "var re = /function (x)/; function verify(email, callback) {}\n"),
    ("function* (email, callback) {}\n", "verify", "function* verify(email, callback) {}\n"),
])
def test_js_forms(src, key, expected):
    assert rename_entry(src, key) == expected


def test_js_misnamed_entry_is_renamed_with_its_calls_but_not_properties():
    src = ("function getByEmail(email, callback) {\n"
           "  var o = { getByEmail: 1 }; o.getByEmail(); // getByEmail\n"
           "  return getByEmail.length ? callback(null) : getByEmail(email, callback);\n}\n")
    assert rename_entry(src, "get_user") == (
        "function getUser(email, callback) {\n"
        "  var o = { getByEmail: 1 }; o.getByEmail(); // getByEmail\n"
        "  return getUser.length ? callback(null) : getUser(email, callback);\n}\n")


def test_a_misnamed_entry_among_statements_becomes_callable():
    src = "const bcrypt = require('bcrypt');\nfunction getByEmail(email, callback) {\n  callback(null);\n}\n"
    out = rename_entry(src, "get_user")
    assert out == src.replace("getByEmail", "getUser")
    assert lint_source("get_user", out) == []


def test_non_ascii_text_before_the_name_keeps_its_bytes():
    src = "// Café ☕ login\nfunction (email, password, callback) {\n  callback(null, { name: 'é' });\n}\n"
    assert rename_entry(src, "login") == src.replace("function (", "function login(")


@pytest.mark.parametrize("src, why", [
    ("module.exports = async (email, callback) => callback(null);\n", "arrow function"),
    ("function getByEmail(a) { var getUser = 1; }\n", "already used"),
    ("function (email, callback) {\n", "does not parse"),
    ("var a = 1;\n", "no single entry"),
])
def test_js_refusals_are_one_line_rename_errors(src, why):
    with pytest.raises(RenameError) as e:
        rename_entry(src, "get_user")
    assert why in str(e.value) and "\n" not in str(e.value)


def test_unknown_key_is_refused():
    with pytest.raises(RenameError):
        rename_entry("function (a) {}", "logon")
