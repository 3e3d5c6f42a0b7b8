"""Breakpoints stay on the code they were set on while the user edits around them, with the keys a
user presses; deleting a breakpoint's line deletes it, joining its line into the one above takes it
along, and undo/redo put everything back."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QTextCursor

from app.ui.editor.gutter import BREAKPOINT_W

SOURCE = """\
def login(email, password, callback):
    row = find(email)
    if row is None:
        return callback(None)
    check(row, password)
    return callback(None, row)
"""


def _at(editor, line: int, column: int = 0) -> None:
    cursor = QTextCursor(editor.document().findBlockByNumber(line - 1))
    cursor.setPosition(cursor.position() + column)
    editor.setTextCursor(cursor)


def _select(editor, line1: int, col1: int, line2: int, col2: int) -> None:
    doc = editor.document()
    cursor = QTextCursor(doc)
    cursor.setPosition(doc.findBlockByNumber(line1 - 1).position() + col1)
    cursor.setPosition(doc.findBlockByNumber(line2 - 1).position() + col2, QTextCursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)


def _line_of(editor, text: str) -> int:
    return next(n + 1 for n, line in enumerate(editor.toPlainText().split("\n")) if text in line)


def _open(editor, qtbot, lines):
    editor.set_source(SOURCE)
    editor.set_breakpoints({line: f"payload {line}" for line in lines})
    moves = []
    editor.breakpoints_moved.connect(moves.append)
    return moves


def test_return_above_a_breakpoint_moves_it_down_with_its_code(editor, qtbot):
    moves = _open(editor, qtbot, {5})
    _at(editor, 2)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert editor.breakpoints == {7} == {_line_of(editor, "check(row")}
    assert moves == [{5: 6}, {6: 7}]
    assert editor.breakpoint_items() == {7: "payload 5"}  # the owner's payload travels along


def test_deleting_lines_above_moves_it_up(editor, qtbot):
    _open(editor, qtbot, {5, 6})
    _select(editor, 2, 0, 4, 0)  # the `row = ...` and `if row is None:` lines
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    assert editor.breakpoints == {3, 4}
    assert _line_of(editor, "check(row") == 3


def test_return_in_front_of_the_code_takes_it_down_and_at_the_end_leaves_it(editor, qtbot):
    _open(editor, qtbot, {5})
    _at(editor, 5, 0)  # column 0
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert editor.breakpoints == {6} == {_line_of(editor, "check(row")}
    _at(editor, 6, 4)  # after the indent
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert editor.breakpoints == {7} == {_line_of(editor, "check(row")}
    _at(editor, 7, len("    check(row, password)"))  # at the end: the new line is empty, the code stays
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert editor.breakpoints == {7}


def test_splitting_the_line_keeps_the_breakpoint_on_the_statement_start(editor, qtbot):
    _open(editor, qtbot, {5})
    _at(editor, 5, len("    check(row,"))
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert editor.breakpoints == {5}
    assert editor.document().findBlockByNumber(4).text() == "    check(row,"


def test_deleting_its_line_deletes_it_and_undo_brings_it_back(editor, qtbot):
    moves = _open(editor, qtbot, {5, 6})
    _select(editor, 5, 0, 6, 0)
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    assert editor.breakpoints == {5} and editor.breakpoint_items() == {5: "payload 6"}
    assert moves == [{5: None, 6: 5}]
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.toPlainText() == SOURCE
    assert editor.breakpoint_items() == {5: "payload 5", 6: "payload 6"}
    qtbot.keyClick(editor, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)  # redo deletes it again
    assert editor.breakpoint_items() == {5: "payload 6"}


def test_cutting_its_line_or_a_selection_across_it_deletes_it(editor, qtbot):
    _open(editor, qtbot, {5})
    _select(editor, 4, 6, 6, 4)  # from inside line 4 to inside line 6
    qtbot.keyClick(editor, Qt.Key.Key_X, Qt.KeyboardModifier.ControlModifier)
    assert editor.breakpoints == set()
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.breakpoints == {5}


def test_backspace_at_the_line_start_joins_it_into_the_line_above_with_its_breakpoint(editor, qtbot):
    moves = _open(editor, qtbot, {5})
    _at(editor, 5, 0)
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    assert editor.document().findBlockByNumber(3).text().endswith("callback(None)    check(row, password)")
    assert editor.breakpoints == {4} and moves == [{5: 4}]
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.breakpoints == {5}


def test_a_join_onto_a_breakpoint_keeps_the_one_already_there_and_undo_restores_both(editor, qtbot):
    _open(editor, qtbot, {4, 5})
    _at(editor, 4, len("        return callback(None)"))
    qtbot.keyClick(editor, Qt.Key.Key_Delete)  # Delete at the end of line 4 pulls line 5 up
    assert editor.breakpoint_items() == {4: "payload 4"}
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.breakpoint_items() == {4: "payload 4", 5: "payload 5"}


def test_rewriting_the_line_itself_keeps_the_breakpoint(editor, qtbot):
    moves = _open(editor, qtbot, {3, 4, 5})
    _select(editor, 5, 0, 5, len("    check(row, password)"))
    qtbot.keyClicks(editor, "    verify(row)")
    assert editor.breakpoints == {3, 4, 5}
    _select(editor, 3, 0, 5, 3)
    editor.toggle_comment()  # rewrites lines 3-5 as one undo step
    qtbot.keyClick(editor, Qt.Key.Key_Tab)  # indents them
    qtbot.keyClick(editor, Qt.Key.Key_Backtab)
    assert editor.document().findBlockByNumber(4).text() == "    # verify(row)"
    assert editor.breakpoints == {3, 4, 5} and moves == []


def test_undo_and_redo_of_moves(editor, qtbot):
    _open(editor, qtbot, {5})
    _at(editor, 1, 0)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    _select(editor, 3, 0, 4, 0)
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    assert editor.breakpoints == {5}
    editor.undo()
    assert editor.breakpoints == {6}
    editor.undo()
    assert editor.breakpoints == {5} and editor.toPlainText() == SOURCE
    editor.redo()
    assert editor.breakpoints == {6}


def test_a_breakpoint_set_after_an_edit_survives_undoing_that_edit(editor, qtbot):
    _open(editor, qtbot, set())
    _at(editor, 1, 0)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    editor.breakpoints = {6}  # on `check(row, ...)` as it is now
    editor.undo()
    assert editor.breakpoints == {5} == {_line_of(editor, "check(row")}


def test_a_breakpoint_the_user_removed_is_not_brought_back_by_undo(editor, qtbot):
    _open(editor, qtbot, {5})
    _select(editor, 5, 0, 6, 0)
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    _at(editor, 1, 0)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    editor.breakpoints = {6}
    editor.breakpoints = set()  # the user took it away
    editor.undo()
    editor.undo()
    assert editor.toPlainText() == SOURCE
    assert editor.breakpoints == {5}  # only the one the deletion took comes back


def test_a_new_text_keeps_line_numbers_and_drops_those_past_its_end(editor, qtbot):
    moves = _open(editor, qtbot, {2, 5})
    editor.setPlainText("a = 1\nb = 2\nc = 3\n")  # e.g. the file changed on disk
    assert editor.breakpoints == {2}
    assert moves == [{5: None}]


def test_a_source_edit_in_two_distant_places_keeps_the_breakpoints_in_between(editor, qtbot):
    _open(editor, qtbot, {3, 5})
    editor.apply_source_edit(SOURCE.replace("def login", "def getUser").replace("return callback(None, row)",
                                                                               "return callback(None, dict(row))"))
    assert editor.breakpoints == {3, 5}
    editor.undo()
    assert editor.toPlainText() == SOURCE and editor.breakpoints == {3, 5}


def test_the_gutter_paints_the_dot_on_the_moved_line(editor, qtbot):
    _open(editor, qtbot, {2})
    _at(editor, 1, 0)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    image = QImage(editor.gutter.size(), QImage.Format.Format_ARGB32)
    editor.gutter.render(image)

    def colour_at(line: int) -> str:
        block = editor.document().findBlockByNumber(line - 1)
        y = int(editor.blockBoundingGeometry(block).translated(editor.contentOffset()).center().y())
        return image.pixelColor(BREAKPOINT_W // 2, y).name()

    assert colour_at(3) == QColor(editor.theme.color("breakpoint")).name()
    assert colour_at(2) == QColor(editor.theme.color("gutter_background")).name()


def test_after_any_edits_undoing_them_all_restores_every_breakpoint_and_redo_returns(editor):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    pieces = st.sampled_from(["", "x", "\n", "\n    ", "a = 1\n", "\n\n", "é😀\n"])
    edits = st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), pieces), min_size=1, max_size=12)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(edits)
    def check(steps):
        editor.set_source(SOURCE)
        editor.set_breakpoints({2: "b", 4: "d", 5: "e", 7: "g"})
        doc = editor.document()
        for start, length, text in steps:
            size = doc.characterCount() - 1
            a = int(start * size)
            b = min(size, a + int(length * length * size))  # mostly short removals
            cursor = QTextCursor(doc)
            cursor.setPosition(a)
            cursor.setPosition(b, QTextCursor.MoveMode.KeepAnchor)
            cursor.insertText(text)
            assert all(1 <= line <= doc.blockCount() for line in editor.breakpoints)
        after = editor.breakpoint_items()
        while doc.isUndoAvailable():
            doc.undo()
        assert editor.toPlainText() == SOURCE
        assert editor.breakpoint_items() == {2: "b", 4: "d", 5: "e", 7: "g"}
        while doc.isRedoAvailable():
            doc.redo()
        assert editor.breakpoint_items() == after

    check()
