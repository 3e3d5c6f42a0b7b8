"""The window on a laptop screen: debugging never pushes it past a 1366×768 screen, the editor is the
largest area, every panel is in View and reachable, View → Reset layout, and the panels that need
height (Flow) get it while in front."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QTabBar

from app.engine.runner import RunnerClient
from app.ui import window_layout

ALICE = {"email": "alice@example.com", "password": "wonderland-42"}
LAPTOP = (1366, 768)
TIMEOUT = 30000


def _laptop_window(make_window, project):
    window = make_window(project, runner_factory=lambda p, **kw: RunnerClient(p, use_spare=False, **kw))
    window.resize(*window_layout.first_size(LAPTOP))  # what fit_to_screen gives on that screen
    window_layout.default_sizes(window)
    return window


def _debug_to_breakpoint(window, qtbot, line=4):
    editor = window.docs["login"].editor
    editor.goto_line(line)
    qtbot.keyClick(editor, Qt.Key.Key_F9)
    window.run_panel.form("login").set_value(ALICE)
    qtbot.keyClick(editor, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.debugger.state == "paused", timeout=TIMEOUT)
    qtbot.wait(50)  # the layout settles a turn after the docks appear


def _inside(window, widget) -> bool:
    """The widget is shown and lies entirely within the window."""
    if not widget.isVisible() or widget.width() == 0 or widget.height() == 0:
        return False
    rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    return window.rect().contains(rect)


def _tab_of(window, dock):
    """The dock tab (of a tab group shown in the window) that brings `dock` to the front, if any."""
    for bar in window.findChildren(QTabBar):
        if bar.parent() is window and bar.isVisible():
            for i in range(bar.count()):
                if bar.tabText(i) == dock.windowTitle() and _inside(window, bar):
                    return bar, i
    return None


def test_debugging_on_a_1366x768_screen_keeps_the_window_and_every_panel_on_it(make_window, project, qtbot):
    window = _laptop_window(make_window, project)
    size = window.size()
    _debug_to_breakpoint(window, qtbot)

    allowed = window_layout.first_size(LAPTOP)
    hint = window.minimumSizeHint()
    assert hint.width() <= allowed[0] and hint.height() <= allowed[1], hint  # never forced taller than the screen
    assert window.size() == size, "the window did not grow"
    for title in window_layout.DEBUG_PANELS:
        assert not window.docks[title].isHidden(), f"{title} came into view"
    assert window.docks["Variables"].isVisible() and window.docks["Debug console"].isVisible()
    for title, dock in window.docks.items():
        if dock.isHidden():
            continue  # not part of this layout now (Schema, Reproduce): View lists it (test below)
        reachable = _inside(window, dock.widget()) or _tab_of(window, dock) is not None
        assert reachable, f"{title} is neither on screen nor one tab click away"
    console = window.debugger.panels["Debug console"]
    assert _inside(window, console.input), "the debug console's input is on screen"
    assert _inside(window, window.statusBar())
    assert _tab_of(window, window.docks["Output"]) is not None, "Output is one click away"
    qtbot.waitUntil(lambda: "row" in window.debugger.panels["Variables"].values(), timeout=TIMEOUT)

    bar, index = _tab_of(window, window.docks["Output"])
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert _inside(window, window.docks["Output"].widget())  # one click, and it is there
    window.debugger.stop()
    qtbot.waitUntil(lambda: window.debugger.state == "idle", timeout=TIMEOUT)


def test_the_editor_is_the_largest_area_on_laptop_screens(make_window, project, qtbot):
    window = make_window(project)
    for screen in ((1280, 800), LAPTOP):
        window.resize(*window_layout.first_size(screen))
        window_layout.reset(window)
        qtbot.wait(50)
        editor = window.current_doc().editor
        area = editor.width() * editor.height()
        for title, dock in window.docks.items():
            if dock.isVisible():
                assert dock.width() * dock.height() < area, f"{title} is larger than the editor at {screen}"
        assert editor.width() > window.docks["Run"].width(), "the code is wider than the Run panel"
        columns = editor.viewport().width() // editor.fontMetrics().horizontalAdvance("x")
        assert columns >= 72, f"{columns} columns of code at {screen}"


def test_every_panel_is_in_view_and_reset_layout_puts_them_back(make_window, project, qtbot):
    window = make_window(project)
    in_view = {a.text() for a in window.view.actions()}
    assert set(window.docks) <= in_view, set(window.docks) - in_view  # the debugger's panels too
    assert "&Reset layout" in in_view

    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, window.docks["Run"])
    window.docks["Output"].setFloating(True)
    window.docks["SQL"].close()
    window.docks["Watches"].toggleViewAction().trigger()  # View → Watches brings a closed panel back
    assert not window.docks["Watches"].isHidden()
    window.reset_layout_action.trigger()
    qtbot.wait(20)
    assert window.dockWidgetArea(window.docks["Run"]) == Qt.DockWidgetArea.RightDockWidgetArea
    assert not window.docks["Output"].isFloating() and window.docks["Output"].isVisible()
    assert not window.docks["SQL"].isHidden()
    assert window.docks["Watches"].isHidden(), "debug panels wait for a debug session again"
    assert window.dockWidgetArea(window.docks["Variables"]) == Qt.DockWidgetArea.RightDockWidgetArea
    assert {d.windowTitle() for d in window.tabifiedDockWidgets(window.docks["Output"])} >= {"SQL", "Findings",
                                                                                             "Flow", "Traces"}


def test_flow_gets_half_the_height_while_in_front(make_window, project, qtbot):
    window = make_window(project)
    window.resize(*window_layout.first_size(LAPTOP))
    window_layout.reset(window)
    qtbot.wait(20)
    compact = window.docks["Output"].height()
    assert compact < window.height() * 0.35
    window.docks["Flow"].raise_()
    qtbot.waitUntil(lambda: window.docks["Flow"].height() >= window.height() * 0.45, timeout=2000)
    assert window.flows.diagram.height() >= 150, "the diagram has room to be read"
    window.docks["Output"].raise_()
    qtbot.waitUntil(lambda: abs(window.docks["Output"].height() - compact) <= 8, timeout=2000)


def test_the_first_window_fits_a_1366x768_screen(project_dir, tmp_path):
    """A real 1366×768 screen (the offscreen platform's screen configuration): the default window
    is not taller than the screen and its minimum size fits it."""
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": LAPTOP[0],
                                               "height": LAPTOP[1], "logicalDpi": 96, "dpr": 1}]}))
    probe = (
        "import json, os\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from app.domain.project import load_project\n"
        "from app.ui.main_window import MainWindow\n"
        f"w = MainWindow(load_project({str(project_dir)!r})); w.show(); app.processEvents()\n"
        "area = app.primaryScreen().availableGeometry()\n"
        "print(json.dumps({'screen': [area.width(), area.height()], 'frame': list(w.frameGeometry().getRect()),\n"
        "                  'min': [w.minimumSizeHint().width(), w.minimumSizeHint().height()]}))\n"
        "os._exit(0)\n")
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}", CUSTOMDB_DATA_DIR=str(tmp_path / "d"),
               CUSTOMDB_CACHE_DIR=str(tmp_path / "c"), XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["screen"] == list(LAPTOP)
    x, y, width, height = seen["frame"]
    assert x >= 0 and y >= 0 and x + width <= LAPTOP[0] and y + height <= LAPTOP[1], seen
    assert seen["min"][1] <= LAPTOP[1] - window_layout.FRAME_ALLOWANCE[1]
