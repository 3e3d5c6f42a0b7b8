"""JavaScript completion in the widget, from TypeScript's language server; its diagnostics among
the lint findings while typing."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt

from app.domain.languages import JAVASCRIPT
from app.engine.js_tools import tsc_path

LOGIN = """function login(email, password, callback) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: configuration.DB_URL });

}
"""

pytestmark = pytest.mark.skipif(tsc_path() is None and not os.environ.get("CI"),
                                reason="TypeScript's language server is not installed (make)")


@pytest.fixture
def editor(qtbot):
    from app.ui.editor import CodeEditor

    ed = CodeEditor(theme_name="light")
    qtbot.addWidget(ed)
    ed.resize(900, 500)
    ed.configure("login", ["DB_URL", "BCRYPT_ROUNDS"], JAVASCRIPT)
    ed.show()
    qtbot.waitExposed(ed)
    return ed


def visible_names(popup):
    return [popup.items[popup.list.item(r).data(Qt.ItemDataRole.UserRole)].name
            for r in range(popup.list.count()) if not popup.list.item(r).isHidden()]


def test_configuration_dot_lists_the_projects_keys_and_enter_inserts(editor, qtbot):
    editor.set_source(LOGIN)
    editor.goto_line(4, 3)
    assert editor.completion.engine.provider == "typescript"
    with qtbot.waitSignal(editor.completion.shown, timeout=20_000):
        qtbot.keyClicks(editor, "configuration.")
    assert visible_names(editor.completion.popup) == ["BCRYPT_ROUNDS", "DB_URL"]
    qtbot.keyClicks(editor, "D")
    assert visible_names(editor.completion.popup) == ["DB_URL"]
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert editor.source().splitlines()[3] == "configuration.DB_URL"


def test_driver_members_complete(editor, qtbot):
    editor.set_source(LOGIN)
    editor.goto_line(4, 3)
    with qtbot.waitSignal(editor.completion.shown, timeout=20_000):
        qtbot.keyClicks(editor, "client.")
    qtbot.keyClicks(editor, "que")
    assert visible_names(editor.completion.popup)[0] == "query"


def test_the_callbacks_signature_shows_the_kinds_contract(editor, qtbot):
    editor.set_source(LOGIN)
    editor.goto_line(4, 3)
    qtbot.keyClicks(editor, "callback(")
    tip = editor.completion.tip
    qtbot.waitUntil(tip.isVisible, timeout=20_000)
    assert "profile?: Profile" in tip.text()


def test_language_service_diagnostics_come_with_the_lint(make_window, project_dir, qtbot):
    from app.domain.project import load_project

    toml = project_dir / "customdb.toml"
    toml.write_text('language = "javascript"\n' + toml.read_text(encoding="utf-8"), encoding="utf-8")
    (project_dir / "scripts" / "login.js").write_text(
        LOGIN.replace("\n\n}", "\n  client.qurey('SELECT 1');\n  configuration.NOPE;\n}"), encoding="utf-8")
    window = make_window(load_project(project_dir))
    doc = window.open_script("login")
    qtbot.waitUntil(lambda: {"unknown-member", "unknown-configuration-key"} <= {f.code for f in doc.findings},
                    timeout=30_000)
    typo = next(f for f in doc.findings if f.code == "unknown-member")
    assert typo.line == 4 and "query" in typo.message
