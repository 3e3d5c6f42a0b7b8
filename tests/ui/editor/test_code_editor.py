"""The editor driven from the keyboard: indentation, comments, go to line, findings, quick fix."""

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCursor

from app.domain.findings import Severity, finding


def put_cursor(editor, line, col=None):
    block = editor.document().findBlockByNumber(line - 1)
    cursor = QTextCursor(block)
    cursor.setPosition(block.position() + (len(block.text()) if col is None else col))
    editor.setTextCursor(cursor)


def select_lines(editor, first, last):
    doc = editor.document()
    cursor = QTextCursor(doc.findBlockByNumber(first - 1))
    end = doc.findBlockByNumber(last - 1)
    cursor.setPosition(end.position() + len(end.text()), QTextCursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)


def test_enter_keeps_indentation_and_indents_after_colon(editor, qtbot):
    qtbot.keyClicks(editor, "def login(email, password, callback):")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "if email:")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "return callback(None)")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "x = 1")
    assert editor.source().split("\n") == [
        "def login(email, password, callback):",
        "    if email:",
        "        return callback(None)",
        "    x = 1",
    ]


def test_tab_inserts_spaces_and_shift_tab_dedents(editor, qtbot):
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    qtbot.keyClicks(editor, "a")
    assert editor.source() == "    a"
    qtbot.keyClick(editor, Qt.Key.Key_Backtab)
    assert editor.source() == "a"


def test_backspace_in_indentation_removes_one_level(editor, qtbot):
    editor.set_source("        x")
    put_cursor(editor, 1, 8)
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    assert editor.source() == "    x"


def test_toggle_comment_round_trip_is_one_undo_step_each(editor, qtbot):
    editor.set_source("def f():\n    a = 1\n\n    b = 2\n")
    select_lines(editor, 2, 4)
    qtbot.keyClick(editor, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    assert editor.source() == "def f():\n    # a = 1\n\n    # b = 2\n"
    qtbot.keyClick(editor, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    assert editor.source() == "def f():\n    a = 1\n\n    b = 2\n"
    editor.undo()
    assert editor.source() == "def f():\n    # a = 1\n\n    # b = 2\n"


def test_ctrl_g_goes_to_the_typed_line(editor, qtbot):
    editor.set_source("\n".join(f"line{i}" for i in range(1, 51)))
    qtbot.keyClick(editor, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert editor.goto_bar.isVisible()
    qtbot.keyClicks(editor.goto_bar.field, "42")
    qtbot.keyClick(editor.goto_bar.field, Qt.Key.Key_Return)
    assert not editor.goto_bar.isVisible()
    assert editor.current_line() == 42
    editor.goto_line(999)
    assert editor.current_line() == 50


def test_bracket_next_to_the_cursor_is_matched(editor):
    editor.set_source("x = f(a, [1, 2], {\n    'k': (3)\n})\n")
    put_cursor(editor, 1, 5)  # before "(" of f(
    pos, other = editor.bracket_match()
    assert editor.document().characterAt(other) == ")"
    assert editor.document().findBlock(other).blockNumber() == 2
    put_cursor(editor, 2, 12)  # after "(3)"
    pos, other = editor.bracket_match()
    assert editor.document().characterAt(other) == "("
    editor.set_source("y = (1, 2\n")
    put_cursor(editor, 1, 4)
    assert editor.bracket_match() == (4, None)


def test_findings_mark_the_gutter_underline_and_follow_edits(editor, qtbot):
    editor.configure("login", [])
    editor.set_source("def signin(email, password, callback):\n    return callback(None)\n")
    editor.set_findings([
        finding("non-recommended-name", "name it login", "login", 1),
        finding("missing-user-id", "Get User's own finding", "get_user", 1),
        finding("callback-not-called", "never called", "login", 2, severity=Severity.WARNING),
        finding("hardcoded-secret", "secret here", "login", 2),
        finding("unused-in-mode", "no line", "login", None),
        finding("timeout", "past the end", "login", 99),
    ])
    assert editor.finding_severities_by_line() == {1: Severity.WARNING, 2: Severity.ERROR}
    underlines = [s for s in editor.extraSelections() if s.format.underlineStyle() ==
                  s.format.UnderlineStyle.WaveUnderline]
    assert len(underlines) == 3
    assert underlines[0].cursor.selectedText() == "def signin(email, password, callback):"
    assert "secret here [hardcoded-secret]" in editor.finding_messages(2)[1]
    put_cursor(editor, 1, 0)
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # a new first line pushes the findings down
    assert editor.finding_severities_by_line() == {2: Severity.WARNING, 3: Severity.ERROR}


def test_quick_fix_renames_the_entry_in_one_undo_step(editor, qtbot):
    source = "def signin(email, password, callback):\n    return callback(None)\n"
    editor.configure("login", ["dsn"])
    editor.set_source(source)
    editor.set_findings([finding("non-recommended-name", "name it login", "login", 1)])
    put_cursor(editor, 2, 4)
    with qtbot.waitSignal(editor.quick_fix_applied) as applied:
        qtbot.keyClick(editor, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier)
    assert applied.args == ["non-recommended-name"]
    assert editor.source().startswith("def login(email, password, callback):")
    assert editor.current_line() == 2
    editor.undo()
    assert editor.source() == source


def test_quick_fix_reports_a_refused_rename(editor, qtbot):
    editor.configure("login", [])
    editor.set_source("def signin(:\n")
    editor.set_findings([finding("non-recommended-name", "name it login", "login", 1)])
    with qtbot.waitSignal(editor.quick_fix_failed) as failed:
        editor.quick_fix()
    assert "does not parse" in failed.args[0]
    assert editor.source() == "def signin(:\n"


def test_apply_source_edit_is_one_undo_step_and_keeps_the_line(editor):
    editor.set_source("a = 1\nb = 2\nc = 3\n")
    put_cursor(editor, 3, 2)
    editor.apply_source_edit("a = 10\nb = 2\nc = 3\nd = 4\n")
    assert editor.source() == "a = 10\nb = 2\nc = 3\nd = 4\n"
    assert editor.current_line() == 3
    editor.undo()
    assert editor.source() == "a = 1\nb = 2\nc = 3\n"


def test_debounced_text_modification_and_cursor_signals(editor, qtbot):
    with qtbot.waitSignal(editor.modification_changed) as modified:
        qtbot.keyClicks(editor, "x")
    assert modified.args == [True]
    with qtbot.waitSignal(editor.text_changed_debounced, timeout=3000) as changed:
        qtbot.keyClicks(editor, "yz")
    assert changed.args == ["xyz"]
    with qtbot.waitSignal(editor.cursor_position_changed) as moved:
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert moved.args == [2, 1]


def test_clicking_the_gutter_reports_the_line(editor, qtbot):
    editor.set_source("a\nb\nc\n")
    third = editor.document().findBlockByNumber(2)
    y = int(editor.blockBoundingGeometry(third).translated(editor.contentOffset()).center().y())
    with qtbot.waitSignal(editor.gutter_clicked) as clicked:
        qtbot.mouseClick(editor.gutter, Qt.MouseButton.LeftButton, pos=QPoint(editor.gutter.width() - 20, y))
    assert clicked.args == [3]


def test_debug_line_is_shown_and_cleared(editor):
    editor.set_source("a\nb\nc\n")
    editor.show_debug_line(2)
    assert editor.current_line() == 2
    full_width = [s for s in editor.extraSelections()
                  if s.format.background().color().name() == editor.theme.debug_line]
    assert full_width and full_width[0].cursor.blockNumber() == 1
    editor.show_debug_line(None)
    assert not [s for s in editor.extraSelections()
                if s.format.background().color().name() == editor.theme.debug_line]


def test_unknown_theme_is_a_clear_error(editor):
    import pytest

    with pytest.raises(ValueError, match="light, dark"):
        editor.set_theme("solarized")


def test_breakpoint_column_click_is_reported(editor, qtbot):
    editor.set_source("a\nb\n")
    first = editor.document().firstBlock()
    y = int(editor.blockBoundingGeometry(first).translated(editor.contentOffset()).center().y())
    with qtbot.waitSignal(editor.breakpoint_clicked) as clicked:
        qtbot.mouseClick(editor.gutter, Qt.MouseButton.LeftButton, pos=QPoint(4, y))
    assert clicked.args == [1]


def test_theme_follows_the_os_until_one_is_chosen(editor, monkeypatch):
    import app.ui.editor.code_editor as module

    editor.set_theme(None)
    monkeypatch.setattr(module, "system_theme_name", lambda: "dark")
    editor._on_system_scheme_changed()
    assert editor.theme.name == "dark"
    editor.set_theme("light")
    editor._on_system_scheme_changed()  # an explicit choice sticks
    assert editor.theme.name == "light"


def test_hovering_a_finding_shows_its_message(editor, qtbot):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    editor.configure("login", [])
    editor.set_source("x = 1\npassword = 'hunter2'\n")
    editor.set_findings([finding("hardcoded-secret", "read it from configuration", "login", 2)])
    rect = editor.cursorRect(QTextCursor(editor.document().findBlockByNumber(1)))
    pos = rect.center() + QPoint(20, 0)
    QApplication.sendEvent(editor.viewport(), QHelpEvent(QEvent.Type.ToolTip, pos, editor.viewport().mapToGlobal(pos)))
    assert QToolTip.text() == "read it from configuration [hardcoded-secret]"
    gutter_pos = QPoint(editor.gutter.width() - 8, pos.y())
    QApplication.sendEvent(editor.gutter, QHelpEvent(QEvent.Type.ToolTip, gutter_pos,
                                                    editor.gutter.mapToGlobal(gutter_pos)))
    assert "read it from configuration" in QToolTip.text()
    QToolTip.hideText()
