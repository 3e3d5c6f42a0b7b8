"""Debugging a JavaScript script through the IDE with the keyboard: F9 breakpoint, F5 start,
F10/F11/Shift+F11 stepping, Shift+F5 stop; the current line and the variables of the Node frame."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.engine.runner import RunnerClient
from tests.js_support import require_node
from tests.node_host_support import LOGIN_JS, make_js_project

ALICE = {"email": "alice@example.com", "password": "wonderland-42"}
TIMEOUT = 30000


@pytest.fixture
def window(make_window, tmp_path):
    require_node()
    project = make_js_project(tmp_path / "jsdbg", {"login": LOGIN_JS})
    return make_window(project, runner_factory=lambda p, **kw: RunnerClient(p, use_spare=False, **kw))


def _start(window, qtbot, line):
    editor = window.docs["login"].editor
    editor.goto_line(line)
    qtbot.keyClick(editor, Qt.Key.Key_F9)
    window.run_panel.form("login").set_value(ALICE)
    qtbot.keyClick(editor, Qt.Key.Key_F5)
    debugger = window.debugger
    qtbot.waitUntil(lambda: debugger.state == "paused", timeout=TIMEOUT)
    return editor, debugger


def _paused_on(debugger, line):
    return lambda: debugger.state == "paused" and debugger.last_stop.line == line


def test_keyboard_debugging_of_a_javascript_login(window, qtbot):
    editor, debugger = _start(window, qtbot, 7)
    assert editor.breakpoints == {7} and editor.debug_line == 7
    variables = debugger.panels["Variables"]
    qtbot.waitUntil(lambda: "row" in variables.values(), timeout=TIMEOUT)
    assert variables.values()["email"] == '"alice@example.com"'
    assert debugger.panels["Call stack"].frames()[0] == "login  line 7"

    qtbot.keyClick(editor, Qt.Key.Key_F10)
    qtbot.waitUntil(_paused_on(debugger, 8), timeout=TIMEOUT)
    qtbot.keyClick(editor, Qt.Key.Key_F10)
    qtbot.waitUntil(_paused_on(debugger, 9), timeout=TIMEOUT)
    assert editor.debug_line == 9 and "hash" in variables.values()
    qtbot.keyClick(editor, Qt.Key.Key_F11)
    qtbot.waitUntil(_paused_on(debugger, 10), timeout=TIMEOUT)
    qtbot.keyClick(editor, Qt.Key.Key_F11, Qt.KeyboardModifier.ShiftModifier)  # out of the entry: the run ends
    qtbot.waitUntil(lambda: debugger.state == "idle", timeout=TIMEOUT)
    assert editor.debug_line is None
    assert window.run_panel.last_result["outcome"] == "ok"


def test_shift_f5_stops_a_paused_javascript_script(window, qtbot):
    editor, debugger = _start(window, qtbot, 6)
    qtbot.keyClick(editor, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: debugger.state == "idle", timeout=TIMEOUT)
    assert window.run_panel.last_result["error"]["type"] == "Stopped"
