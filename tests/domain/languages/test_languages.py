"""The Language seam: a project's language decides file names, lexer, comment prefix, entry
finder, lint and rename; Python is the default."""

import pytest
from pygments.lexers.javascript import JavascriptLexer
from pygments.lexers.python import PythonLexer

from app.domain.languages import (
    DEFAULT_LANGUAGE,
    JAVASCRIPT,
    LANGUAGES,
    PYTHON,
    UnknownLanguage,
    get_language,
)
from app.domain.rename import RenameError
from app.domain.scripts import kind

PY_LOGIN = "def login(email, password, callback):\n    callback(None, {'user_id': '1'})\n"
JS_LOGIN = "function login(email, password, callback) {\n  callback(null, { user_id: '1' });\n}\n"


def test_python_is_the_default_and_both_languages_are_known():
    assert DEFAULT_LANGUAGE == "python" and get_language("python") is PYTHON
    assert get_language("javascript") is JAVASCRIPT
    assert set(LANGUAGES) == {"python", "javascript"}


def test_an_unknown_language_is_one_line_naming_the_known_ones():
    with pytest.raises(UnknownLanguage) as e:
        get_language("ruby")
    assert str(e.value) == "unknown language 'ruby'; expected one of python, javascript"


def test_the_language_drives_file_names():
    assert PYTHON.file_name("get_user") == "get_user.py"
    assert JAVASCRIPT.file_name("get_user") == "get_user.js"


def test_the_language_drives_the_lexer_and_the_editor_mode():
    assert PYTHON.lexer_class() is PythonLexer and JAVASCRIPT.lexer_class() is JavascriptLexer
    assert PYTHON.editor.comment_prefix == "#" and JAVASCRIPT.editor.comment_prefix == "//"
    assert "{" in JAVASCRIPT.editor.block_openers and JAVASCRIPT.editor.closers == "}"
    assert "return" in PYTHON.editor.dedent_keywords and not PYTHON.editor.closers


def test_entry_names_and_signatures_are_each_languages():
    k = kind("change_password")
    assert (PYTHON.entry_name(k), PYTHON.signature(k)) == ("change_password", ("email", "new_password", "callback"))
    assert (JAVASCRIPT.entry_name(k), JAVASCRIPT.signature(k, context=True)) == (
        "changePassword", ("email", "newPassword", "context", "callback"))


def test_lint_dispatches_to_the_languages_linter():
    assert PYTHON.lint("login", PY_LOGIN) == [] and JAVASCRIPT.lint("login", JS_LOGIN) == []
    # each language's code is a syntax error to the other's linter
    assert [f.code for f in PYTHON.lint("login", JS_LOGIN)] == ["syntax-error"]
    assert [f.code for f in JAVASCRIPT.lint("login", PY_LOGIN)] == ["syntax-error"]


def test_find_entry_reports_the_same_shape_for_both():
    py = PYTHON.find_entry(PY_LOGIN, kind("login"))
    js = JAVASCRIPT.find_entry(JS_LOGIN, kind("login"))
    assert (py.name, py.line, py.params, py.recommended) == ("login", 1, ("email", "password", "callback"), True)
    assert (js.name, js.line, js.params, js.recommended) == ("login", 1, ("email", "password", "callback"), True)
    assert PYTHON.find_entry("def (:", kind("login")) is None
    assert JAVASCRIPT.find_entry("function (", kind("login")) is None


def test_rename_dispatches_to_the_languages_renamer():
    assert PYTHON.rename_entry("def get_by_email(email, callback):\n    pass\n", "get_user").startswith("def get_user(")
    assert JAVASCRIPT.rename_entry("function (email, callback) {}\n", "get_user") == \
        "function getUser(email, callback) {}\n"
    with pytest.raises(RenameError):
        JAVASCRIPT.rename_entry("function (email, callback) {", "get_user")
