"""The conventions a VS Code or PyCharm user expects: a Run / Debug / Stop toolbar that grows
Continue and the stepping buttons while debugging, a Debug menu before Help with Stop in it,
Ctrl+W, Ctrl+P (go to script), Ctrl+= / Ctrl+- / Ctrl+0 zoom, F5 / Ctrl+F5 / Shift+F5 / F9 / F10 /
F11 / Shift+F11."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QToolButton

from app.engine.runner import RunnerClient

ALICE = {"email": "alice@example.com", "password": "wonderland-42"}
TIMEOUT = 30000


def _buttons(window) -> dict[str, QToolButton]:
    """The toolbar's visible buttons by their text (without the symbol)."""
    found = {}
    for action in window.toolbar.actions():
        button = window.toolbar.widgetForAction(action)
        if isinstance(button, QToolButton) and action.isVisible():
            found[button.text().split(" ", 1)[-1]] = button
    return found


def _shortcuts(window) -> dict[str, set[str]]:
    return {a.text(): {s.toString() for s in a.shortcuts()} for a in window.findChildren(type(window.run_action))}


def test_the_toolbar_runs_debugs_steps_and_stops(make_window, project, qtbot):
    window = make_window(project, runner_factory=lambda p, **kw: RunnerClient(p, use_spare=False, **kw))
    assert set(_buttons(window)) == {"Run", "Debug", "Stop"}
    assert not _buttons(window)["Stop"].isEnabled()

    editor = window.docs["login"].editor
    editor.goto_line(4)
    window.debugger.toggle_breakpoint()
    window.run_panel.form("login").set_value(ALICE)
    qtbot.mouseClick(_buttons(window)["Debug"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.debugger.state == "paused", timeout=TIMEOUT)
    buttons = _buttons(window)
    assert {"Continue", "Step over", "Step into", "Step out", "Stop"} <= set(buttons)
    assert buttons["Step over"].isEnabled() and buttons["Stop"].isEnabled()
    assert not buttons["Run"].isEnabled(), "one run at a time"
    assert window.run_panel.stop_button.isEnabled(), "the Run panel's Stop ends a paused session too"

    qtbot.mouseClick(buttons["Step over"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.debugger.state == "paused" and window.debugger.last_stop.line == 6,
                    timeout=TIMEOUT)
    qtbot.mouseClick(_buttons(window)["Stop"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.debugger.state == "idle", timeout=TIMEOUT)
    assert set(_buttons(window)) == {"Run", "Debug", "Stop"}, "the stepping buttons go with the session"

    qtbot.mouseClick(_buttons(window)["Run"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: (window.run_panel.last_result or {}).get("outcome") == "ok", timeout=TIMEOUT)


def test_debug_menu_sits_before_help_and_holds_stop(make_window, project):
    window = make_window(project)
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus.index("&Debug") == menus.index("&Help") - 1
    debug = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Debug")
    entries = {a.text(): a for a in debug.actions()}
    assert entries["&Stop"] is window.stop_action
    shortcuts = _shortcuts(window)
    expected = {"Start debugging / &continue": "F5", "&Run script": "Ctrl+F5", "&Stop": "Shift+F5",
                "Toggle &breakpoint": "F9", "Step &over": "F10", "Step &into": "F11", "Step o&ut": "Shift+F11",
                "&Close tab": "Ctrl+W", "&Go to script…": "Ctrl+P", "Zoom &in": "Ctrl+=", "Zoom &out": "Ctrl+-",
                "Reset &zoom": "Ctrl+0"}
    for text, key in expected.items():
        assert QKeySequence(key).toString() in shortcuts[text], (text, shortcuts[text])


def test_ctrl_w_closes_the_current_tab(make_window, project, qtbot):
    window = make_window(project)
    window.open_script("get_user")
    assert window.tabs.count() == 2
    qtbot.keyClick(window.docs["get_user"].editor, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert "get_user" not in window.docs and window.tabs.count() == 1


def test_ctrl_p_picks_a_script_by_a_few_letters(make_window, project, qtbot):
    window = make_window(project)
    qtbot.keyClick(window.docs["login"].editor, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    picker = QApplication.activePopupWidget()
    assert picker is not None and picker.objectName() == "quickOpen"
    qtbot.keyClicks(picker.query, "gtu")  # Get User, letters in order
    assert picker.list.currentItem().text().startswith("Get User")
    assert picker.list.count() == 1
    qtbot.keyClick(picker.query, Qt.Key.Key_Return)
    assert window.current_doc().key == "get_user"
    assert QApplication.activePopupWidget() is None


def test_zoom_keys_resize_every_editor_and_are_remembered(make_window, project, qtbot):
    window = make_window(project)
    editor = window.docs["login"].editor
    size = editor.font().pointSizeF()
    qtbot.keyClick(editor, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(editor, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert editor.font().pointSizeF() == size + 2
    other = window.open_script("get_user").editor
    assert other.font().pointSizeF() == size + 2, "a newly opened editor starts at the zoom"
    qtbot.keyClick(other, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert editor.font().pointSizeF() == size + 1 and other.font().pointSizeF() == size + 1
    again = make_window(project)
    assert again.docs["login"].editor.font().pointSizeF() == size + 1, "remembered for the next window"
    qtbot.keyClick(again.docs["login"].editor, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert again.docs["login"].editor.font().pointSizeF() == size
