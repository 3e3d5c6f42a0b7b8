"""Running scripts from the Run panel through the real runner: the result, streamed logs, the SQL
trace, Stop on a hanging script, no double runs, the commit toggle and saved cases."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLineEdit, QPlainTextEdit

RUN_TIMEOUT_MS = 60_000  # a cold child imports SQLAlchemy and bcrypt; a busy 2-core machine is slow


@pytest.fixture
def window(make_window, project):
    return make_window(project)


def fill(window, **values):
    form = window.run_panel.form()
    form.set_value(values)


def run_and_wait(qtbot, window) -> dict:
    with qtbot.waitSignal(window.run_panel.result_shown, timeout=RUN_TIMEOUT_MS) as blocker:
        assert window.run_panel.run()
    return blocker.args[0]


def test_the_form_follows_the_script_kind(window):
    panel = window.run_panel
    panel.select_script("login")
    password = panel.form().fields["password"]
    assert isinstance(password, QLineEdit) and password.echoMode() == QLineEdit.EchoMode.Password
    panel.select_script("create")
    user = panel.form().fields["user"]
    assert isinstance(user, QPlainTextEdit)
    assert {"email", "password"} <= set(json.loads(user.toPlainText()))
    panel.select_script("change_email")
    assert isinstance(panel.form().fields["verified"], QCheckBox)
    assert panel.form().value() == {"email": "", "new_email": "", "verified": False}


def test_invalid_json_input_is_reported_not_run(window):
    panel = window.run_panel
    panel.select_script("create")
    panel.form().fields["user"].setPlainText("{not json")
    assert not panel.run()
    assert "not valid JSON" in panel.error_label.text()
    assert window.controller.state == "idle"


def test_login_for_alice_shows_ok_profile_sql_and_output(window, qtbot):
    panel = window.run_panel
    panel.select_script("login")
    fill(window, email="alice@example.com", password="wonderland-42")
    result = run_and_wait(qtbot, window)
    assert result["outcome"] == "ok"
    assert panel.badge.text() == "ok"
    assert panel.result_tree.rows()["user_id"] == '"legacy|1"'
    assert "log event s: Success Login" in panel.meta_label.text()
    select = [r for r in window.sql_panel.rows() if r[0].startswith("SELECT id, email, password_hash FROM users")]
    assert len(select) == 1
    assert "alice@example.com" in select[0][1] and select[0][2].endswith(" ms")
    assert "login ok for alice@example.com" in window.output_panel.text()
    assert window.controller.state == "idle" and panel.run_button.isEnabled()


def test_wrong_password_is_rejected_with_fp(window, qtbot):
    window.run_panel.select_script("login")
    fill(window, email="alice@example.com", password="nope")
    result = run_and_wait(qtbot, window)
    assert result["outcome"] == "rejected"
    assert window.run_panel.badge.text() == "rejected"
    assert result["log_event"] == "fp"


def test_the_unsaved_editor_buffer_is_what_runs(window, qtbot, project):
    editor = window.docs["login"].editor
    editor.selectAll()
    editor.insertPlainText("def login(email, password, callback):\n"
                           "    print('from the buffer')\n    callback(None, {'user_id': 'x|1'})\n")
    fill(window, email="a@b.c", password="p")
    result = run_and_wait(qtbot, window)
    assert result["outcome"] == "ok"
    assert "from the buffer" in window.output_panel.text()
    assert "from the buffer" not in project.read_script("login")  # running never saved it


def test_stop_ends_a_hanging_script_and_there_are_no_double_runs(window, qtbot):
    editor = window.docs["login"].editor
    editor.selectAll()
    editor.insertPlainText("import time\n\ndef login(email, password, callback):\n"
                           "    print('about to hang', flush=True)\n    time.sleep(120)\n")
    fill(window, email="a@b.c", password="p")
    with qtbot.waitSignal(window.run_panel.result_shown, timeout=RUN_TIMEOUT_MS) as blocker:
        assert window.run_panel.run()
        qtbot.waitUntil(lambda: "about to hang" in window.output_panel.text(), timeout=RUN_TIMEOUT_MS)
        assert window.controller.state == "running"
        assert not window.run_panel.run_button.isEnabled() and not window.run_action.isEnabled()
        assert not window.controller.run("login", {"email": "x", "password": "y"})  # refused: busy
        assert window.stop_action.isEnabled()
        qtbot.mouseClick(window.run_panel.stop_button, Qt.MouseButton.LeftButton)
    result = blocker.args[0]
    assert result["outcome"] == "error"
    assert result["error"]["type"] == "Stopped"
    assert window.controller.state == "idle" and window.run_panel.run_button.isEnabled()


def test_commit_toggle_is_off_by_default_and_loud_when_on(window):
    panel = window.run_panel
    assert not panel.commit_box.isChecked() and not window.controller.commit
    assert window.writes_label.text() == "dry run"
    window.commit_action.trigger()
    assert panel.commit_box.isChecked() and window.controller.commit
    assert window.writes_label.text() == "WRITES COMMITTED"
    assert "c62828" in window.writes_label.styleSheet()
    assert "ON" in panel.commit_box.text()
    panel.commit_box.setChecked(False)
    assert not window.commit_action.isChecked() and window.writes_label.text() == "dry run"


def test_save_a_case_then_run_all_cases(window, qtbot, project):
    panel = window.run_panel
    panel.select_script("login")
    fill(window, email="alice@example.com", password="wonderland-42")
    run_and_wait(qtbot, window)
    panel.save_case_named("alice ok")
    saved = json.loads((project.cases_dir / "alice-ok.json").read_text())
    assert saved["script"] == "login"
    assert saved["input"] == {"email": "alice@example.com", "password": "wonderland-42"}
    assert saved["expect"]["outcome"] == "ok" and saved["expect"]["result"]["user_id"] == "legacy|1"
    (project.cases_dir / "wrong.json").write_text(json.dumps(
        {"script": "login", "input": {"email": "alice@example.com", "password": "x"}, "expect": {"outcome": "ok"}}))
    with qtbot.waitSignal(panel.cases_shown, timeout=RUN_TIMEOUT_MS) as blocker:
        panel.run_all_cases()
    outcomes = {o.name: o.passed for o in blocker.args[0]}
    assert outcomes == {"alice-ok": True, "wrong": False}
    texts = [panel.cases_list.item(i).text() for i in range(panel.cases_list.count())]
    assert any(t.startswith("✔ alice-ok") for t in texts)
    assert any(t.startswith("✘ wrong") and "rejected" in t for t in texts)
    assert panel.badge.text() == "1/2 cases pass"


def test_picking_a_saved_case_fills_the_form(window, project):
    project.cases_dir.mkdir(exist_ok=True)
    (project.cases_dir / "bob.json").write_text(json.dumps(
        {"script": "login", "input": {"email": "bob@example.com", "password": "b"}, "expect": {"outcome": "ok"}}))
    panel = window.run_panel
    panel.select_script("get_user")
    panel.select_script("login")  # reloads the cases of the script
    index = panel.case_box.findText("bob")
    assert index > 0
    panel.case_box.setCurrentIndex(index)
    panel.case_box.activated.emit(index)
    assert panel.form().fields["email"].text() == "bob@example.com"


def test_recycle_throws_the_container_and_its_global_cache_away(window, qtbot):
    editor = window.docs["login"].editor
    editor.selectAll()
    editor.insertPlainText("def login(email, password, callback):\n"
                           "    global_['runs'] = global_.get('runs', 0) + 1\n"
                           "    callback(None, {'user_id': 'x|1', 'runs': global_['runs']})\n")
    fill(window, email="a@b.c", password="p")
    assert run_and_wait(qtbot, window)["result"]["runs"] == 1
    assert run_and_wait(qtbot, window)["result"]["runs"] == 2  # same container: global_ kept
    qtbot.mouseClick(window.run_panel.recycle_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.container_label.text() not in ("container: recycling",), timeout=30_000)
    assert run_and_wait(qtbot, window)["result"]["runs"] == 1


def test_no_folder_opens_the_bundled_sample(tmp_path):
    from app.domain.project import load_project
    from app.ui.application import _project_folder

    folder = _project_folder([])
    assert folder == tmp_path / "data" / "sample"
    project = load_project(folder)
    assert project.name.startswith("Sample") and "login" in project.script_keys()
    assert _project_folder([]) == folder  # the second start finds it without regenerating


HIDES_THE_SQL_ERROR = '''
def get_user(email, callback):
    try:
        row = db.execute(text("SELECT no_such_column FROM users WHERE email = :e"), {"e": email}).first()
    except Exception:
        return callback(Exception("The user store could not be reached."))
    return callback(None)
'''


def test_a_failed_statements_error_is_shown_in_the_result_and_the_sql_panel(window, qtbot):
    """The script catches the driver error and answers with its own message: the Result still
    shows the statement's error, and the SQL panel shows its row in the error style (issue 17 item 4)."""
    window.open_script("get_user")
    window.docs["get_user"].set_text(HIDES_THE_SQL_ERROR, modified=True)
    panel = window.run_panel
    panel.select_script("get_user")
    fill(window, email="alice@example.com")
    result = run_and_wait(qtbot, window)
    assert result["outcome"] == "error"
    assert "could not be reached" in panel.error_label.text()
    assert panel.sql_error_label.isVisibleTo(panel)
    text = panel.sql_error_label.text()
    assert text.startswith("SQL error: ") and "no_such_column" in text and "in SELECT no_such_column" in text
    failed = window.sql_panel.failed_rows()
    assert len(failed) == 1 and window.sql_panel.rows()[failed[0]][0].startswith("SELECT no_such_column")
    item = window.sql_panel.table.item(failed[0], 3)
    assert item.font().bold() and item.background().style() != item.background().style().NoBrush
    fill(window, email="alice@example.com")
    window.docs["get_user"].set_text(HIDES_THE_SQL_ERROR.replace("no_such_column", "id"), modified=True)
    run_and_wait(qtbot, window)
    assert not panel.sql_error_label.isVisibleTo(panel) and window.sql_panel.failed_rows() == []


def test_enter_in_a_field_runs_the_form(window, qtbot):
    panel = window.run_panel
    panel.select_script("login")
    fill(window, email="alice@example.com", password="wonderland-42")
    password = panel.form().fields["password"]
    with qtbot.waitSignal(panel.result_shown, timeout=RUN_TIMEOUT_MS) as blocker:
        qtbot.keyClick(password, Qt.Key.Key_Return)
    assert blocker.args[0]["outcome"] == "ok"


def test_save_as_case_offers_a_name_confirms_and_lists_it_at_once(window, qtbot, project, monkeypatch):
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    panel = window.run_panel
    panel.select_script("login")
    fill(window, email="alice@example.com", password="wonderland-42")
    run_and_wait(qtbot, window)
    offered = []
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(
        lambda *a, **k: (offered.append(k.get("text")) or k.get("text"), True)))
    with qtbot.waitSignal(panel.case_saved, timeout=5000) as saved:
        panel.save_current_as_case()
    assert offered == ["login-alice-ok"]
    assert saved.args[0].startswith("Saved case login-alice-ok")
    assert window.statusBar().currentMessage().startswith("Saved case login-alice-ok")
    assert panel.case_box.currentText() == "login-alice-ok"  # in the Case list at once, selected
    assert (project.cases_dir / "login-alice-ok.json").exists()
    panel.save_current_as_case()  # the next default does not clash
    assert offered[-1] == "login-alice-ok-2"
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("login-alice-ok", True)))
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.No))
    before = (project.cases_dir / "login-alice-ok.json").stat().st_mtime_ns
    panel.save_current_as_case()  # an existing name is not overwritten without a yes
    assert (project.cases_dir / "login-alice-ok.json").stat().st_mtime_ns == before
