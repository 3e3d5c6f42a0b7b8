"""File › New project (wizard → templates → a new window) and the Edit menu driving the editor."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.domain.project import load_project
from app.ui.dialogs.new_project import NewProjectDialog
from app.ui.main_window import MainWindow


def test_new_project_wizard_creates_a_migration_project_and_opens_it(make_window, project, tmp_path, qtbot):
    window = make_window(project)
    dialog = NewProjectDialog(window, parent_folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.name.setText("Acme Users")
    dialog.mode.setCurrentIndex(dialog.mode.findData("migration"))
    dialog.database.setCurrentIndex(dialog.database.findData("sqlite"))
    assert dialog.target.text().endswith("acme-users")
    dialog.create()
    created = tmp_path / "acme-users"
    assert dialog.created == created
    new = load_project(created)
    assert new.name == "Acme Users" and str(new.mode) == "migration"
    assert set(new.script_keys()) == {"login", "get_user", "change_password"}

    opened = window.open_project_folder(created)
    try:
        assert opened is not window and opened.windowTitle().startswith("Custom DB Studio — Acme Users")
        assert opened.tree.status("create").startswith("not used")
        assert not window.isVisible()  # the old project's window made way
    finally:
        opened.close()


def test_new_project_refuses_a_folder_that_is_not_empty(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file.txt").write_text("x")
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: warned.append(a[2])))
    dialog = NewProjectDialog(None, parent_folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.name.setText("taken")
    dialog.create()
    assert dialog.created is None and warned and "not empty" in warned[0]


def test_edit_menu_opens_find_and_go_to_line_in_the_current_editor(make_window, project, qtbot):
    window = make_window(project)
    editor = window.current_doc().editor
    window.tree.setFocus()  # the menu works wherever the focus is
    qtbot.keyClick(window.tree, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert editor.find_bar.isVisible()
    window.tree.setFocus()
    qtbot.keyClick(window.tree, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert editor.goto_bar.isVisible()


def test_recent_projects_remember_what_was_opened(make_window, project):
    from app.ui.main_window import recent_projects

    make_window(project)
    assert recent_projects()[0] == str(project.root.resolve())
    assert MainWindow.open_windows
