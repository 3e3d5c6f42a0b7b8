"""UI test fixtures: every test gets its own QSettings file, app data folder and project copy,
so window layout, recent projects and autosaves never leak between tests or into the user's."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings

LOGIN = '''\
def login(email, password, callback):
    row = db.execute(text("SELECT id, email, password_hash FROM users WHERE email = :e"),
                     {"e": email}).first()
    if row is None or not bcrypt.checkpw(password.encode(), row.password_hash.encode()):
        return callback(WrongUsernameOrPasswordError(email))
    log.info("login ok for %s", email)
    return callback(None, {"user_id": f"legacy|{row.id}", "email": row.email})
'''

GET_USER = '''\
def get_user(email, callback):
    row = db.execute(text("SELECT id, email FROM users WHERE email = :e"), {"e": email}).first()
    if row is None:
        return callback(None)
    return callback(None, {"user_id": f"legacy|{row.id}", "email": row.email})
'''


@pytest.fixture(autouse=True)
def isolated_app_state(tmp_path, monkeypatch):
    """Own QSettings (ini in tmp), own data and cache folders."""
    QCoreApplication.setOrganizationName("CustomDBStudioTests")
    QCoreApplication.setApplicationName("Custom DB Studio Tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    monkeypatch.setenv("CUSTOMDB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CUSTOMDB_CACHE_DIR", str(tmp_path / "cache"))
    yield


def make_legacy_db(path: Path) -> None:
    import bcrypt

    hashed = bcrypt.hashpw(b"wonderland-42", bcrypt.gensalt(4)).decode()
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE NOT NULL, "
                     "password_hash TEXT NOT NULL, migrated INTEGER DEFAULT 0)")
        conn.execute("INSERT INTO users (id, email, password_hash) VALUES (1, 'alice@example.com', ?)", (hashed,))


@pytest.fixture
def project_dir(tmp_path) -> Path:
    """A small legacy-mode project with Login and Get User and a SQLite database holding alice."""
    root = tmp_path / "proj"
    (root / "scripts").mkdir(parents=True)
    (root / "customdb.toml").write_text(
        'id = "uitest0001"\nname = "UI test"\nmode = "legacy"\n\n[database]\nurl = "sqlite:///legacy.db"\n\n'
        '[configuration]\nBCRYPT_ROUNDS = "10"\n', encoding="utf-8")
    (root / "scripts" / "login.py").write_text(LOGIN, encoding="utf-8")
    (root / "scripts" / "get_user.py").write_text(GET_USER, encoding="utf-8")
    make_legacy_db(root / "legacy.db")
    return root


@pytest.fixture
def project(project_dir):
    from app.domain.project import load_project

    return load_project(project_dir)


@pytest.fixture
def make_window(qtbot):
    """Build a MainWindow; at teardown unsaved edits are dropped so closing never prompts."""
    from app.ui.main_window import MainWindow

    windows = []

    def make(project, **kw) -> MainWindow:
        window = MainWindow(project, **kw)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()  # menu shortcuts (Ctrl+S...) need the active window
        qtbot.waitUntil(window.isActiveWindow, timeout=2000)
        # the Debug menu, Flow and traces docks are built just after the first paint (start-up speed);
        # a user never presses F9 within those milliseconds, a test would
        qtbot.waitUntil(lambda: window.panels_installed, timeout=5000)
        windows.append(window)
        return window

    yield make
    for window in windows:  # closed here, not by qtbot: qtbot closes before fixtures tear down
        for doc in window.docs.values():
            doc.editor.document().setModified(False)
        window.close()
        window.controller.shutdown()
        window.autosave_timer.stop()
        window.deleteLater()


@pytest.fixture
def close_opened():
    """Windows a test opened besides its own (File → Open reproduction bundle, Open Deploy CLI
    export…) are closed at the end, their unsaved edits dropped so closing never prompts."""
    from app.ui.main_window import MainWindow

    before = list(MainWindow.open_windows)
    yield
    for window in [w for w in MainWindow.open_windows if w not in before]:
        for doc in window.docs.values():
            doc.editor.document().setModified(False)
        window.close()
        window.controller.shutdown()
        window.autosave_timer.stop()
        window.deleteLater()
