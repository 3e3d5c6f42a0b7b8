"""Find and replace from the keyboard."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor


def test_find_next_previous_and_wrap(editor, qtbot):
    editor.set_source("foo = 1\nbar = foo\nFOO = foo\n")
    qtbot.keyClick(editor, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert editor.find_bar.isVisible()
    qtbot.keyClicks(editor.find_bar.find_field, "foo")
    cursor = editor.textCursor()
    assert (cursor.blockNumber(), cursor.selectedText()) == (0, "foo")
    qtbot.keyClick(editor.find_bar.find_field, Qt.Key.Key_Return)
    assert editor.textCursor().blockNumber() == 1
    qtbot.keyClick(editor.find_bar.find_field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert editor.textCursor().blockNumber() == 0
    assert editor.find_bar.status.text() == "4"  # case-insensitive: FOO counts
    qtbot.keyClick(editor.find_bar.find_field, Qt.Key.Key_Escape)
    assert not editor.find_bar.isVisible()
    assert editor.hasFocus()


def test_match_case(editor, qtbot):
    editor.set_source("FOO\nfoo\n")
    editor.show_find()
    editor.find_bar.match_case.setChecked(True)
    qtbot.keyClicks(editor.find_bar.find_field, "foo")
    assert editor.textCursor().blockNumber() == 1
    assert editor.find_bar.status.text() == "1"


def test_replace_all_is_one_undo_step(editor, qtbot):
    source = "a = a + 1\nb = a\n"
    editor.set_source(source)
    qtbot.keyClick(editor, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    assert editor.find_bar.replace_field.isVisible()
    qtbot.keyClicks(editor.find_bar.find_field, "a")
    qtbot.keyClicks(editor.find_bar.replace_field, "count")
    qtbot.mouseClick(editor.find_bar.replace_all_button, Qt.MouseButton.LeftButton)
    assert editor.source() == "count = count + 1\nb = count\n"
    editor.undo()
    assert editor.source() == source


def test_replace_one_then_next(editor, qtbot):
    editor.set_source("x x x\n")
    editor.moveCursor(QTextCursor.MoveOperation.Start)
    editor.show_replace()
    qtbot.keyClicks(editor.find_bar.find_field, "x")
    qtbot.keyClicks(editor.find_bar.replace_field, "y")
    qtbot.keyClick(editor.find_bar.replace_field, Qt.Key.Key_Return)
    assert editor.source() == "y x x\n"
    assert editor.textCursor().selectedText() == "x"
