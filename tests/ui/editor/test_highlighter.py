"""Highlighting colours the right ranges, follows multi-line strings, and survives non-BMP text."""

from pygments.token import Keyword, Number, String
from PySide6.QtGui import QTextCursor

from app.ui.editor.highlighter import PENDING, lex_line


def formats_of(editor, line):
    """[(start, length, foreground name)] of a 1-based line as laid out."""
    block = editor.document().findBlockByNumber(line - 1)
    return [(r.start, r.length, r.format.foreground().color().name()) for r in block.layout().formats()]


def color(editor, ttype):
    return editor.highlighter.format_for(ttype).foreground().color().name()


def string_covered(editor, line):
    block = editor.document().findBlockByNumber(line - 1)
    s = color(editor, String)
    covered = sum(length for _, length, c in formats_of(editor, line) if c == s)
    return covered == len(block.text()) and covered > 0


def test_keywords_numbers_and_strings_get_their_colours(editor):
    editor.set_source('def login(email):\n    return "x" + 42\n')
    assert (0, 3, color(editor, Keyword)) in formats_of(editor, 1)
    line2 = formats_of(editor, 2)
    assert (4, 6, color(editor, Keyword)) in line2  # return
    assert (11, 3, color(editor, String)) in line2  # "x"
    assert (17, 2, color(editor, Number)) in line2  # 42


def test_opening_triple_quote_recolours_following_lines_and_closing_restores(editor, qtbot):
    editor.set_source("a = 1\nb = 2\nc = 3\nd = 4\n")
    assert not string_covered(editor, 3)
    cursor = editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.Start)
    editor.setTextCursor(cursor)
    qtbot.keyClicks(editor, 'x = """')
    for line in (2, 3, 4):
        assert string_covered(editor, line), line
    editor.goto_line(3)
    qtbot.keyClicks(editor, '"""')
    assert string_covered(editor, 2)
    assert not string_covered(editor, 4)
    assert (4, 1, color(editor, Number)) in formats_of(editor, 4)  # d = 4 is code again


def test_non_bmp_characters_do_not_shift_colours(editor):
    editor.set_source('s = "🙂🙂" + 7\n')
    text = editor.document().firstBlock().text()
    seven = len(text[: text.index("7")].encode("utf-16-le")) // 2  # Qt counts UTF-16 units
    assert (seven, 1, color(editor, Number)) in formats_of(editor, 1)
    string_ranges = [(s, n) for s, n, c in formats_of(editor, 1) if c == color(editor, String)]
    assert sum(n for _, n in string_ranges) == len('"🙂🙂"'.encode("utf-16-le")) // 2


def test_large_file_is_coloured_progressively_to_the_end(editor, qtbot):
    source = "".join(f"value_{i} = {i}  # line\n" for i in range(3000))
    with qtbot.waitSignal(editor.highlighter.progress_finished, timeout=20_000):
        editor.set_source(source)
        last = editor.document().findBlockByNumber(2999)
        assert last.userState() == PENDING  # not lexed yet: the UI got control back first
        assert formats_of(editor, 1)  # the visible part is already coloured
    assert editor.highlighter.is_complete()
    assert (len("value_2999 = "), 4, color(editor, Number)) in formats_of(editor, 3000)
    doc = editor.document()
    assert all(doc.findBlockByNumber(n).userState() != PENDING for n in range(0, 3000, 97))


def test_theme_switch_changes_token_colours(editor, qtbot):
    editor.set_source("def f():\n    pass\n")
    light = formats_of(editor, 1)[0][2]
    with qtbot.waitSignal(editor.highlighter.progress_finished, timeout=5000, raising=False):
        editor.set_theme("dark")
    assert editor.theme.name == "dark"
    assert formats_of(editor, 1)[0][2] != light
    assert editor.palette().base().color().name() == editor.theme.background


def test_lex_line_hands_back_the_state_stack():
    from pygments.lexers.python import PythonLexer

    lexer = PythonLexer()
    _, inside = lex_line(lexer, 'doc = """start', ("root",))
    assert inside != ("root",)
    tokens, after = lex_line(lexer, 'end""" + 1', inside)
    assert after == ("root",)
    assert tokens[0][2] in String


def test_set_plain_text_is_progressive_too(editor, qtbot):
    source = "".join(f"n_{i} = {i}\n" for i in range(3000))
    with qtbot.waitSignal(editor.highlighter.progress_finished, timeout=20_000):
        editor.setPlainText(source)  # what a caller that does not know set_source uses
        assert editor.document().findBlockByNumber(2999).userState() == PENDING
