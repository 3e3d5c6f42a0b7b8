"""Debugging a script through the IDE with the keyboard: F9 breakpoint (persisted), F5 start,
F10/F11/Shift+F11 stepping, Shift+F5 stop; the current line, call stack, variables and watches."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from app.domain.breakpoints import load_breakpoints
from app.engine.runner import RunnerClient

ALICE = {"email": "alice@example.com", "password": "wonderland-42"}
TIMEOUT = 30000


def _window(make_window, project):
    return make_window(project, runner_factory=lambda p, **kw: RunnerClient(p, use_spare=False, **kw))


def _start(window, qtbot, line=4):
    editor = window.docs["login"].editor
    editor.goto_line(line)
    qtbot.keyClick(editor, Qt.Key.Key_F9)
    window.run_panel.form("login").set_value(ALICE)
    qtbot.keyClick(editor, Qt.Key.Key_F5)
    debugger = window.debugger
    qtbot.waitUntil(lambda: debugger.state == "paused", timeout=TIMEOUT)
    return editor, debugger


def _press(qtbot, editor, key, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(editor, key, modifier)


def test_keyboard_debugging_of_login(make_window, project, qtbot):
    window = _window(make_window, project)
    editor, debugger = _start(window, qtbot)
    assert editor.breakpoints == {4}
    saved = json.loads((project.root / ".customdb" / "breakpoints.json").read_text())
    assert saved["scripts"]["login"] == [{"line": 4, "condition": None, "hit": None}]
    assert editor.debug_line == 4
    variables = debugger.panels["Variables"]
    qtbot.waitUntil(lambda: "row" in variables.values(), timeout=TIMEOUT)
    assert variables.values()["email"] == "'alice@example.com'"
    assert debugger.panels["Call stack"].frames() == ["login  line 4"]
    assert window.docks["Variables"].isVisible()

    debugger.add_watch("email.upper()")
    watches = debugger.panels["Watches"]
    qtbot.waitUntil(lambda: watches.values().get("email.upper()") == "'ALICE@EXAMPLE.COM'", timeout=TIMEOUT)

    _press(qtbot, editor, Qt.Key.Key_F10)  # step over the bcrypt check
    qtbot.waitUntil(lambda: debugger.state == "paused" and debugger.last_stop.line == 6, timeout=TIMEOUT)
    assert editor.debug_line == 6
    _press(qtbot, editor, Qt.Key.Key_F11)  # step into log.info: a library, so the next line of login
    qtbot.waitUntil(lambda: debugger.state == "paused" and debugger.last_stop.line == 7, timeout=TIMEOUT)
    assert watches.values()["email.upper()"] == "'ALICE@EXAMPLE.COM'"
    _press(qtbot, editor, Qt.Key.Key_F11, Qt.KeyboardModifier.ShiftModifier)  # step out of the entry
    qtbot.waitUntil(lambda: debugger.state == "idle", timeout=TIMEOUT)
    assert editor.debug_line is None
    assert window.run_panel.last_result["outcome"] == "ok"
    assert any("login ok for alice@example.com" in line["text"] for line in window.run_panel.last_result["logs"])

    editor.goto_line(4)
    _press(qtbot, editor, Qt.Key.Key_F9)  # F9 again removes it, in the editor and in the file
    assert editor.breakpoints == set() and load_breakpoints(project) == {}


def test_shift_f5_stops_a_paused_script_and_f5_runs_it_again(make_window, project, qtbot):
    window = _window(make_window, project)
    editor, debugger = _start(window, qtbot)
    assert not window.run_panel.run_button.isEnabled()
    cursor = editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    cursor.insertText("# edited while paused\n")
    assert "running code is the version it started with" in window.statusBar().currentMessage()
    _press(qtbot, editor, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: debugger.state == "idle", timeout=TIMEOUT)
    assert window.run_panel.last_result["error"]["type"] == "Stopped"
    panel = window.run_panel  # a Stop the user asked for is no red error, and no trace (issue 17)
    assert panel.badge.text() == "stopped" and "#c62828" not in panel.badge.styleSheet()
    assert panel.error_label.text() == ""
    assert window.reproduction.trace_panel.traces == []
    assert "── stopped in" in window.output_panel.text()
    _press(qtbot, editor, Qt.Key.Key_F5)  # the breakpoint is still there: paused again
    qtbot.waitUntil(lambda: debugger.state == "paused", timeout=TIMEOUT)
    _press(qtbot, editor, Qt.Key.Key_F5)  # continue to the end
    qtbot.waitUntil(lambda: debugger.state == "idle", timeout=TIMEOUT)
    assert window.run_panel.last_result["outcome"] == "ok"


def test_ctrl_f10_runs_to_the_cursor_and_ctrl_f5_runs_without_debugging(make_window, project, qtbot):
    window = _window(make_window, project)
    editor, debugger = _start(window, qtbot, line=2)
    assert debugger.last_stop.line == 2
    editor.goto_line(6)
    _press(qtbot, editor, Qt.Key.Key_F10, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: debugger.state == "paused" and debugger.last_stop.line == 6, timeout=TIMEOUT)
    _press(qtbot, editor, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: debugger.state == "idle", timeout=TIMEOUT)
    window.run_panel.last_result = None
    _press(qtbot, editor, Qt.Key.Key_F5, Qt.KeyboardModifier.ControlModifier)  # a plain run ignores breakpoints
    qtbot.waitUntil(lambda: window.run_panel.last_result is not None, timeout=TIMEOUT)
    assert window.run_panel.last_result["outcome"] == "ok" and debugger.state == "idle"


def test_closing_the_window_while_paused_ends_the_child(make_window, project, qtbot):
    window = _window(make_window, project)
    _, debugger = _start(window, qtbot)
    child = window.controller._get_runner()._child
    for doc in window.docs.values():
        doc.editor.document().setModified(False)
    assert window.close()
    assert child.wait_exit(10) is not None  # killed or stopped: never left paused


def test_a_gutter_click_toggles_and_conditions_are_kept(make_window, project, qtbot):
    window = _window(make_window, project)
    editor = window.docs["login"].editor
    editor.breakpoint_clicked.emit(6)  # what the gutter emits for a click in its breakpoint column
    assert editor.breakpoints == {6}
    window.debugger.set_breakpoint("login", 6, "email.startswith('zed')")
    assert load_breakpoints(project)["login"][6].condition == "email.startswith('zed')"
    window.run_panel.form("login").set_value(ALICE)
    qtbot.keyClick(editor, Qt.Key.Key_F5)  # the condition is false for alice: no stop at all
    qtbot.waitUntil(lambda: window.run_panel.last_result is not None and window.debugger.state == "idle",
                    timeout=TIMEOUT)
    assert window.run_panel.last_result["outcome"] == "ok"


HELPER_LOGIN = '''\
def check(row_id):
    doubled = row_id * 2
    return doubled

def login(email, password, callback):
    marker = "outer"
    value = check(21)
    return callback(None, {"user_id": f"legacy|{value}", "email": email})
'''


def test_call_stack_frames_show_their_own_variables(make_window, project, qtbot):
    window = _window(make_window, project)
    window.docs["login"].set_text(HELPER_LOGIN, modified=True)
    editor, debugger = _start(window, qtbot, line=3)
    assert debugger.last_stop.function == "check"
    stack = debugger.panels["Call stack"]
    assert stack.frames() == ["check  line 3", "login  line 7"]
    variables = debugger.panels["Variables"]
    assert variables.values() == {"row_id": "21", "doubled": "42"}
    stack.setCurrentRow(1)
    qtbot.waitUntil(lambda: "marker" in variables.values(), timeout=TIMEOUT)
    assert variables.values()["marker"] == "'outer'"
    assert editor.debug_line == 7  # the selected frame's line
    console = debugger.panels["Debug console"]
    assert {"marker", "db", "configuration"} <= set(console.names.stringList())  # live and injected names
    console.input.setText("mark")
    qtbot.keyClick(console.input, Qt.Key.Key_Tab)  # completion asked of the paused script
    qtbot.waitUntil(lambda: console.input.text() == "marker", timeout=TIMEOUT)
    console.input.setText("marker.upper()")
    qtbot.keyClick(console.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "'OUTER'" in console.output.toPlainText(), timeout=TIMEOUT)
    _press(qtbot, editor, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: debugger.state == "idle", timeout=TIMEOUT)
    assert window.run_panel.last_result["result"]["user_id"] == "legacy|42"


def test_stop_on_errors_passed_to_callback_is_an_option_of_the_debug_menu(make_window, project, qtbot):
    window = _window(make_window, project)
    debugger = window.debugger
    debugger.actions["break_on_callback_error"].setChecked(True)
    editor = window.docs["login"].editor
    window.run_panel.form("login").set_value({"email": "alice@example.com", "password": "wrong"})
    qtbot.keyClick(editor, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: debugger.state == "paused", timeout=TIMEOUT)
    assert (debugger.last_stop.reason, debugger.last_stop.line) == ("exception", 5)
    assert editor.debug_line == 5
    qtbot.keyClick(editor, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: debugger.state == "idle", timeout=TIMEOUT)
    assert window.run_panel.last_result["outcome"] == "rejected"


def test_gutter_context_menu_sets_condition_and_hit_count(make_window, project, qtbot, monkeypatch):
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QContextMenuEvent
    from PySide6.QtWidgets import QApplication, QInputDialog

    window = _window(make_window, project)
    editor = window.docs["login"].editor
    shown = []
    monkeypatch.setattr(window.debugger, "show_menu", lambda menu, _where: shown.append(
        [a.text() for a in menu.actions()]))
    y = editor.blockBoundingGeometry(editor.document().findBlockByNumber(3)).translated(
        editor.contentOffset()).center().y()
    QApplication.sendEvent(editor.gutter, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(5, int(y)),
                                                            editor.gutter.mapToGlobal(QPoint(5, int(y)))))
    assert shown == [["Add breakpoint", "Condition and hit count…"]]

    answers = iter([("row is not None", True), (">=1", True)])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: next(answers))
    menu = window.debugger.breakpoint_menu("login", 4)
    menu.actions()[1].trigger()
    assert load_breakpoints(project)["login"][4].condition == "row is not None"
    assert load_breakpoints(project)["login"][4].hit == ">=1"
    assert editor.breakpoints == {4}
    window.debugger.breakpoint_menu("login", 4).actions()[0].trigger()  # "Remove breakpoint"
    assert editor.breakpoints == set()


def test_breakpoints_come_back_when_a_script_is_reopened(make_window, project, qtbot):
    window = _window(make_window, project)
    window.debugger.toggle_breakpoint("login", 6)
    index = window.tabs.indexOf(window.docs["login"].editor)
    assert window.close_tab(index)
    window.open_script("login")
    assert window.docs["login"].editor.breakpoints == {6}
    window.docs["login"].editor.breakpoint_clicked.emit(6)  # the reopened editor's gutter works too
    assert window.docs["login"].editor.breakpoints == set()


CONSOLE_LOGIN = '''\
class Account:
    def __init__(self, email):
        self.email = email
        self.logins = 0

def login(email, password, callback):
    row = {"email": email, "id": 7}
    account = Account(email)
    return callback(None, {"user_id": f"legacy|{row['id']}", "email": account.email})
'''


def test_console_tab_and_ctrl_space_complete_live_objects_in_a_popup(make_window, project, qtbot):
    window = _window(make_window, project)
    window.docs["login"].set_text(CONSOLE_LOGIN, modified=True)
    editor, debugger = _start(window, qtbot, line=9)
    debugger.completion_timeout = 60  # a cold jedi on a loaded machine still answers itself
    console = debugger.panels["Debug console"]
    box = console.input

    qtbot.keyClicks(box, 'row["')
    qtbot.keyClick(box, Qt.Key.Key_Tab)  # the live dict's keys, from jedi in the paused child
    qtbot.waitUntil(console.popup_visible, timeout=TIMEOUT)
    assert console.engine == "jedi"
    assert console.completion_names() == ['"email"', '"id"']
    assert [console.popup.list.item(r).text() for r in range(2)] == ['s  "email"', 's  "id"']  # type marks
    qtbot.keyClick(box, Qt.Key.Key_Down)
    qtbot.keyClick(box, Qt.Key.Key_Return)  # inserts the selected key; the popup closes
    assert box.text() == 'row["id"' and not console.popup_visible()
    qtbot.keyClicks(box, "]")
    qtbot.keyClick(box, Qt.Key.Key_Return)  # now Return evaluates
    qtbot.waitUntil(lambda: console.output.toPlainText().endswith("7"), timeout=TIMEOUT)
    qtbot.keyClicks(box, "1 + 1")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.keyClicks(box, "draft")
    qtbot.keyClick(box, Qt.Key.Key_Up)  # history, newest first, as in a shell
    assert box.text() == "1 + 1"
    qtbot.keyClick(box, Qt.Key.Key_Up)
    assert box.text() == 'row["id"]'
    qtbot.keyClick(box, Qt.Key.Key_Up)  # the oldest stays
    assert box.text() == 'row["id"]'
    qtbot.keyClick(box, Qt.Key.Key_Down)
    qtbot.keyClick(box, Qt.Key.Key_Down)  # past the newest: what was being typed
    assert box.text() == "draft"
    box.clear()

    qtbot.keyClicks(box, "account.")
    qtbot.keyClick(box, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Space too
    qtbot.waitUntil(console.popup_visible, timeout=TIMEOUT)
    assert {"email", "logins"} <= set(console.completion_names())
    qtbot.keyClicks(box, "lo")  # typing narrows the list
    assert console.completion_names() == ["logins"]
    assert "int" in console.popup.doc.toPlainText()  # the selected item's doc beside the list
    qtbot.keyClick(box, Qt.Key.Key_Tab)
    assert box.text() == "account.logins" and not console.popup_visible()

    box.setText("account.")
    qtbot.keyClick(box, Qt.Key.Key_Tab)
    qtbot.waitUntil(console.popup_visible, timeout=TIMEOUT)
    qtbot.keyClick(box, Qt.Key.Key_Escape)  # closes without inserting
    assert box.text() == "account." and not console.popup_visible()

    box.setText("")
    qtbot.keyClicks(box, "ro")
    qtbot.keyClick(box, Qt.Key.Key_Tab)
    qtbot.waitUntil(console.popup_visible, timeout=TIMEOUT)
    assert {"round", "row"} <= set(console.completion_names())
    qtbot.keyClicks(box, "w")  # the as-you-type name list stays out of the way while the popup is open
    assert console.completion_names() == ["row"] and box.completer() is None
    qtbot.keyClick(box, Qt.Key.Key_Tab)
    assert box.text() == "row" and box.completer() is not None
    _press(qtbot, editor, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: debugger.state == "idle", timeout=TIMEOUT)
    assert window.run_panel.last_result["result"]["user_id"] == "legacy|7"


def test_console_completes_db_with_its_signature_and_doc(make_window, project, qtbot):
    window = _window(make_window, project)
    editor, debugger = _start(window, qtbot)
    debugger.completion_timeout = 60  # a cold jedi on a loaded machine still answers itself
    console = debugger.panels["Debug console"]
    box = console.input
    qtbot.keyClicks(box, "db.exe")
    qtbot.keyClick(box, Qt.Key.Key_Tab)  # the injected Connection: jedi, from the editor's stub
    qtbot.waitUntil(console.popup_visible, timeout=TIMEOUT)
    assert console.engine == "jedi"
    assert "execute" in console.completion_names()
    qtbot.keyClicks(box, "cute")  # narrows to execute; its signature and doc beside the list
    assert console.completion_names() == ["execute"]
    doc = console.popup.doc.toPlainText()
    assert "execute(statement" in doc and "SQL statement" in doc
    qtbot.keyClick(box, Qt.Key.Key_Tab)
    assert box.text() == "db.execute" and not console.popup_visible()
    _press(qtbot, editor, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: debugger.state == "idle", timeout=TIMEOUT)
    assert window.run_panel.last_result["outcome"] == "ok"


def _type_line_after_def(qtbot, editor, text="started = True"):
    """Return at the end of `def login(...):` and a statement: every line below moves down one."""
    editor.goto_line(1, len("def login(email, password, callback):") + 1)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, text)


def test_a_breakpoint_follows_its_code_into_the_run_and_the_saved_file(make_window, project, qtbot):
    from app.domain.breakpoints import LineBreakpoint
    from app.domain.project import load_project

    window = _window(make_window, project)
    debugger = window.debugger
    debugger.set_breakpoint("login", 4, "row is not None")  # the bcrypt check
    editor = window.docs["login"].editor
    _type_line_after_def(qtbot, editor)
    assert editor.breakpoints == {5}
    assert debugger.breakpoints["login"] == {5: LineBreakpoint(5, "row is not None")}

    window.run_panel.form("login").set_value(ALICE)
    qtbot.keyClick(editor, Qt.Key.Key_F5)  # the run uses the edited text and the moved line
    qtbot.waitUntil(lambda: debugger.state == "paused", timeout=TIMEOUT)
    assert (debugger.last_stop.line, editor.debug_line) == (5, 5)
    assert "bcrypt.checkpw" in editor.document().findBlockByNumber(4).text()
    qtbot.keyClick(editor, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: debugger.state == "idle", timeout=TIMEOUT)
    assert window.run_panel.last_result["outcome"] == "ok"

    # the file keeps the lines of the script on disk until the script is saved
    assert load_breakpoints(project)["login"] == {4: LineBreakpoint(4, "row is not None")}
    qtbot.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not window.docs["login"].modified
    assert load_breakpoints(project)["login"] == {5: LineBreakpoint(5, "row is not None")}
    assert window.close()
    again = _window(make_window, load_project(project.root))  # the project reopened
    assert again.docs["login"].editor.breakpoints == {5}
    assert again.debugger.breakpoints["login"][5].condition == "row is not None"


def test_deleting_a_breakpoint_line_deletes_it_and_undo_restores_it_with_its_hit_count(make_window, project, qtbot):
    from app.domain.breakpoints import LineBreakpoint

    window = _window(make_window, project)
    debugger = window.debugger
    debugger.set_breakpoint("login", 6, hit=">=2")  # log.info(...)
    editor = window.docs["login"].editor

    def delete_line_6() -> None:
        cursor = editor.textCursor()
        cursor.setPosition(editor.document().findBlockByNumber(5).position())
        cursor.setPosition(editor.document().findBlockByNumber(6).position(), cursor.MoveMode.KeepAnchor)
        editor.setTextCursor(cursor)
        qtbot.keyClick(editor, Qt.Key.Key_Delete)

    delete_line_6()
    assert editor.breakpoints == set() and debugger.breakpoints["login"] == {}
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.breakpoints == {6}
    assert debugger.breakpoints["login"] == {6: LineBreakpoint(6, None, ">=2")}
    assert load_breakpoints(project)["login"] == {6: LineBreakpoint(6, None, ">=2")}
    delete_line_6()
    qtbot.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert load_breakpoints(project) == {}  # saved without that line: the breakpoint is gone


def test_edits_closed_without_saving_leave_breakpoints_where_the_saved_script_has_them(
        make_window, project, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from app.domain.breakpoints import LineBreakpoint

    window = _window(make_window, project)
    window.debugger.set_breakpoint("login", 6, "email")
    editor = window.docs["login"].editor
    _type_line_after_def(qtbot, editor)
    window.debugger.toggle_breakpoint("login", 2)  # on the unsaved line: goes with the edits
    assert editor.breakpoints == {2, 7}
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    window.docs["login"].flush_lint()  # (a lint still waiting when the tab closes would find no editor)
    assert window.close_tab(window.tabs.indexOf(editor))
    assert load_breakpoints(project)["login"] == {6: LineBreakpoint(6, "email")}
    qtbot.waitUntil(lambda: window.debugger.breakpoints["login"] == {6: LineBreakpoint(6, "email")}, timeout=5000)
    reopened = window.open_script("login").editor
    assert reopened.breakpoints == {6}
    assert "log.info" in reopened.document().findBlockByNumber(5).text()


def test_lines_typed_while_paused_do_not_shift_the_breakpoints_of_the_paused_run(make_window, project, qtbot):
    window = _window(make_window, project)
    window.debugger.toggle_breakpoint("login", 6)  # log.info(...)
    editor, debugger = _start(window, qtbot, line=2)
    assert debugger.last_stop.line == 2
    _type_line_after_def(qtbot, editor)
    assert editor.breakpoints == {3, 7}
    qtbot.keyClick(editor, Qt.Key.Key_F5)  # the paused run still has the text it started with
    qtbot.waitUntil(lambda: debugger.state == "paused" and debugger.last_stop.line == 6, timeout=TIMEOUT)
    assert debugger.last_stop.reason == "breakpoint"  # old line 6 is log.info(...); 7 would be the return
    qtbot.keyClick(editor, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: debugger.state == "idle", timeout=TIMEOUT)
    qtbot.keyClick(editor, Qt.Key.Key_F5)  # a new run has the edited text: the moved lines
    qtbot.waitUntil(lambda: debugger.state == "paused", timeout=TIMEOUT)
    assert debugger.last_stop.line == 3
    qtbot.keyClick(editor, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: debugger.state == "paused" and debugger.last_stop.line == 7, timeout=TIMEOUT)
    qtbot.keyClick(editor, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: debugger.state == "idle", timeout=TIMEOUT)
    assert window.run_panel.last_result["outcome"] == "ok"
