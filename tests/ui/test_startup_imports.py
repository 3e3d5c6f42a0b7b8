"""The start-up rule: opening the window never imports jedi, SQLAlchemy, keyring or the runner.
They load on worker threads after the first paint (or at the first Run), which is what keeps the
IDE's start-up and idle memory close to a bare window's (tests/benchmarks/bench_startup.py)."""

from __future__ import annotations

import os
import subprocess
import sys

HEAVY = ("jedi", "sqlalchemy", "keyring", "app.engine.runner", "app.engine.database", "app.engine.completion")


def test_importing_the_gui_and_building_the_window_stays_light(project_dir, tmp_path):
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from app.domain.project import load_project\n"
        "from app.ui.main_window import MainWindow\n"
        f"window = MainWindow(load_project({str(project_dir)!r}))\n"
        "window.show()\n"
        "app.processEvents()\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CUSTOMDB_DATA_DIR=str(tmp_path / "data"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


LATE = ("app.ui.debug_controller", "app.ui.panels.debug_panels", "app.ui.panels.flow_panel", "app.ui.reproduction",
        "app.ui.panels.trace_panel", "app.domain.traces", "app.engine.managed_store", "app.ui.panels.run_panel",
        "app.ui.panels.run_form")


def test_panels_not_on_screen_are_built_right_after_the_first_paint(project_dir, tmp_path):
    """Debugger, Flow, traces/Reproduce and the Run form are neither imported nor built before the
    first paint; right after it their docks, menus and shortcuts exist."""
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from app.domain.project import load_project\n"
        "from app.ui.main_window import MainWindow\n"
        f"window = MainWindow(load_project({str(project_dir)!r}))\n"
        "window.show()\n"
        f"print(sorted(m for m in {LATE!r} if m in sys.modules), sorted(window.docks))\n"
        "for _ in range(200):\n"
        "    app.processEvents()\n"
        "    if window.panels_installed:\n"
        "        break\n"
        f"print(sorted(m for m in {LATE!r} if m not in sys.modules))\n"
        "menus = [a.text() for a in window.menuBar().actions()]\n"
        "print(sorted(window.docks), '&Debug' in menus, window.docks['Flow'].widget() is window.flows,\n"
        "      window.docks['Run'].widget() is window._run_panel is not None)\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CUSTOMDB_DATA_DIR=str(tmp_path / "data"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    before, after, docks = out.stdout.strip().splitlines()[-3:]
    assert before == "[] ['Findings', 'Output', 'Run', 'SQL', 'Schema']"
    assert after == "[]"
    assert docks == ("['Call stack', 'Debug console', 'Findings', 'Flow', 'Output', 'Reproduce', 'Run', 'SQL', "
                     "'Schema', 'Traces', 'Variables', 'Watches'] True True True")


def test_late_docks_go_back_where_the_user_left_them(make_window, project, qtbot):
    from PySide6.QtCore import Qt

    from app.domain.project import load_project

    window = make_window(project)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, window.docks["Flow"])
    window.docks["Reproduce"].show()  # hidden by default when the project has no repro/
    window.docks["Variables"].show()
    assert window.close()
    again = make_window(load_project(project.root))  # waits until the late docks are built
    assert again.dockWidgetArea(again.docks["Flow"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert again.docks["Reproduce"].isVisible()
    assert again.docks["Variables"].isVisible()
    assert not again.docks["Watches"].isVisible()  # the debugger's other docks stay hidden


def test_asking_for_a_late_panel_before_the_first_paint_builds_it(project):
    from app.ui.main_window import MainWindow

    window = MainWindow(project)  # never shown: no paint
    try:
        assert not window.panels_installed
        assert window.docks["Traces"].widget() is window.reproduction.trace_panel
        window.debugger.toggle_breakpoint("login", 2)
        assert window.docs["login"].editor.breakpoints == {2}
    finally:
        window.controller.shutdown()
        window.deleteLater()


def test_a_window_closed_before_its_late_docks_exist_keeps_their_places(make_window, project, qtbot):
    from PySide6.QtCore import Qt

    from app.domain.project import load_project
    from app.ui.main_window import MainWindow

    window = make_window(project)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, window.docks["Flow"])
    window.docks["Reproduce"].show()
    assert window.close()
    quick = MainWindow(load_project(project.root))  # closed before its first paint
    quick.save_layout()
    assert not quick.panels_installed  # saving did not build them: Qt kept their saved places
    quick.controller.shutdown()
    quick.deleteLater()
    again = make_window(load_project(project.root))
    assert again.dockWidgetArea(again.docks["Flow"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert again.docks["Reproduce"].isVisible()
