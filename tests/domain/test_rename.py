"""The one-click rename fix: only the entry's name tokens change, every other byte stays."""

import ast
import difflib
import warnings
from pathlib import Path

import pytest

from app.domain.entry import find_entry
from app.domain.js.rename import rename_entry as name_js_entry
from app.domain.lint import lint_source
from app.domain.rename import RenameError, rename_entry
from app.domain.scripts import kind
from tests.domain.js.test_rename import JS_ANON

TEMPLATES = sorted((Path(__file__).parents[2] / "resources" / "templates").glob("*/*/*.py"))
NAME_CODES = {"anonymous-entry", "non-recommended-name"}


def entry_of(source, key):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mutated sources may hold invalid escapes
        return find_entry(ast.parse(source), kind(key))


def changed_lines(before: str, after: str) -> list[str]:
    return [d for d in difflib.ndiff(before.splitlines(True), after.splitlines(True)) if d[:1] in "+-"]


# -- Python ---------------------------------------------------------------------------------

def test_def_is_renamed_with_its_call_sites_and_nothing_else():
    src = ("import bcrypt  # hashing\n\n\n"
           "def getByEmail(email, callback):\n"
           "    # getByEmail looks the user up\n"
           "    return helper(email, callback)\n\n\n"
           "def helper(email, callback):\n"
           "    again = getByEmail\n"
           "    return callback(None, {'note': 'getByEmail'})\n\n"
           "def shadow(getByEmail):\n"
           "    return getByEmail(1)\n")
    out = rename_entry(src, "get_user")
    assert out == src.replace("def getByEmail(", "def get_user(").replace(
        "again = getByEmail", "again = get_user")
    assert entry_of(out, "get_user").recommended


def test_lambda_becomes_a_def_keeping_comments_and_line_endings():
    src = ("import x\r\n\r\n"
           "# the entry\r\n"
           "fetch = lambda email, callback: callback(None, {'user_id': 'a|1'})  # TODO name it\r\n"
           "\r\n"
           "log.info(fetch)\r\n")
    out = rename_entry(src, "get_user")
    assert out == ("import x\r\n\r\n"
                   "# the entry\r\n"
                   "def get_user(email, callback):\r\n"
                   "    return callback(None, {'user_id': 'a|1'})  # TODO name it\r\n"
                   "\r\n"
                   "log.info(get_user)\r\n")
    e = entry_of(out, "get_user")
    assert e.recommended and not e.is_lambda


def test_lambda_already_named_and_multiline_body():
    src = "login = (lambda email, password, callback:\n         callback(None,\n                  {'user_id': email}))\n"
    out = rename_entry(src, "login")
    assert out.startswith("def login(email, password, callback):\n    return ")
    ns: dict = {}
    exec(compile(out, "<t>", "exec"), ns)
    got = []
    ns["login"]("a@b", "pw", lambda *a: got.append(a))
    assert got == [(None, {"user_id": "a@b"})]


def test_async_def_and_unicode_before_the_name():
    src = "x = 'é' ; y = 1\n\nasync def update_password(email, new_password, callback):\n    return None\n"
    out = rename_entry(src, "change_password")
    assert "async def change_password(email, new_password, callback):" in out
    assert out.splitlines()[0] == "x = 'é' ; y = 1"
    src = "s = 'ü'; f = fetch_user\ndef fetch_user(email, callback):\n    return f\n"
    assert rename_entry(src, "get_user") == "s = 'ü'; f = get_user\ndef get_user(email, callback):\n    return f\n"


def test_already_recommended_is_unchanged():
    src = "def verify(email, callback):\n    callback(None, True)\n"
    assert rename_entry(src, "verify") is src


@pytest.mark.parametrize("src, why", [
    ("def login(:\n", "does not parse"),
    ("def a(x):\n    pass\n\ndef b(y):\n    pass\n", "no single entry"),
    ("create_user = None\n\ndef signup(user, callback):\n    pass\n", None),
    ("def signup(user, callback):\n    create = 1\n", "already used"),
    ("signup = lambda user, callback: callback(None); other = 1\n", "shares its line"),
])
def test_refusals_are_one_line_errors(src, why):
    if why is None:
        assert entry_of(rename_entry(src, "create"), "create").recommended
        return
    with pytest.raises(RenameError) as e:
        rename_entry(src, "create")
    assert why in str(e.value) and "\n" not in str(e.value)


def test_unknown_script_key():
    with pytest.raises(RenameError):
        rename_entry("def f():\n    pass\n", "nope")


# -- round trip over every template ------------------------------------------------------

def _mode(path: Path) -> str:
    return path.parent.name


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: "/".join(p.parts[-3:]))
def test_template_misnamed_round_trips_to_itself(path):
    key = path.stem
    k = kind(key)
    original = path.read_text(encoding="utf-8")
    assert f"def {k.python_name}(" in original
    alias = k.aliases[0]
    misnamed = original.replace(f"def {k.python_name}(", f"def {alias}(", 1)
    codes = {f.code for f in lint_source(key, misnamed, mode=_mode(path))}
    assert "non-recommended-name" in codes
    fixed = rename_entry(misnamed, key)
    assert fixed == original
    assert not NAME_CODES & {f.code for f in lint_source(key, fixed, mode=_mode(path))}


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: "/".join(p.parts[-3:]))
def test_template_made_anonymous_gets_a_def(path):
    key = path.stem
    k = kind(key)
    original = path.read_text(encoding="utf-8")
    impl = f"_{k.python_name}_impl"
    params = ", ".join(k.python_signature())
    lambda_line = f"{k.python_name} = lambda {params}: {impl}({params})  # the entry\n"
    anonymous = original.replace(f"def {k.python_name}(", f"def {impl}(", 1) + "\n" + lambda_line
    assert "anonymous-entry" in {f.code for f in lint_source(key, anonymous, mode=_mode(path))}
    fixed = rename_entry(anonymous, key)
    assert not NAME_CODES & {f.code for f in lint_source(key, fixed, mode=_mode(path))}
    assert fixed.startswith(anonymous[:-len(lambda_line)])  # everything before the lambda: identical
    assert fixed[len(anonymous) - len(lambda_line):] == (
        f"def {k.python_name}({params}):\n    return {impl}({params})  # the entry\n")


# -- JavaScript: tests/domain/js/test_rename.py ------------------------------------------------

# -- never anything but RenameError ---------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SOURCES = [p.read_text(encoding="utf-8") for p in TEMPLATES[:9]] + [JS_ANON]
KEYS = ["login", "get_user", "create", "verify", "change_password", "delete", "change_email"]


@st.composite
def mutated_source(draw):
    text = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        piece = draw(st.sampled_from(["lambda x: x", "def ", "getByEmail", "\r", "\n", "\t", "(", ":", "é",
                                      "function (", "}", "{", "'", '"', "/", "#", "\\", "\x0c", "async "]))
        text = text[:i] + piece + text[i + draw(st.integers(0, 5)):]
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_source(), st.sampled_from(KEYS))
def test_rename_never_raises_anything_but_rename_error(source, key):
    for fix in (rename_entry, name_js_entry):
        try:
            out = fix(source, key)
        except RenameError as e:
            assert "\n" not in str(e)
            continue
        assert isinstance(out, str)
        if fix is rename_entry and out is not source:
            assert entry_of(out, key).recommended
