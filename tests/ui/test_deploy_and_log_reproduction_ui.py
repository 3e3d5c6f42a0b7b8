"""What a customer sends, in the IDE: a tenant log explained in Traces and reproduced from the Run
form as a dry run; a Deploy CLI export opened as a project and written back."""

from __future__ import annotations

import json

from app.ui import deploy_actions
from tests.deploy_support import tree, write_directory_export

LOG = ("2026-11-24T10:00:00Z Request to Webtask exceeded allowed execution time\n"
       + json.dumps({"date": "2026-11-24T10:02:12Z", "type": "fp", "connection": "legacy-users",
                     "user_name": "alice@example.com", "log_id": "90"}) + "\n")



def test_a_pasted_tenant_log_is_explained_and_runs_as_a_dry_run(make_window, project, qtbot):
    window = make_window(project)
    panel = window.reproduction.trace_panel
    view = panel.diagnoses_view
    assert panel.show_text(LOG, "tenant.log") == 0  # no stack trace in it...
    assert [d.code for d in view.diagnoses] == ["execution-time-limit", "log-event"]
    assert "2 hosted message(s) explained" in panel.summary.text()
    assert not view.isHidden()
    assert not view.run_button.isEnabled()  # the time-limit line names no user
    view.tree.setCurrentItem(view.tree.topLevelItem(1))
    assert view.run_button.isEnabled() and "alice@example.com" in view.hint.text()
    window.run_panel.set_commit(True)  # even when the user had commits on, a reproduction is a dry run
    with qtbot.waitSignal(window.controller.finished, timeout=60_000) as blocker:
        assert view.reproduce()
    result = blocker.args[0]
    assert result["script"] == "login" and result["committed"] is False
    assert window.run_panel.script == "login"
    assert window.run_panel.form().value()["email"] == "alice@example.com"


def test_a_log_event_for_a_script_the_project_lacks_cannot_run(make_window, project):
    window = make_window(project)
    view = window.reproduction.trace_panel.diagnoses_view
    window.reproduction.trace_panel.show_text(json.dumps({"type": "fcp", "date": "d", "user_name": "a@b.c"}))
    assert not view.run_button.isEnabled() and "no change_password script" in view.hint.text()
    window.reproduction.trace_panel.clear()
    assert view.isHidden()


def test_save_a_log_event_as_a_case(make_window, project, qtbot, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    window = make_window(project)
    view = window.reproduction.trace_panel.diagnoses_view
    window.reproduction.trace_panel.show_text(LOG.splitlines()[1])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("alice from the log", True))
    with qtbot.waitSignal(window.controller.finished, timeout=60_000):
        assert view.save_case()
    qtbot.waitUntil(lambda: any(project.cases_dir.glob("alice*.json")), timeout=10_000)
    (saved,) = project.cases_dir.glob("alice*.json")
    case = json.loads(saved.read_text())
    assert case["script"] == "login" and case["input"]["email"] == "alice@example.com"


def test_open_a_deploy_export_in_a_new_window_then_export_it_back(make_window, project, tmp_path, close_opened):
    window = make_window(project)
    write_directory_export(tmp_path / "tickets/export", import_mode=True)
    opened = deploy_actions.open_export(window, tmp_path / "tickets/export")
    assert opened is not None and opened is not window
    assert opened.project.root == (tmp_path / "tickets/legacy-users-project").resolve()
    assert opened.project.name == "legacy-users" and str(opened.project.mode) == "migration"
    assert "DB_URL" in opened.statusBar().currentMessage()
    written = deploy_actions.export_to(opened, tmp_path / "back")
    assert written and tree(tmp_path / "back") == tree(tmp_path / "tickets/export")
    # a second import of the same export gets a folder of its own, never the first one's
    again = deploy_actions.open_export(opened, tmp_path / "tickets/export")
    assert again.project.root == (tmp_path / "tickets/legacy-users-project-2").resolve()


def test_a_broken_export_is_reported_and_opens_nothing(make_window, project, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    window = make_window(project)
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _w, title, text: shown.append(text))
    (tmp_path / "empty").mkdir()
    assert deploy_actions.open_export(window, tmp_path / "empty") is None
    assert shown and "not a Deploy CLI export" in shown[0]
    assert not any(p.name.endswith("-project") for p in tmp_path.iterdir())


def test_the_file_menu_has_the_deploy_actions(make_window, project):
    window = make_window(project)
    titles = [a.text() for a in window.reproduction.actions.values()]
    assert "Open &Deploy CLI export…" in titles and "Export for Deploy C&LI…" in titles
