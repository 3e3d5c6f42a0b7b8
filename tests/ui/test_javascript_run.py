"""The IDE runs a JavaScript script through the Node container and shows what the Python runs show:
the result and its log event, the SQL the instrumented pg sent, and the script's console output."""

from __future__ import annotations

import secrets
from urllib.parse import quote

import bcrypt
import pytest

from tests.js_support import require_node
from tests.node_host_support import PG_LOGIN, make_js_project

RUN_TIMEOUT_MS = 60_000


@pytest.fixture
def js_project(pg_server, tmp_path):
    require_node()
    import psycopg

    table = f"js_ui_users_{secrets.token_hex(4)}"
    with psycopg.connect(host="127.0.0.1", port=pg_server.port, user=pg_server.user, password=pg_server.password,
                         dbname=pg_server.database, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table} (id SERIAL PRIMARY KEY, email TEXT UNIQUE, password_hash TEXT)")
        conn.execute(f"INSERT INTO {table} (email, password_hash) VALUES ('alice@example.com', %s)",
                     (bcrypt.hashpw(b"wonderland-42", bcrypt.gensalt(4)).decode(),))
    url = (f"postgres://{pg_server.user}:{quote(pg_server.password, safe='')}@127.0.0.1:{pg_server.port}"
           f"/{pg_server.database}")
    return make_js_project(tmp_path / "jsui", {"login": PG_LOGIN.replace("TABLE", table)},
                           configuration=f'PG_URL = "{url}"\n'), table


@pytest.mark.postgres
def test_the_run_panel_runs_a_javascript_login_and_shows_result_sql_and_output(make_window, js_project, qtbot):
    project, table = js_project
    window = make_window(project)
    panel = window.run_panel
    panel.select_script("login")
    panel.form().set_value({"email": "alice@example.com", "password": "wonderland-42"})
    with qtbot.waitSignal(panel.result_shown, timeout=RUN_TIMEOUT_MS) as blocker:
        assert panel.run()
    result = blocker.args[0]
    assert result["outcome"] == "ok" and panel.badge.text() == "ok"
    assert panel.result_tree.rows()["user_id"] == '"legacy|1"'
    assert "log event s: Success Login" in panel.meta_label.text()
    select = [r for r in window.sql_panel.rows() if r[0].startswith(f"SELECT id, email, password_hash FROM {table}")]
    assert len(select) == 1 and "alice@example.com" in select[0][1]
    assert "login for alice@example.com" in window.output_panel.text()
    assert window.controller.state == "idle" and panel.run_button.isEnabled()


@pytest.mark.postgres
def test_a_javascript_error_names_the_script_file_and_line(make_window, js_project, qtbot):
    project, _ = js_project
    window = make_window(project)
    doc = window.open_script("login")
    doc.editor.setPlainText("function login(email, password, callback) {\n  null.boom;\n}\n")
    panel = window.run_panel
    panel.select_script("login")
    with qtbot.waitSignal(panel.result_shown, timeout=RUN_TIMEOUT_MS) as blocker:
        assert panel.run()
    result = blocker.args[0]
    assert result["outcome"] == "error" and result["error"]["type"] == "TypeError"
    frame = result["error"]["traceback"][-1]
    assert frame["file"].endswith("login.js") and frame["line"] == 2
    assert panel.badge.text() == "error"


def test_stop_ends_a_javascript_busy_loop_and_the_window_stays_usable(make_window, tmp_path, qtbot):
    from PySide6.QtCore import Qt

    project = make_js_project(tmp_path / "loop", {"login": "function login(email, password, callback) {\n"
                                                           "  console.log('about to spin');\n  while (true) {}\n}\n"})
    window = make_window(project)
    panel = window.run_panel
    panel.select_script("login")
    with qtbot.waitSignal(panel.result_shown, timeout=RUN_TIMEOUT_MS) as blocker:
        assert panel.run()
        qtbot.waitUntil(lambda: "about to spin" in window.output_panel.text(), timeout=RUN_TIMEOUT_MS)
        assert window.controller.state == "running" and window.stop_action.isEnabled()
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    result = blocker.args[0]
    assert (result["outcome"], result["error"]["type"]) == ("error", "Stopped")
    assert window.controller.state == "idle" and panel.run_button.isEnabled()
