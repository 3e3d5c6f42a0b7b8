"""JavaScript lint: every rule with a case it must report and one it must leave alone, in the Python
lint's codes and shape."""

import pytest

from app.domain.findings import Severity
from app.domain.js.lint import lint_source
from app.domain.lint import MAX_SCRIPT_BYTES
from app.domain.lint import lint_source as lint_python

GOOD_LOGIN = """\
const bcrypt = require('bcrypt');

function login(email, password, callback) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: configuration.DATABASE_URL });
  client.connect();
  client.query('SELECT id, email, password_hash FROM users WHERE email = $1', [email], function (err, result) {
    client.end();
    if (err) return callback(err);
    if (result.rows.length === 0) return callback(new WrongUsernameOrPasswordError(email));
    const user = result.rows[0];
    bcrypt.compare(password, user.password_hash, function (err, isValid) {
      if (err || !isValid) return callback(err || new WrongUsernameOrPasswordError(email));
      callback(null, { user_id: String(user.id), email: user.email });
    });
  });
}
"""


def codes(key, source, **kw):
    return [(f.code, f.line) for f in lint_source(key, source, **kw)]


def login(body, params="email, password, callback"):
    return f"function login({params}) {{\n{body}\n}}\n"


def test_a_good_script_has_no_findings():
    assert lint_source("login", GOOD_LOGIN) == []


def test_findings_have_the_python_lints_shape():
    [f] = lint_source("login", "function login(email, password, callback) {\n  var = 1;\n}\n")
    [p] = lint_python("login", "def login(email, password, callback):\n    x = = 1\n")
    assert f.to_dict().keys() == p.to_dict().keys() == {"code", "severity", "message", "script", "line"}
    assert (f.code, f.severity, f.script, f.line) == ("syntax-error", Severity.ERROR, "login", 2)
    assert "column 3" in f.message


@pytest.mark.parametrize("source, line, what", [
    ("function login(email, password, callback {\n}\n", 1, "missing ')'"),
    ("function login(email, password, callback) {\n  if (x) {\n    y();\n", 3, "missing '}'"),
    ("function login(email, password, callback) {\n  const s = 'a' +;\n}\n", 2, "unexpected"),
])
def test_syntax_errors_name_line_and_column(source, line, what):
    [f] = lint_source("login", source)
    assert (f.code, f.line) == ("syntax-error", line) and what in f.message and "column" in f.message


# --- entry ----------------------------------------------------------------------------------------

def test_an_anonymous_entry_is_a_warning_with_the_signature_to_write():
    [f] = lint_source("get_user", "function (email, callback) {\n  callback(null);\n}\n")
    assert (f.code, f.severity, f.line) == ("anonymous-entry", Severity.WARNING, 1)
    assert "function getUser(email, callback)" in f.message


def test_a_non_recommended_name_is_a_warning_when_the_loader_still_calls_it():
    [f] = lint_source("get_user", "function getByEmail(email, callback) {\n  callback(null);\n}\n")
    assert (f.code, f.severity) == ("non-recommended-name", Severity.WARNING) and "getUser" in f.message


def test_a_misnamed_entry_among_statements_is_an_error_the_platform_finds_no_function():
    [f] = lint_source("get_user", "var x = 1;\nfunction getByEmail(email, callback) {\n  callback(null);\n}\n")
    assert (f.code, f.severity, f.line) == ("non-recommended-name", Severity.ERROR, 2)


def test_a_recommended_entry_among_statements_is_fine():
    assert lint_source("get_user", "var x = 1;\nfunction helper() {}\nfunction getUser(email, callback) {\n"
                                   "  callback(null);\n}\n") == []


def test_no_function_at_all_is_missing_entry():
    [f] = lint_source("login", "var a = 1;\n")
    assert f.code == "missing-entry" and "function login(userNameOrEmail, password, callback)" in f.message
    [g] = lint_source("login", "function a(x) {}\nfunction b(y) {}\n")
    assert (g.code, g.line) == ("missing-entry", 1) and "a, b" in g.message


@pytest.mark.parametrize("params, problem", [
    ("email, callback", "callback receives password, not callback"),
    ("email, password, context, callback", "callback is undefined"),
])
def test_wrong_arity_says_where_callback_goes(params, problem):
    found = lint_source("login", login("  callback(null);", params))
    assert [f.code for f in found] == ["wrong-arity"]
    assert "the platform calls function login(userNameOrEmail, password, callback)" in found[0].message


@pytest.mark.parametrize("params, context", [
    ("email, password, ...rest", False),
    ("email, password, context, callback", True),
    ("email, password, callback = () => {}", False),
])
def test_arity_that_binds_is_not_reported(params, context):
    body = "  (rest[0] || callback)(null);" if "rest" in params else "  callback(null);"
    assert "wrong-arity" not in [f.code for f in lint_source("login", login(body, params), context=context)]


def test_arity_is_not_judged_when_the_entry_reads_arguments():
    src = login("  var cb = arguments[arguments.length - 1];\n  cb(null);", "email, cb")
    assert "wrong-arity" not in [f.code for f in lint_source("login", src)]


# --- file-level -----------------------------------------------------------------------------------

def test_script_over_100_kb_is_an_error_and_exactly_100_kb_is_not():
    base = login("  callback(null);")
    exact = base + "//" + "x" * (MAX_SCRIPT_BYTES - len(base) - 3) + "\n"
    assert len(exact.encode()) == MAX_SCRIPT_BYTES and lint_source("login", exact) == []
    over = exact.replace("//x", "//xx", 1)
    assert codes("login", over)[0] == ("script-too-large", None)


def test_a_script_the_mode_never_calls_is_info():
    found = lint_source("create", "function create(user, callback) {\n  callback(null);\n}\n", mode="migration")
    assert [(f.code, f.severity) for f in found] == [("unused-in-mode", Severity.INFO)]


# --- SQL built from strings -----------------------------------------------------------------------

@pytest.mark.parametrize("statement", [
    "  var q = \"SELECT id FROM users WHERE email = '\" + email + \"'\";",
    "  var q = `SELECT id FROM users WHERE email = '${email}'`;",
    "  var q = 'SELECT id FROM users';\n  q += ' WHERE email = ' + email;",
    "  connection.query(\"SELECT id FROM users WHERE \" + where, [], function () {});",
    "  connection.query(\"email = '\" + email, [], function () {});",
    "  var request = new Request('SELECT 1 WHERE x = ' + email, function () {});",
])
def test_sql_built_from_input_is_reported(statement):
    src = login(statement + "\n  callback(null);")
    assert "sql-string-concat" in [c for c, _ in codes("login", src)]


@pytest.mark.parametrize("statement", [
    "  client.query('SELECT id FROM users WHERE email = $1', [email], function () {});",
    "  const T = 'users';\n  client.query('SELECT id FROM ' + T + ' WHERE email = $1', [email]);",
    "  client.query(`SELECT id\n    FROM users WHERE email = ?`, [email]);",
    "  var greeting = 'Hello ' + email;",
    "  var q = 'SELECT id FROM users WHERE email = ' + '$1';",
])
def test_parameterised_or_constant_sql_is_not_reported(statement):
    assert "sql-string-concat" not in [c for c, _ in codes("login", login(statement + "\n  callback(null);"))]


def test_a_parameter_named_like_a_constant_is_input():
    src = ("const email = 'x';\nfunction login(email, password, callback) {\n"
           "  var q = 'SELECT id FROM users WHERE email = ' + email;\n  callback(null);\n}\n")
    assert codes("login", src) == [("sql-string-concat", 3)]


def test_one_finding_per_concatenated_expression():
    src = login("  var q = 'SELECT a FROM t WHERE x = ' + a + ' AND y = ' + b + ' AND z = ' + c;\n"
                "  callback(null);")
    assert codes("login", src) == [("sql-string-concat", 2)]


# --- hard-coded credentials -----------------------------------------------------------------------

@pytest.mark.parametrize("statement", [
    "  var conn = mysql.createConnection({ host: 'db', user: 'app', password: 'hunter2' });\n  conn.end();",
    "  var apiKey = 'k-123456';",
    "  if (password === 'letmein') {}",
    "  var url = 'postgres://app:s3cret@db/users';",
    "  var aws = 'AKIAABCDEFGHIJKLMNOP';",
    "  options.clientSecret = 'abcdef';",
])
def test_credentials_in_the_script_are_reported_without_their_value(statement):
    found = lint_source("login", login(statement + "\n  callback(null);"))
    secret = [f for f in found if f.code == "hardcoded-secret"]
    assert len(secret) == 1 and secret[0].line == 2
    for value in ("hunter2", "k-123456", "letmein", "s3cret", "AKIAABCDEFGHIJKLMNOP", "abcdef"):
        assert value not in secret[0].message


@pytest.mark.parametrize("statement", [
    "  var conn = mysql.createConnection({ password: configuration.DB_PASSWORD });\n  conn.end();",
    "  var passwordColumn = 'password_hash';",
    "  var key = configuration['API_KEY'];",
    "  var password = '';",
    "  var url = 'postgres://app:${PASSWORD}@db/users';",
    "  var tokenName = 'DB_TOKEN';",
])
def test_configuration_reads_and_names_are_not_credentials(statement):
    assert "hardcoded-secret" not in [c for c, _ in codes("login", login(statement + "\n  callback(null);"))]


# --- Login deleting users -------------------------------------------------------------------------

def test_delete_in_login_is_reported_and_elsewhere_it_is_not():
    stmt = "  client.query('DELETE FROM users WHERE email = $1', [email], function () { callback(null); });"
    assert codes("login", login(stmt)) == [("delete-in-login", 2)]
    delete = "function deleteUser(id, callback) {\n" + stmt.replace("email]", "id]") + "\n}\n"
    assert codes("delete", delete) == []
    selecting = "  client.query('SELECT deleted FROM users WHERE email = $1', [email], function () { callback(); });"
    assert codes("login", login(selecting)) == []


# --- configuration.SOME-KEY -----------------------------------------------------------------------

def test_a_dashed_configuration_key_reads_as_a_subtraction():
    [f] = lint_source("login", login("  var k = configuration.API-KEY;\n  callback(null);"))
    assert (f.code, f.line, f.severity) == ("config-key-as-subtraction", 2, Severity.ERROR)
    assert "configuration['API-KEY']" in f.message


@pytest.mark.parametrize("statement", [
    "  var k = configuration['API-KEY'];",
    "  var n = configuration.LIMIT - used;",
    "  var d = other.API-KEY;",
])
def test_bracket_keys_and_real_subtractions_are_fine(statement):
    assert codes("login", login(statement + "\n  callback(null);")) == []


# --- + "text" -------------------------------------------------------------------------------------

@pytest.mark.parametrize("statement, line", [
    ("  var m = 'Hello ' + + 'world';", 2),
    ("  var m = 'first part';\n  + ' second part';", 3),
])
def test_unary_plus_on_text_is_reported(statement, line):
    assert ("unary-plus-string", line) in codes("login", login(statement + "\n  callback(null);"))


@pytest.mark.parametrize("statement", [
    "  var m = 'first part'\n    + ' second part';",
    "  var n = +count;",
    "  var n = +'42';".replace("'42'", "value"),
])
def test_continued_strings_and_numeric_plus_are_fine(statement):
    assert codes("login", login(statement + "\n  callback(null);")) == []


# --- callback not called on a path ---------------------------------------------------------------

@pytest.mark.parametrize("body, line", [
    ("  if (!bcrypt.compareSync(password, hash)) return;\n  callback(null, {});", 2),
    ("  var x = 1;", 1),
    ("  if (email) {\n    callback(null, {});\n  }", 2),
    ("  db.query('SELECT 1', function (err, rows) {\n    if (err) return callback(err);\n"
     "    if (!rows.length) return;\n    callback(null, rows[0]);\n  });", 4),
    ("  db.query('SELECT 1', function (err, rows) {\n    if (err) return callback(err);\n"
     "    if (rows.length) {\n      callback(null, rows[0]);\n    }\n  });", 4),
])
def test_a_path_without_callback_is_reported(body, line):
    found = [f for f in lint_source("login", login(body)) if f.code == "callback-not-called"]
    assert [f.line for f in found] == [line]


@pytest.mark.parametrize("body", [
    "  if (email) {\n    callback(null, {});\n  } else {\n    callback(new WrongUsernameOrPasswordError(email));\n  }",
    "  function fail(e) { callback(e); }\n  if (!email) return fail(new Error('no email'));\n  callback(null, {});",
    "  try {\n    callback(null, JSON.parse(email));\n  } catch (e) {\n    callback(e);\n  }",
    "  if (!email) throw new Error('no email');\n  callback(null, {});",
    "  db.query('SELECT 1', function (err, rows) {\n    if (err) return callback(err);\n    callback(null, rows[0]);\n  });",
    "  rows.forEach(function (r) { if (r) { log(r); } });\n  callback(null, {});",
    "  return callback(null, {});",
    "  var done = callback;\n  done(null, {});",
])
def test_every_path_answering_is_fine(body):
    assert "callback-not-called" not in [c for c, _ in codes("login", login(body))]


def test_an_async_entry_is_judged_the_same():
    src = ("async function login(email, password, callback) {\n  const r = await db.query('SELECT 1');\n"
           "  if (!r.rows.length) return;\n  callback(null, r.rows[0]);\n}\n")
    assert codes("login", src) == [("callback-not-called", 3)]


# --- connections left open ------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    "  const client = new pg.Client(configuration.URL);\n  client.connect();\n"
    "  client.query('SELECT 1', function (e) { callback(e); });",
    "  var connection = mysql.createConnection({ host: configuration.HOST });\n"
    "  connection.query('SELECT 1', function (e) { callback(e); });",
    "  var connection = new Connection({ server: configuration.HOST });\n"
    "  connection.on('connect', function (e) { callback(e); });",
    "  MongoClient.connect(configuration.URL, function (err, client) {\n    callback(err);\n  });",
    "  pg.connect(configuration.URL, function (err, client, done) {\n"
    "    client.query('SELECT 1', function (e) { callback(e); });\n  });",
    "  pg.connect(configuration.URL, function (err, client) {\n"
    "    client.query('SELECT 1', function (e) { callback(e); });\n  });",
])
def test_a_connection_never_closed_is_reported(body):
    found = [f for f in lint_source("login", login(body)) if f.code == "connection-left-open"]
    assert [f.line for f in found] == [2] and found[0].severity is Severity.WARNING


@pytest.mark.parametrize("body", [
    "  const client = new pg.Client(configuration.URL);\n  client.connect();\n"
    "  client.query('SELECT 1', function (e) { client.end(); callback(e); });",
    "  var connection = mysql.createConnection({ host: configuration.HOST });\n"
    "  connection.query('SELECT 1', function (e) { connection.end(); callback(e); });",
    "  var connection = new Connection({ server: configuration.HOST });\n"
    "  connection.on('connect', function (e) { connection.close(); callback(e); });",
    "  MongoClient.connect(configuration.URL, function (err, client) {\n    client.close();\n    callback(err);\n  });",
    "  pg.connect(configuration.URL, function (err, client, done) {\n"
    "    client.query('SELECT 1', function (e) { done(); callback(e); });\n  });",
    "  var pool = mysql.createPool({ host: configuration.HOST });\n"
    "  pool.query('SELECT 1', function (e) { callback(e); });",
    "  const client = new pg.Client(configuration.URL);\n  withClient(client, callback);",
])
def test_closed_pooled_or_handed_on_connections_are_fine(body):
    assert "connection-left-open" not in [c for c, _ in codes("login", login(body))]


def test_findings_come_in_line_order_after_file_level_ones():
    src = login("  var q = 'SELECT a FROM t WHERE x = ' + email;\n  var apiKey = 'k-123456';\n"
                "  var k = configuration.A-B;\n  callback(null);")
    assert codes("create", src, mode="migration")[0] == ("unused-in-mode", None)
    assert [line for _, line in codes("login", src)] == sorted(line for _, line in codes("login", src))


def test_lint_from_several_threads_at_once_gives_each_its_own_answer():
    from concurrent.futures import ThreadPoolExecutor

    sources = [GOOD_LOGIN, login("  var k = configuration.A-B;\n  callback(null);"), "function (a) {"] * 20
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda s: codes("login", s), sources))
    assert results == [codes("login", s) for s in sources]
    assert results[:3] == [[], [("config-key-as-subtraction", 2)], [("syntax-error", 1)]]
