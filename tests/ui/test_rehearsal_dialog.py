"""Run → Rehearse migration… tells the truth (issue 18, UX review problem 5): after Cancel it counts
only the users it reached, it runs the editor's unsaved Get User and says so, a result turns stale
when the database or Get User changes, and a failed user opens in the Run form or the debugger."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt

from app.engine.sample import generate_legacy_db
from app.engine.scaffold import create_project
from app.ui.panels.flow_panel import open_rehearsal
from app.ui.rehearsal_dialog import RehearsalDialog

SLOW = "import time\n\n\ndef get_user(email, callback):\n    time.sleep(0.003)"


def _project(tmp_path, users=200, dirty=False):
    project = create_project(tmp_path / "p", mode="migration")
    generate_legacy_db(project.root / "legacy.db", users=users, dirty=dirty)
    return project


def _finish(qtbot, dialog):
    qtbot.waitUntil(lambda: not dialog.running, timeout=120_000)
    return dialog.report


def test_a_cancelled_rehearsal_says_how_many_users_it_covered_and_nothing_more(qtbot, tmp_path):
    project = _project(tmp_path, users=3000)
    project.write_script("get_user", project.read_script("get_user").replace(
        "def get_user(email, callback):", SLOW))
    dialog = RehearsalDialog(project)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start()
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=60_000)
    assert "users/s" in dialog.rate_label.text() and "left" in dialog.rate_label.text()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    report = _finish(qtbot, dialog)
    assert report.cancelled and 0 < report.users < 3000
    summary = dialog.summary.text()
    assert f"Cancelled after {report.users:,} of 3,000 users" in summary
    assert f"The other {3000 - report.users:,} users were not checked" in summary
    assert "migrate cleanly" not in summary and "cancelled" in dialog.rate_label.text()


def test_the_editor_text_of_an_unsaved_get_user_is_what_runs_and_the_dialog_says_so(qtbot, tmp_path):
    project = _project(tmp_path)
    unsaved = project.read_script("get_user").replace(
        "def get_user(email, callback):", "def get_user(email, callback):\n    raise KeyError('typed, not saved')")
    editor = {"text": unsaved, "modified": True}
    dialog = RehearsalDialog(project, source_provider=lambda: (editor["text"], editor["modified"]))
    qtbot.addWidget(dialog)
    dialog.show()
    assert "unsaved changes" in dialog.source_label.text() and "editor's text" in dialog.source_label.text()
    dialog.limit.setValue(20)
    dialog.start()
    report = _finish(qtbot, dialog)
    assert report.script == "editor" and report.by_code == {"error": 20}
    assert "typed, not saved" in dialog.failures.item(0, 3).text()
    assert "editor's unsaved text" in dialog.rate_label.text()
    editor["modified"] = False  # saved (the file still has the old text: this test never wrote it)
    dialog.check_stale()
    assert "saved Get User" in dialog.source_label.text()


def test_a_result_is_marked_stale_when_the_database_or_get_user_changes(qtbot, tmp_path):
    project = _project(tmp_path)
    dialog = RehearsalDialog(project)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.limit.setValue(20)
    dialog.start()
    _finish(qtbot, dialog)
    assert dialog.check_stale() is None and not dialog.stale_label.isVisible()
    with sqlite3.connect(project.root / "legacy.db") as db:  # e.g. a Run with Commit, or another tool
        db.execute("UPDATE users SET nickname = 'Al' WHERE id = 1")
    qtbot.waitUntil(dialog.stale_label.isVisible, timeout=5000)  # the dialog checks on its own
    assert "database changed" in dialog.stale_label.text()
    dialog.hide()
    dialog.show()  # reopened: still says so
    assert dialog.stale_label.isVisible()


def test_a_failed_user_opens_in_the_run_form_or_the_debugger(make_window, qtbot, tmp_path, monkeypatch):
    project = _project(tmp_path, users=300, dirty=True)
    window = make_window(project)
    dialog = open_rehearsal(window)
    dialog.limit.setValue(300)
    dialog.start()
    report = _finish(qtbot, dialog)
    row = next(i for i, f in enumerate(report.failures) if f.identifier)
    identifier = report.failures[row].identifier
    assert not dialog.run_form_button.isEnabled()
    dialog.failures.selectRow(row)
    assert dialog.run_form_button.isEnabled() and dialog.debug_button.isEnabled()
    qtbot.mouseClick(dialog.run_form_button, Qt.MouseButton.LeftButton)
    assert window.current_doc().key == "get_user" and window.run_panel.script == "get_user"
    assert window.run_panel.form("get_user").value() == {"email": identifier}
    started = []
    monkeypatch.setattr(window.debugger, "start_or_continue", lambda: started.append(
        (window.current_doc().key, window.run_panel.form("get_user").value())))
    other = next(i for i, f in enumerate(report.failures) if f.identifier and f.identifier != identifier)
    dialog.failures.selectRow(other)
    qtbot.mouseClick(dialog.debug_button, Qt.MouseButton.LeftButton)
    assert started == [("get_user", {"email": report.failures[other].identifier})]
    dialog.close()
