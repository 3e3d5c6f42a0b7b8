import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.findings import Severity
from app.domain.lint import MAX_SCRIPT_BYTES, lint_project, lint_source
from app.domain.project import Project
from app.domain.templates import DIALECTS, template_keys, template_source

GOOD_LOGIN = '''\
def login(email, password, callback):
    log.info(f"login attempt for {email}")
    row = db.execute(text("SELECT id, password_hash FROM users WHERE email = :email"),
                     {"email": email}).first()
    if row is None or not bcrypt.checkpw(password.encode(), row.password_hash.encode()):
        return callback(WrongUsernameOrPasswordError(email))
    return callback(None, {"user_id": f"legacy|{row.id}", "email": email})
'''

GOOD_GET_USER = '''\
def get_user(email, callback):
    row = db.execute(text("SELECT id, email FROM users WHERE lower(email) = lower(:email)"),
                     {"email": email}).first()
    return callback(None, {"user_id": f"legacy|{row.id}"} if row else None)
'''


def codes(findings):
    return [f.code for f in findings]


def one(findings, code):
    hits = [f for f in findings if f.code == code]
    assert len(hits) == 1, findings
    return hits[0]


def test_good_scripts_are_clean():
    assert lint_source("login", GOOD_LOGIN) == []
    assert lint_source("get_user", GOOD_GET_USER, mode="migration") == []


# --- syntax and entry -----------------------------------------------------------------------------

def test_syntax_error_names_the_line():
    f = one(lint_source("login", "def login(email, password, callback):\n    return (\n\nx = 1\n"),
            "syntax-error")
    assert f.severity is Severity.ERROR and f.script == "login" and f.line in (2, 4)


def test_missing_entry_when_no_function_or_ambiguous():
    f = one(lint_source("get_user", "x = 1\n"), "missing-entry")
    assert "def get_user(email, callback)" in f.message
    f = one(lint_source("get_user", "def a(email, callback):\n    pass\n\ndef b(email, callback):\n    pass\n"),
            "missing-entry")
    assert "get_user" in f.message and f.line == 1


def test_lambda_entry_is_anonymous():
    f = one(lint_source("get_user", "get_user = lambda email, callback: callback(None)\n"), "anonymous-entry")
    assert f.severity is Severity.WARNING and f.line == 1 and "def get_user(email, callback)" in f.message
    assert "non-recommended-name" not in codes(lint_source("get_user", "get_user = lambda e, cb: cb(None)\n"))


def test_non_recommended_name_names_the_recommended_one():
    f = one(lint_source("get_user", "\n\ndef get_by_email(email, callback):\n    callback(None)\n"),
            "non-recommended-name")
    assert f.line == 3 and "get_by_email" in f.message and "get_user" in f.message
    f = one(lint_source("delete", "def remove(user_id, callback):\n    callback(None)\n"), "non-recommended-name")
    assert "delete_user" in f.message


@pytest.mark.parametrize("signature, context, bad", [
    ("email, callback", False, True),
    ("email, password, callback", False, False),
    ("email, password, context, callback", False, True),
    ("email, password, context, callback", True, False),
    ("email, password, callback", True, True),
    ("*args", False, False),
    ("email, *rest", True, False),
    ("email, password, callback, extra=None", False, False),
    ("email, password, callback, *, flag", False, True),
])
def test_wrong_arity_compares_with_the_kinds_signature(signature, context, bad):
    src = f"def login({signature}):\n    pass\n"
    found = codes(lint_source("login", src, context=context))
    assert ("wrong-arity" in found) is bad, found


def test_wrong_arity_message_shows_the_expected_call():
    f = one(lint_source("change_email", "def change_email(email, new_email, callback):\n    pass\n"),
            "wrong-arity")
    assert "def change_email(email, new_email, verified, callback)" in f.message


# --- SQL built from strings -----------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    'db.execute(text("SELECT id FROM users WHERE email = \'" + email + "\'"))',
    'q = "SELECT id FROM users WHERE email = \'" + email + "\'"',
    'db.execute(text(f"SELECT id FROM users WHERE email = \'{email}\'"))',
    'db.execute(text("SELECT id FROM users WHERE email = \'%s\'" % email))',
    'db.execute(text("SELECT id FROM users WHERE email = \'{}\'".format(email)))',
    'db.execute(text("DELETE FROM users WHERE id = " + str(email)))',
    'sql = f"update users set email_verified = 1 where email = \'{email}\'"',
])
def test_sql_string_concat_fires_once(body):
    src = f"def get_user(email, callback):\n    {body}\n    return callback(None)\n"
    f = one(lint_source("get_user", src), "sql-string-concat")
    assert f.line == 2 and f.severity is Severity.ERROR and ":email" in f.message


def test_sql_built_in_a_variable_then_formatted_or_extended():
    src = ('SQL = "SELECT id FROM users WHERE email = \'%s\'"\n\n'
           "def get_user(email, callback):\n"
           "    db.execute(text(SQL % email))\n"
           "    q = \"SELECT id FROM users WHERE 1 = 1\"\n"
           "    q += \" AND email = '\" + email + \"'\"\n"
           "    return callback(None)\n")
    found = [f for f in lint_source("get_user", src) if f.code == "sql-string-concat"]
    assert sorted(f.line for f in found) == [4, 6]


def test_sql_assembled_from_constants_is_not_flagged():
    src = ('COLUMNS = "id, email, nickname"\n'
           'TABLE = "users"\n\n'
           "def get_user(email, callback):\n"
           '    db.execute(text("SELECT " + COLUMNS + " FROM " + TABLE + " WHERE email = :email"), {"email": email})\n'
           '    db.execute(text(f"SELECT {COLUMNS} FROM {TABLE} WHERE email = :email"), {"email": email})\n'
           '    db.execute(text("SELECT {} FROM users WHERE id = :id".format(COLUMNS)), {"id": 1})\n'
           "    return callback(None)\n")
    assert lint_source("get_user", src) == []
    # ... but a "constant" that is rebound from input is input
    tainted = src.replace("def get_user(email, callback):\n", "def get_user(email, callback):\n    TABLE = email\n")
    assert codes(lint_source("get_user", tainted)).count("sql-string-concat") == 2


def test_any_built_string_passed_to_text_is_flagged_even_without_sql_keywords():
    src = "def get_user(email, callback):\n    db.execute(text(base + ' AND x = ' + email))\n"
    assert "passed to text()" in one(lint_source("get_user", src), "sql-string-concat").message


@pytest.mark.parametrize("body", [
    'db.execute(text("SELECT id FROM users WHERE email = :email"), {"email": email})',
    'log.info(f"no user found for {email}")',
    'log.info("user %s logged in", email)',
    'msg = "Hello " + email',
    'q = "SELECT id FROM users " "WHERE email = :email"',
    'q = "SELECT id FROM users " + "WHERE email = :email"',
    'user_id = f"legacy|{email}"',
])
def test_no_sql_false_positives(body):
    src = f"def get_user(email, callback):\n    {body}\n    return callback(None)\n"
    assert "sql-string-concat" not in codes(lint_source("get_user", src))


# --- hard-coded credentials -----------------------------------------------------------------------

SECRET = "hunter2-Very-Secret"


@pytest.mark.parametrize("line", [
    f'URL = "postgresql://admin:{SECRET}@db.internal:5432/users"',
    f'password = "{SECRET}"',
    f'DB_PASSWORD = "{SECRET}"',
    f'settings = {{"api_key": "{SECRET}"}}',
    f'engine = connect(host="db", password="{SECRET}")',
    f'if password == "{SECRET}":\n    pass',
    'AWS = "AKIAIOSFODNN7EXAMPLE"',
    f'stripe = "sk_live_{SECRET.replace("-", "")}abcdef"',
])
def test_hardcoded_secret_fires_and_never_echoes_the_value(line):
    src = f"{line}\n\ndef get_user(email, callback):\n    return callback(None)\n"
    f = one(lint_source("get_user", src), "hardcoded-secret")
    assert f.line == 1 and f.severity is Severity.ERROR
    assert SECRET not in f.message and "hunter2" not in f.message and "AKIA" not in f.message
    assert "configuration" in f.message


@pytest.mark.parametrize("line", [
    'password = configuration["DB_PASSWORD"]',
    'password_key = "DB_PASSWORD"',
    'password = ""',
    'URL = "postgresql://admin@db/users"',
    'URL = "postgresql://{user}:{password}@db/users"',
    'password_column = "password_hash"',
    'password_hash = row.password_hash',
    'if password == new_password:\n    pass',
])
def test_no_secret_false_positives(line):
    src = f"{line}\n\ndef get_user(email, callback):\n    return callback(None)\n"
    assert "hardcoded-secret" not in codes(lint_source("get_user", src))


# --- Login, size, mode ----------------------------------------------------------------------------

def test_delete_in_login_but_not_in_delete():
    body = '    db.execute(text("DELETE FROM users WHERE id = :id"), {"id": 1})\n    return callback(None)\n'
    f = one(lint_source("login", "def login(email, password, callback):\n" + body, mode="migration"),
            "delete-in-login")
    assert f.line == 2 and f.script == "login"
    assert "delete-in-login" not in codes(lint_source("delete", "def delete_user(user_id, callback):\n" + body))
    harmless = "def login(email, password, callback):\n    log.info('delete the cache later')\n"
    assert "delete-in-login" not in codes(lint_source("login", harmless))


def test_script_too_large_above_100_kib_counted_in_utf8_bytes():
    exact = GOOD_LOGIN + "#" + "x" * (MAX_SCRIPT_BYTES - len(GOOD_LOGIN) - 2) + "\n"
    assert len(exact.encode()) == MAX_SCRIPT_BYTES
    assert "script-too-large" not in codes(lint_source("login", exact))
    over = exact[:-2] + "é\n"  # one more byte, not one more character
    assert len(over) == MAX_SCRIPT_BYTES and len(over.encode()) == MAX_SCRIPT_BYTES + 1
    f = one(lint_source("login", over), "script-too-large")
    assert f.severity is Severity.ERROR and "100" in f.message


def test_unused_in_mode_is_info():
    f = one(lint_source("create", "def create(user, callback):\n    callback(None)\n", mode="migration"),
            "unused-in-mode")
    assert f.severity is Severity.INFO and f.script == "create"
    assert lint_source("create", "def create(user, callback):\n    callback(None)\n", mode="legacy") == []


# --- project --------------------------------------------------------------------------------------

def test_lint_project_reports_missing_required_scripts_and_each_script(tmp_path):
    p = Project(root=tmp_path, name="t", mode="migration")
    p.save()
    p.write_script("login", GOOD_LOGIN.replace("login(", "loginByEmail("))
    p.write_script("verify", "def verify(email, callback):\n    callback(None, True)\n")
    found = lint_project(p)
    missing = one(found, "missing-entry")
    assert missing.script == "get_user" and "scripts/get_user.py is missing" in missing.message
    assert one(found, "non-recommended-name").script == "login"
    assert one(found, "unused-in-mode").script == "verify"


def test_lint_project_reports_an_undecodable_file(tmp_path):
    p = Project(root=tmp_path, name="t")
    p.save()
    p.scripts_dir.mkdir()
    p.script_path("login").write_bytes(b"def login(email, password, callback):\n    x = '\xff'\n")
    assert one(lint_project(p), "syntax-error").script == "login"


# --- templates ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("mode", ["legacy", "migration"])
def test_every_template_lints_clean(dialect, mode):
    keys = template_keys(mode)
    assert keys == (["login", "get_user", "change_password"] if mode == "migration" else
                    ["login", "get_user", "create", "verify", "change_password", "delete", "change_email"])
    for key in keys:
        assert lint_source(key, template_source(dialect, mode, key), mode=mode) == [], (dialect, mode, key)


# --- robustness -----------------------------------------------------------------------------------

_TEMPLATE = template_source("sqlite", "migration", "login")


@settings(max_examples=150, deadline=None)
@given(start=st.integers(0, len(_TEMPLATE)), length=st.integers(0, 400), insert=st.text(max_size=40))
def test_lint_never_raises_on_a_mangled_script(start, length, insert):
    """Whatever a user has half-typed, lint answers with findings, never an exception."""
    source = _TEMPLATE[:start] + insert + _TEMPLATE[start + length:]
    for f in lint_source("login", source, mode="migration"):
        assert f.script == "login" and f.code and f.message


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_lint_never_raises_on_arbitrary_text(source):
    assert isinstance(lint_source("get_user", source), list)
