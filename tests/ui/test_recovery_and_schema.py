"""Unsaved edits survive a crash; the Schema panel lists tables and inserts names."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.domain.project import load_project
from app.ui import recovery


def test_unsaved_edits_are_autosaved_and_offered_after_a_crash(make_window, project, monkeypatch):
    window = make_window(project)
    window.docs["login"].editor.insertPlainText("# typed before the crash\n")
    window.autosave()  # what the timer does every few seconds
    # a crash: the window never closes cleanly, so the autosave stays
    assert [b.script for b in recovery.pending(project.root)] == ["login"]

    asked = []

    def question(parent, title, text, *args, **kw):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    again = make_window(load_project(project.root))
    assert again.offer_recovery() == 1
    assert asked and "login.py" in asked[0]
    doc = again.docs["login"]
    assert doc.text().startswith("# typed before the crash\n")
    assert doc.modified  # recovered text is not on disk until the user saves
    assert "# typed before the crash" not in project.read_script("login")


def test_discarding_a_recovery_removes_it(make_window, project, monkeypatch):
    recovery.store(project.root, "login", "# stale\n")
    monkeypatch.setattr(QMessageBox, "question",
                        staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    window = make_window(project)
    assert window.offer_recovery() == 0
    assert recovery.pending(project.root) == []
    assert not window.docs["login"].text().startswith("# stale")


def test_saving_or_a_clean_close_leaves_nothing_to_recover(make_window, project):
    window = make_window(project)
    window.docs["login"].editor.insertPlainText("# soon saved\n")
    window.autosave()
    window.save_current()
    assert recovery.pending(project.root) == []


def test_schema_panel_lists_tables_and_double_click_inserts_the_name(make_window, project, qtbot):
    window = make_window(project)
    with qtbot.waitSignal(window.schema_panel.loaded, timeout=20_000):
        window.docks["Schema"].show()  # loads on first show, off the GUI thread
    tree = window.schema_panel.tree
    tables = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert tables == ["users"]
    users = tree.topLevelItem(0)
    columns = [users.child(i).text(0) for i in range(users.childCount())]
    assert columns == ["id", "email", "password_hash", "migrated"]
    editor = window.docs["login"].editor
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    users.setExpanded(True)
    rect = tree.visualItemRect(users.child(1))
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert editor.toPlainText().endswith("email")


def test_schema_panel_explains_a_database_it_cannot_read(make_window, project, qtbot):
    (project.root / "legacy.db").unlink()
    window = make_window(project)
    with qtbot.waitSignal(window.schema_panel.loaded, timeout=20_000):
        window.docks["Schema"].show()
    assert window.schema_panel.status.text().startswith("Cannot read the schema: no SQLite database file")


def test_recovered_buffers_keep_breakpoints_on_their_code(make_window, project, monkeypatch):
    """The crash-recovered text has two new lines above the breakpoints: they move with their code
    instead of staying at the saved line numbers (UX review shot 07)."""
    from app.domain.breakpoints import LineBreakpoint, save_breakpoints

    saved = project.read_script("login").split("\n")
    target = next(i for i, line in enumerate(saved, 1) if "row = db.execute" in line)
    save_breakpoints(project, {"login": {target: LineBreakpoint(target, "email", None)}})
    recovered = "# typed before the crash\n# and another line\n" + project.read_script("login")
    recovery.store(project.root, "login", recovered)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))
    window = make_window(load_project(project.root))
    assert window.offer_recovery() == 1
    doc = window.docs["login"]
    assert doc.text() == recovered and doc.modified
    assert doc.editor.breakpoints == {target + 2}
    assert "row = db.execute" in doc.text().split("\n")[target + 1]
    bp = window.debugger.breakpoints["login"][target + 2]
    assert bp.condition == "email"  # the record moved, condition and all
    doc.editor.undo()  # the recovery is one edit: undoing it brings the saved text and lines back
    assert doc.text() == project.read_script("login") and doc.editor.breakpoints == {target}
