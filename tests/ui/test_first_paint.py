"""The first paint stays clear of PySide6's `Qt` namespace (its ~100 enums cost ~10 ms of start-up,
app/ui/first_paint.py), and the shipped default layout puts every dock where the hand-made one does
(app/ui/window_layout.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def test_the_sample_project_paints_before_anything_uses_the_qt_namespace(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CUSTOMDB_DATA_DIR=str(tmp_path / "data"),
               CUSTOMDB_CACHE_DIR=str(tmp_path / "cache"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               CUSTOMDB_EXIT_AFTER_PAINT="1")
    out = subprocess.run([sys.executable, "-m", "app"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(line.startswith("painted ") for line in lines)
    assert "qt-namespace unused" in lines


def test_a_user_saved_layout_paints_without_it_too(project_dir, tmp_path):
    """Closing the IDE saves the layout; the next start restores it on the same Qt-free path."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CUSTOMDB_DATA_DIR=str(tmp_path / "data"),
               CUSTOMDB_CACHE_DIR=str(tmp_path / "cache"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    close_at_once = (
        "from PySide6.QtWidgets import QApplication\n"
        "from app.ui.application import APPLICATION, ORGANIZATION\n"
        "app = QApplication([]); app.setOrganizationName(ORGANIZATION); app.setApplicationName(APPLICATION)\n"
        "from app.domain.project import load_project\n"
        "from app.ui.main_window import MainWindow\n"
        f"window = MainWindow(load_project({str(project_dir)!r}))\n"
        "window.show(); app.processEvents(); window.close()\n"
    )
    first = subprocess.run([sys.executable, "-c", close_at_once], env=env, capture_output=True, text=True,
                           timeout=120)
    assert first.returncode == 0, first.stderr
    saved = list((tmp_path / "config").rglob("*.conf"))
    assert saved and "window" in saved[0].read_text(encoding="utf-8"), "closing saved the layout"
    env["CUSTOMDB_EXIT_AFTER_PAINT"] = "1"
    again = subprocess.run([sys.executable, "-m", "app", str(project_dir)], env=env, capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "qt-namespace unused" in again.stdout.splitlines()


def _placement(window) -> dict[str, tuple]:
    """Each dock's area, whether it is hidden or floating, and the docks tabbed with it."""
    return {title: (window.dockWidgetArea(dock), dock.isHidden(), dock.isFloating(),
                    sorted(d.windowTitle() for d in window.tabifiedDockWidgets(dock)))
            for title, dock in window.docks.items()}


def test_the_shipped_default_layout_is_the_hand_made_one(make_window, project, monkeypatch):
    from app.ui import window_layout

    assert window_layout.default_state() is not None, "resources/layout/default-window-state.bin is shipped"
    shipped = _placement(make_window(project))
    monkeypatch.setattr(window_layout, "default_state", lambda: None)
    by_hand = _placement(make_window(project))
    assert shipped == by_hand, "regenerate it: QT_QPA_PLATFORM=offscreen python -m app.ui.window_layout"
    from PySide6.QtCore import Qt

    assert shipped["Run"][0] == Qt.DockWidgetArea.RightDockWidgetArea
    assert shipped["Output"][3] == ["Findings", "Flow", "SQL", "Traces"]  # Reproduce: hidden, no repro/
    assert shipped["Schema"][1] is True  # hidden until asked for
    for title in ("Variables", "Watches", "Call stack"):  # the debugger's, hidden until a session starts
        assert shipped[title][:2] == (Qt.DockWidgetArea.RightDockWidgetArea, True)
    assert shipped["Debug console"][:2] == (Qt.DockWidgetArea.BottomDockWidgetArea, True)


def test_a_layout_saved_by_an_older_version_gives_way_to_the_default(make_window, project):
    from PySide6.QtCore import QSettings, Qt

    first = make_window(project)
    first.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, first.docks["Run"])
    QSettings().setValue("window/state", first.saveState(0))  # what builds before layout version 2 saved
    again = make_window(project)
    assert again.dockWidgetArea(again.docks["Run"]) == Qt.DockWidgetArea.RightDockWidgetArea


def test_without_the_default_layout_file_the_docks_are_placed_by_hand(make_window, project, monkeypatch, tmp_path):
    from PySide6.QtCore import Qt

    from app.ui import window_layout

    monkeypatch.setattr(window_layout, "DEFAULT_STATE", tmp_path / "missing.bin")
    window = make_window(project)
    assert window.dockWidgetArea(window.docks["Output"]) == Qt.DockWidgetArea.BottomDockWidgetArea
    assert window.dockWidgetArea(window.docks["Run"]) == Qt.DockWidgetArea.RightDockWidgetArea
    assert window.docks["Output"].isVisible()


@pytest.mark.parametrize("text", ["Ctrl+S", "Ctrl+Z"])
def test_menu_shortcuts_work_from_the_first_paint(make_window, project, text):
    """The first binding of each action is set before the paint; the platform's others right after."""
    from PySide6.QtGui import QKeySequence

    window = make_window(project)
    shortcuts = {s.toString() for a in window.findChildren(type(window.save_action)) for s in a.shortcuts()}
    assert QKeySequence(text).toString() in shortcuts
