"""The main window as a user meets it: tree, tabs, live findings, save, close, layout, disk changes."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QMessageBox

from app.domain.project import load_project


def wait_lint(qtbot, window, key, predicate):
    """Flush the debounce and wait until the findings of `key` satisfy `predicate`."""
    window.docs[key].flush_lint()
    qtbot.waitUntil(lambda: predicate(window.findings_panel.findings(key)), timeout=5000)


def test_title_tree_and_login_open_at_start(make_window, project):
    window = make_window(project)
    assert window.windowTitle().startswith("Custom DB Studio — UI test")
    assert window.tree.status("login") == "required"
    assert window.tree.status("verify") == "optional (missing)"
    assert window.tabs.tabText(window.tabs.currentIndex()) == "login.py"
    assert "SELECT id, email" in window.current_doc().text()


def test_tree_counts_findings_of_scripts_that_are_not_open(make_window, project, qtbot):
    project.write_script("get_user", "get_user = lambda email, callback: callback(None)\n")
    window = make_window(project)
    qtbot.waitUntil(lambda: window.tree.findings_count("get_user") == "1", timeout=10_000)
    qtbot.waitUntil(lambda: window.tree.findings_count("login") == "0", timeout=10_000)  # the open tab lints itself
    assert "get_user" not in window.docs


def test_migration_mode_marks_scripts_not_used(make_window, project):
    project.mode = "migration"
    window = make_window(project)
    assert window.tree.status("create").startswith("not used")
    assert window.tree.status("get_user") == "required"


def test_enter_on_tree_item_opens_the_script(make_window, project, qtbot):
    window = make_window(project)
    window.tree.setFocus()
    window.tree.setCurrentItem(window.tree.items["get_user"])
    qtbot.keyClick(window.tree, Qt.Key.Key_Return)
    assert window.current_doc().key == "get_user"
    assert window.tabs.count() == 2


def test_typing_a_concatenated_query_shows_a_finding_in_panel_and_tree(make_window, project, qtbot):
    window = make_window(project)
    editor = window.docs["login"].editor
    cursor = editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    editor.setTextCursor(cursor)
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, 'rows = db.execute(text("SELECT * FROM users WHERE email = \'" + EMAIL + "\'"))')
    wait_lint(qtbot, window, "login", lambda fs: any(f.code == "sql-string-concat" for f in fs))
    finding = next(f for f in window.findings_panel.findings("login") if f.code == "sql-string-concat")
    assert finding.line == 9
    assert int(window.tree.findings_count("login")) >= 1
    # the editor underlines the same finding
    assert any(f.code == "sql-string-concat" for f in editor.findings())


def test_clicking_a_finding_jumps_to_its_line(make_window, project, qtbot):
    project.write_script("get_user", "x = 1\n\n\ndef get_user(email, callback):\n    callback(None, {'user_id': 'a|' + email})\n"
                         "    db.execute(text('SELECT * FROM t WHERE e = ' + email))\n")
    window = make_window(project)
    window.open_script("get_user")
    wait_lint(qtbot, window, "get_user", lambda fs: any(f.code == "sql-string-concat" for f in fs))
    window.open_script("login")
    window.docks["Findings"].raise_()
    tree = window.findings_panel.tree
    item = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                if tree.topLevelItem(i).text(3) == "sql-string-concat")
    rect = tree.visualItemRect(item)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    doc = window.current_doc()
    assert doc.key == "get_user"
    assert doc.editor.textCursor().blockNumber() + 1 == 6


def test_ctrl_s_saves_the_file(make_window, project, qtbot):
    window = make_window(project)
    editor = window.docs["login"].editor
    editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(editor, "# saved by ctrl+s")
    assert window.docs["login"].modified and window.isWindowModified()
    qtbot.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert project.read_script("login").endswith("# saved by ctrl+s")
    assert not window.docs["login"].modified
    assert not window.isWindowModified()


def test_toggle_comment_with_ctrl_slash_is_one_undo_step(make_window, project, qtbot):
    window = make_window(project)
    editor = window.docs["login"].editor
    original = editor.toPlainText()
    editor.moveCursor(QTextCursor.MoveOperation.Start)
    qtbot.keyClick(editor, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    assert editor.toPlainText().splitlines()[0].startswith("# def login")
    editor.undo()
    assert editor.toPlainText() == original


def _answer(monkeypatch, button):
    asked = []

    def question(parent, title, text, *args, **kw):
        asked.append(text)
        return button

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def test_closing_with_unsaved_changes_asks_and_cancel_keeps_the_window(make_window, project, qtbot, monkeypatch):
    window = make_window(project)
    window.docs["login"].editor.insertPlainText("# unsaved\n")
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    assert not window.close()
    assert asked and "login.py" in asked[0]
    assert window.isVisible()
    assert "# unsaved" not in project.read_script("login")


def test_closing_with_save_writes_the_file(make_window, project, monkeypatch):
    window = make_window(project)
    window.docs["login"].editor.insertPlainText("# kept\n")
    _answer(monkeypatch, QMessageBox.StandardButton.Save)
    assert window.close()
    assert project.read_script("login").startswith("# kept\n")


def test_closing_with_discard_leaves_the_file_alone(make_window, project, monkeypatch):
    before = project.read_script("login")
    window = make_window(project)
    window.docs["login"].editor.insertPlainText("# dropped\n")
    _answer(monkeypatch, QMessageBox.StandardButton.Discard)
    assert window.close()
    assert project.read_script("login") == before


def test_window_geometry_and_docks_are_restored(make_window, project, qtbot):
    window = make_window(project)
    window.resize(700, 520)
    window.docks["Run"].hide()
    assert window.close()
    assert QSettings().value("window/geometry") is not None
    again = make_window(load_project(project.root))
    assert again.size().width() == 700
    assert not again.docks["Run"].isVisible()


def test_file_changed_on_disk_reloads_a_clean_buffer(make_window, project, qtbot):
    window = make_window(project)
    (project.root / "scripts" / "login.py").write_text("# edited elsewhere\n", encoding="utf-8")
    qtbot.waitUntil(lambda: window.docs["login"].text() == "# edited elsewhere\n", timeout=5000)
    assert not window.docs["login"].modified


def test_file_changed_on_disk_with_unsaved_edits_asks_and_keep_keeps_them(make_window, project, qtbot,
                                                                           monkeypatch):
    window = make_window(project)
    window.docs["login"].editor.insertPlainText("# mine\n")
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Ignore)
    (project.root / "scripts" / "login.py").write_text("# theirs\n", encoding="utf-8")
    qtbot.waitUntil(lambda: bool(asked), timeout=5000)
    assert window.docs["login"].text().startswith("# mine\n")
    assert window.docs["login"].modified


def test_saving_our_own_file_does_not_count_as_a_change_on_disk(make_window, project, qtbot, monkeypatch):
    window = make_window(project)
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Reset)
    window.docs["login"].editor.insertPlainText("# ours\n")
    window.save_current()
    qtbot.wait(400)
    assert not asked
    assert window.docs["login"].text().startswith("# ours\n")


def test_closing_a_tab_right_after_typing_lints_nothing_afterwards(make_window, project, qtbot, monkeypatch):
    """The lint debounce (300 ms) must not fire on an editor Qt has already deleted."""
    from PySide6.QtWidgets import QMessageBox

    from app.ui import documents

    linted: list[str] = []
    real = documents.lint_text
    monkeypatch.setattr(documents, "lint_text", lambda p, key, source: linted.append(key) or real(p, key, source))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    window = make_window(project)
    doc = window.docs["login"]
    # the first lint has answered (not only been started: its worker would append after the clear)
    qtbot.waitUntil(lambda: not doc._lint._timer.isActive() and doc._linted_revision >= 0, timeout=5000)
    linted.clear()
    editor = window.docs["login"].editor
    qtbot.keyClicks(editor, "x")
    assert window.close_tab(window.tabs.indexOf(editor))
    qtbot.wait(documents.LINT_DELAY_MS + 200)  # an exception in the timer's slot fails the test here
    assert linted == []
    assert "login" not in window.docs
