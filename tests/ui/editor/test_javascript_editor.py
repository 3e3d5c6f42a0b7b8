"""A JavaScript script's editor: JavaScript colours, `//` comments, brace indentation, and the quick
fix naming an anonymous entry."""

import pytest
from pygments.lexers.javascript import JavascriptLexer
from pygments.token import Comment, Keyword, String
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from app.domain.findings import finding
from app.domain.languages import JAVASCRIPT, PYTHON

from .test_code_editor import put_cursor, select_lines
from .test_highlighter import color, formats_of


@pytest.fixture
def js_editor(editor):
    editor.configure("login", [], JAVASCRIPT)
    return editor


def test_javascript_tokens_get_their_colours(js_editor):
    js_editor.set_source("function login(email, password, callback) {\n"
                         "  // look the user up\n"
                         "  const sql = `SELECT 1`;\n"
                         "}\n")
    assert isinstance(js_editor.highlighter.lexer, JavascriptLexer)
    assert (0, 8, color(js_editor, Keyword.Declaration)) in formats_of(js_editor, 1)  # function
    assert (2, 19, color(js_editor, Comment.Single)) in formats_of(js_editor, 2)
    assert (14, 10, color(js_editor, String.Backtick)) in formats_of(js_editor, 3)
    # the same text coloured as Python would show `//` as operators, not a comment
    assert color(js_editor, Comment.Single) != color(js_editor, Keyword.Declaration)


def test_a_multi_line_comment_recolours_the_lines_after_it(js_editor, qtbot):
    js_editor.set_source("var a = 1;\nvar b = 2;\n")
    c = QTextCursor(js_editor.document())
    c.insertText("/* ")
    comment = color(js_editor, Comment.Multiline)
    assert any(c_ == comment for *_, c_ in formats_of(js_editor, 2))


def test_ctrl_slash_comments_with_double_slash_and_back(js_editor, qtbot):
    js_editor.set_source("function f() {\n    a();\n\n    b();\n}\n")
    select_lines(js_editor, 2, 4)
    qtbot.keyClick(js_editor, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    assert js_editor.source() == "function f() {\n    // a();\n\n    // b();\n}\n"
    qtbot.keyClick(js_editor, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    assert js_editor.source() == "function f() {\n    a();\n\n    b();\n}\n"
    js_editor.set_source("# not a comment in JavaScript\n")
    qtbot.keyClick(js_editor, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    assert js_editor.source() == "// # not a comment in JavaScript\n"


def test_enter_indents_after_a_brace_and_a_closing_brace_dedents(js_editor, qtbot):
    qtbot.keyClicks(js_editor, "function login(email, password, callback) {")
    qtbot.keyClick(js_editor, Qt.Key.Key_Return)
    qtbot.keyClicks(js_editor, "if (!email) {")
    qtbot.keyClick(js_editor, Qt.Key.Key_Return)
    qtbot.keyClicks(js_editor, "return callback(null);")
    qtbot.keyClick(js_editor, Qt.Key.Key_Return)
    qtbot.keyClicks(js_editor, "}")
    qtbot.keyClick(js_editor, Qt.Key.Key_Return)
    qtbot.keyClicks(js_editor, "x();")
    assert js_editor.source().split("\n") == [
        "function login(email, password, callback) {",
        "    if (!email) {",
        "        return callback(null);",  # no Python-style dedent after return
        "    }",
        "    x();",
    ]


def test_enter_between_braces_puts_the_closer_on_its_own_line(js_editor, qtbot):
    js_editor.set_source("if (a) {}")
    put_cursor(js_editor, 1, 8)
    qtbot.keyClick(js_editor, Qt.Key.Key_Return)
    qtbot.keyClicks(js_editor, "b();")
    assert js_editor.source() == "if (a) {\n    b();\n}"


def test_python_editor_keeps_hash_comments_and_colon_indent(editor, qtbot):
    editor.configure("login", [], PYTHON)
    editor.set_source("x = 1\n")
    put_cursor(editor, 1, 0)
    qtbot.keyClick(editor, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    assert editor.source() == "# x = 1\n"


def test_quick_fix_names_the_anonymous_entry(js_editor, qtbot):
    js_editor.set_source("function (email, password, callback) {\n  callback(null);\n}\n")
    js_editor.set_findings([finding("anonymous-entry", "anonymous", "login", 1)])
    with qtbot.waitSignal(js_editor.quick_fix_applied) as applied:
        qtbot.keyClick(js_editor, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier)
    assert applied.args == ["anonymous-entry"]
    assert js_editor.source().startswith("function login(email, password, callback) {")
    js_editor.undo()
    assert js_editor.source().startswith("function (email")
