"""Configuration & secrets, the connection dialog, and a project that fails to load."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring
from PySide6.QtWidgets import QDialog, QLineEdit, QMessageBox

from app.domain.project import load_project
from app.engine.secrets import SERVICE, session_secrets
from app.ui.dialogs.configuration import ConfigurationDialog
from app.ui.dialogs.connection import ConnectionDialog


def add_secret_row(dialog, key, value):
    row = dialog.add_row("", "", False, False)
    key_edit, value_edit, secret_box = dialog.row(row)
    key_edit.setText(key)
    secret_box.setChecked(True)
    value_edit.setText(value)
    return value_edit


def test_a_secret_goes_to_the_keychain_and_never_into_customdb_toml(qtbot, project, memory_keyring):
    dialog = ConfigurationDialog(project)
    qtbot.addWidget(dialog)
    value_edit = add_secret_row(dialog, "API_KEY", "s3cr3t-value-123")
    assert value_edit.echoMode() == QLineEdit.EchoMode.Password  # typed as ••••
    dialog.save()
    text = (project.root / "customdb.toml").read_text()
    assert "s3cr3t-value-123" not in text
    assert "API_KEY = { secret = true }" in text or "[configuration.API_KEY]" in text
    assert memory_keyring.store[(SERVICE, f"{project.id}:API_KEY")] == "s3cr3t-value-123"
    again = load_project(project.root)
    assert again.configuration["API_KEY"].secret and again.configuration["BCRYPT_ROUNDS"].value == "10"


def test_a_stored_secret_is_shown_masked_not_in_clear(qtbot, project, memory_keyring):
    dialog = ConfigurationDialog(project)
    qtbot.addWidget(dialog)
    add_secret_row(dialog, "API_KEY", "hidden-1")
    dialog.save()
    reopened = ConfigurationDialog(load_project(project.root))
    qtbot.addWidget(reopened)
    rows = {reopened.row(i)[0].text(): reopened.row(i) for i in range(reopened.table.rowCount())}
    _, value_edit, secret_box = rows["API_KEY"]
    assert secret_box.isChecked()
    assert value_edit.text() == "" and value_edit.placeholderText().startswith("••••")


def test_bad_keys_are_refused_with_a_message(qtbot, project, monkeypatch):
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: warned.append(a[2])))
    dialog = ConfigurationDialog(project)
    qtbot.addWidget(dialog)
    row = dialog.add_row("", "", False, False)
    dialog.row(row)[0].setText("1bad key")
    dialog.save()
    assert warned and "not a valid key" in warned[0]
    assert "1bad" not in (project.root / "customdb.toml").read_text()


def test_without_a_keychain_a_banner_shows_and_secrets_stay_in_the_session(qtbot, project, monkeypatch):
    keyring.set_keyring(FailKeyring())
    monkeypatch.setattr(QMessageBox, "information", staticmethod(lambda *a, **k: None))
    dialog = ConfigurationDialog(project)
    qtbot.addWidget(dialog)
    assert not dialog.banner.isHidden() and "No keychain" in dialog.banner.text()
    add_secret_row(dialog, "API_KEY", "session-only-9")
    dialog.save()
    assert session_secrets.get(project, "API_KEY") == "session-only-9"
    assert "session-only-9" not in (project.root / "customdb.toml").read_text()


def test_the_main_window_shows_a_banner_when_there_is_no_keychain(make_window, project, qtbot):
    from app.domain.project import ConfigEntry

    keyring.set_keyring(FailKeyring())
    project.configuration["API_KEY"] = ConfigEntry("API_KEY", None, True)  # a project that needs one
    window = make_window(project)
    qtbot.waitUntil(lambda: not window.keychain_banner.isHidden(), timeout=10_000)
    assert "No keychain" in window.keychain_banner.text() and "session" in window.keychain_banner.text()


def test_no_banner_with_a_working_keychain_or_without_secrets(make_window, project, qtbot):
    from app.domain.project import ConfigEntry

    project.configuration["API_KEY"] = ConfigEntry("API_KEY", None, True)
    window = make_window(project)
    qtbot.waitUntil(lambda: window.tree.findings_count("login") != "", timeout=10_000)  # first-paint work done
    qtbot.wait(200)
    assert window.keychain_banner.isHidden()


def test_a_missing_secret_is_asked_once_before_a_run(make_window, project, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    from app.domain.project import ConfigEntry

    keyring.set_keyring(FailKeyring())
    project.configuration["API_KEY"] = ConfigEntry("API_KEY", None, True)
    project.configuration["UNUSED"] = ConfigEntry("UNUSED", None, True)  # no script reads it: never asked
    login = project.script_path("login")
    login.write_text(login.read_text().replace("    row = db", '    key = configuration["API_KEY"]\n    row = db', 1))
    asked = []
    monkeypatch.setattr(QInputDialog, "getText",
                        staticmethod(lambda *a, **k: (asked.append(a[2]) or "typed-once", True)))
    window = make_window(project)
    assert window._before_run() and window._before_run()
    assert len(asked) == 1 and "API_KEY" in asked[0]
    assert "for this session only" in asked[0] and "asked again at the next start" in asked[0]
    assert session_secrets.get(project, "API_KEY") == "typed-once"


def test_without_a_keychain_the_database_password_is_asked_before_a_run(make_window, project, monkeypatch):
    """A server URL naming a user and no password anywhere (a new session without a keychain):
    the password is asked like any other secret, not left for the driver to fail on."""
    from PySide6.QtWidgets import QInputDialog

    keyring.set_keyring(FailKeyring())
    project.database_url = "postgresql+psycopg://appuser@127.0.0.1:1/legacy"
    asked = []
    monkeypatch.setattr(QInputDialog, "getText",
                        staticmethod(lambda *a, **k: (asked.append(a[2]) or "pg-typed", True)))
    window = make_window(project)
    assert window._before_run()
    assert len(asked) == 1 and "password of the legacy database" in asked[0] and "session only" in asked[0]
    assert session_secrets.get(project, "DATABASE_PASSWORD") == "pg-typed"
    assert window._before_run() and len(asked) == 1  # kept for the session
    session_secrets.clear()  # the next start: asked again
    assert window._before_run() and len(asked) == 2


def test_connection_dialog_says_where_the_password_goes(qtbot, project, monkeypatch, memory_keyring):
    dialog = ConnectionDialog(project)
    qtbot.addWidget(dialog)
    assert "OS keychain" in dialog.password.placeholderText() and "OS keychain" in dialog.password_note.text()
    keyring.set_keyring(FailKeyring())
    told = []
    monkeypatch.setattr(QMessageBox, "information", staticmethod(lambda *a, **k: told.append(a[2])))
    dialog = ConnectionDialog(project)
    qtbot.addWidget(dialog)
    assert "session only" in dialog.password.placeholderText()
    assert "session only" in dialog.password_note.text() and "next start" in dialog.password_note.text()
    dialog.kind.setCurrentIndex(dialog.kind.findData("postgresql"))
    dialog.host.setText("127.0.0.1")
    dialog.database.setText("legacy")
    dialog.user.setText("appuser")
    dialog.password.setText("pw-typed-here")
    dialog.save()
    assert dialog.kept_in == "session" and told and "session only" in told[0]
    assert "asked again at the next start" in told[0]
    assert session_secrets.get(project, "DATABASE_PASSWORD") == "pw-typed-here"
    assert "pw-typed-here" not in (project.root / "customdb.toml").read_text()


def test_switching_the_database_type_clears_the_old_test_result(qtbot, project):
    dialog = ConnectionDialog(project)
    qtbot.addWidget(dialog)
    dialog.test()
    qtbot.waitUntil(lambda: not dialog.testing, timeout=15_000)
    assert dialog.result.text().startswith("✔ Connected: SQLite")
    dialog.kind.setCurrentIndex(dialog.kind.findData("postgresql"))
    assert dialog.result.text() == ""


def test_connection_test_against_sqlite_shows_the_server_version(qtbot, project):
    dialog = ConnectionDialog(project)
    qtbot.addWidget(dialog)
    assert dialog.kind.currentData() == "sqlite" and dialog.sqlite_path.text() == "legacy.db"
    dialog.test()
    qtbot.waitUntil(lambda: not dialog.testing, timeout=15_000)
    assert dialog.result.text().startswith("✔ Connected: SQLite 3.")
    assert "round trip" in dialog.result.text()


def test_connection_test_names_a_missing_sqlite_file(qtbot, project):
    dialog = ConnectionDialog(project)
    qtbot.addWidget(dialog)
    dialog.sqlite_path.setText("nope.db")
    dialog.test()
    qtbot.waitUntil(lambda: not dialog.testing, timeout=15_000)
    assert dialog.result.text().startswith("✘ unknown-database")
    assert "nope.db" in dialog.result.text()


@pytest.mark.postgres
def test_connection_to_postgres_stores_the_password_in_the_keychain_only(qtbot, project, pg_url, memory_keyring):
    from sqlalchemy.engine import make_url

    url = make_url(pg_url.url)
    dialog = ConnectionDialog(project)
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData("postgresql"))
    dialog.host.setText(url.host)
    dialog.port.setValue(url.port)
    dialog.database.setText(url.database)
    dialog.user.setText(url.username)
    dialog.password.setText("wrong-password")
    dialog.test()
    qtbot.waitUntil(lambda: not dialog.testing, timeout=30_000)
    assert dialog.result.text().startswith("✘ auth")
    assert "wrong-password" not in dialog.result.text()
    dialog.password.setText(pg_url.password)
    dialog.test()
    qtbot.waitUntil(lambda: not dialog.testing, timeout=30_000)
    assert dialog.result.text().startswith("✔ Connected: PostgreSQL ")
    dialog.save()
    toml = (project.root / "customdb.toml").read_text()
    assert pg_url.password not in toml and "postgresql+psycopg://" in toml
    assert memory_keyring.store[(SERVICE, f"{project.id}:DATABASE_PASSWORD")] == pg_url.password


def test_a_password_typed_in_a_raw_url_moves_to_the_keychain(qtbot, project, memory_keyring):
    dialog = ConnectionDialog(project)
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData("raw"))
    dialog.raw_url.setText("postgresql+psycopg://app:pa55word@db.example.com:5432/users")
    dialog.save()
    toml = (project.root / "customdb.toml").read_text()
    assert "pa55word" not in toml and "app@db.example.com:5432/users" in toml
    assert memory_keyring.store[(SERVICE, f"{project.id}:DATABASE_PASSWORD")] == "pa55word"


def test_a_broken_customdb_toml_shows_file_and_line_and_opens_nothing(project_dir, monkeypatch, qtbot):
    from app.ui import application
    from app.ui.main_window import MainWindow

    (project_dir / "customdb.toml").write_text('name = "x"\nmode = "sideways"\n', encoding="utf-8")
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda *a, **k: shown.append(a[2])))
    before = len(MainWindow.open_windows)
    assert application.main([str(project_dir)]) == 2
    assert shown and "customdb.toml:2" in shown[0] and "mode" in shown[0]
    assert len(MainWindow.open_windows) == before


def test_file_open_of_a_broken_project_keeps_the_current_one(make_window, project, tmp_path, monkeypatch):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "customdb.toml").write_text("name = [\n", encoding="utf-8")
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda *a, **k: shown.append(a[2])))
    window = make_window(project)
    assert window.open_project_folder(broken) is None
    assert shown and "customdb.toml" in shown[0] and "invalid TOML" in shown[0]
    assert window.isVisible() and window.project is project


def test_no_banner_for_a_project_without_secrets_even_without_keychain(make_window, project, qtbot):
    keyring.set_keyring(FailKeyring())
    window = make_window(project)
    qtbot.waitUntil(lambda: window.tree.findings_count("login") != "", timeout=10_000)
    qtbot.wait(200)
    assert window.keychain_banner.isHidden()


# -- another database: scripts written for another dialect (issue 17 item 4) -------------------------------
def _choose(monkeypatch, label_start: str, told: list):
    def exec_(box):
        told.append((box.text(), box.detailedText()))
        next(b for b in box.buttons() if b.text().startswith(label_start)).click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    monkeypatch.setattr(QMessageBox, "information", staticmethod(lambda *a, **k: told.append((a[2], ""))))


def _to_postgresql(dialog):
    dialog.kind.setCurrentIndex(dialog.kind.findData("postgresql"))
    dialog.host.setText("127.0.0.1")
    dialog.database.setText("legacy")
    dialog.user.setText("appuser")
    dialog.save()


def test_switching_to_postgresql_offers_its_templates_and_keeps_a_backup(make_window, project, monkeypatch):
    from app.domain.templates import template_source

    sqlite_login = template_source("sqlite", "legacy", "login")
    project.write_script("login", sqlite_login)
    window = make_window(project)
    editor = window.docs["login"].editor
    editor.set_source(sqlite_login)
    told: list = []
    _choose(monkeypatch, "Replace with PostgreSQL", told)
    monkeypatch.setattr(ConnectionDialog, "exec", lambda d: (_to_postgresql(d), QDialog.result(d))[1])
    window.edit_connection()
    text, detail = told[0]
    assert "PostgreSQL" in text and "SQLite" in text
    assert "login.py" in detail and "written for SQLite" in detail
    assert project.read_script("login") == template_source("postgresql", "legacy", "login")
    backups = list((project.root / ".customdb" / "backups").glob("*/login.py"))
    assert len(backups) == 1 and backups[0].read_text() == sqlite_login  # nothing lost
    assert editor.toPlainText() == template_source("postgresql", "legacy", "login")
    assert not window.docs["login"].modified
    editor.undo()  # the user's version comes back in the editor too
    assert editor.toPlainText() == sqlite_login


def test_keeping_the_scripts_changes_nothing(qtbot, project, monkeypatch):
    from app.domain.templates import template_source

    sqlite_login = template_source("sqlite", "legacy", "login")
    project.write_script("login", sqlite_login)
    told: list = []
    _choose(monkeypatch, "Keep my scripts", told)
    dialog = ConnectionDialog(project)
    qtbot.addWidget(dialog)
    _to_postgresql(dialog)
    assert told and dialog.replaced_scripts == []
    assert project.read_script("login") == sqlite_login
    assert not (project.root / ".customdb" / "backups").exists()


def test_a_javascript_project_is_told_to_check_its_sql_not_offered_python_templates(qtbot, project, monkeypatch):
    from app.domain.languages import get_language
    from app.ui.dialogs.dialect_switch import offer_templates

    project.language = get_language("javascript")
    project.write_script("login", "function login(email, password, callback) {\n"
                                  "  db.query('UPDATE users SET migrated = 1 WHERE id = ?', [1]);\n}\n")
    shown = []

    def exec_(box):
        shown.append((box.text(), box.informativeText(), box.detailedText(), [b.text() for b in box.buttons()]))
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    assert offer_templates(None, project, "postgresql") == []
    text, informative, detail, buttons = shown[0]
    assert "login.js" in detail and "boolean" in detail and "Check their SQL" in informative
    assert not any(b.startswith("Replace") for b in buttons)
    assert project.read_script("login").startswith("function login(")
