"""Completion in the widget: popup after `db.`, Ctrl+Space, signature help, stale replies dropped."""

import pytest
from PySide6.QtCore import Qt

from app.engine.completion import Completion
from app.ui.editor.completion import CompletionReply


@pytest.fixture
def editor(qtbot, completion_engine):
    from app.ui.editor import CodeEditor

    ed = CodeEditor(theme_name="light")
    qtbot.addWidget(ed)
    ed.resize(900, 500)
    ed.configure("login", ["dsn", "api_key"])
    ed.show()
    qtbot.waitExposed(ed)
    return ed


def visible_names(popup):
    return [popup.items[popup.list.item(r).data(Qt.ItemDataRole.UserRole)].name
            for r in range(popup.list.count()) if not popup.list.item(r).isHidden()]


def test_typing_db_dot_opens_the_popup_and_enter_inserts(editor, qtbot):
    editor.set_source("def login(email, password, callback):\n    ")
    editor.goto_line(2, 5)
    qtbot.keyClicks(editor, "db.")
    popup = editor.completion.popup
    qtbot.waitUntil(popup.isVisible, timeout=20_000)
    assert {"execute", "begin", "commit"} <= set(visible_names(popup))
    qtbot.keyClicks(editor, "execu")  # narrows the list without asking jedi again
    assert visible_names(popup) == ["execute", "execution_options"]
    qtbot.waitUntil(lambda: "SQL" in popup.doc.toPlainText(), timeout=10_000)  # doc beside the list
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert not popup.isVisible()
    assert editor.source().endswith("    db.execute")


def test_ctrl_space_completes_error_classes(editor, qtbot):
    editor.set_source("Wrong")
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    with qtbot.waitSignal(editor.completion.shown, timeout=20_000):
        qtbot.keyClick(editor, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.source() == "WrongUsernameOrPasswordError"


def test_configuration_keys_complete_in_the_widget(editor, qtbot):
    editor.set_source("")
    qtbot.keyClicks(editor, 'configuration["')
    with qtbot.waitSignal(editor.completion.shown, timeout=20_000):
        qtbot.keyClick(editor, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    assert visible_names(editor.completion.popup) == ['"api_key"', '"dsn"']
    qtbot.keyClick(editor, Qt.Key.Key_Down)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert editor.source() == 'configuration["dsn"'


def test_escape_closes_the_popup(editor, qtbot):
    editor.set_source("")
    qtbot.keyClicks(editor, "log.")
    qtbot.waitUntil(editor.completion.popup.isVisible, timeout=20_000)
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert not editor.completion.popup.isVisible()
    assert editor.source() == "log."


def test_open_paren_shows_callbacks_signature_with_the_kinds_contract(editor, qtbot):
    editor.set_source("")
    qtbot.keyClicks(editor, "callback(")
    tip = editor.completion.tip
    qtbot.waitUntil(tip.isVisible, timeout=20_000)
    assert "callback(" in tip.text() and "error" in tip.text()
    qtbot.keyClicks(editor, ")")
    assert not tip.isVisible()


def test_stale_reply_is_dropped(editor, qtbot):
    controller = editor.completion
    editor.set_source("db.")
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    stale = controller._request("complete")
    qtbot.keyClicks(editor, "x")  # the document moves on before the answer arrives
    controller._on_reply(CompletionReply(stale, [Completion("execute", "function")]))
    assert controller.stale_dropped == 1
    assert not controller.popup.isVisible()
    fresh = controller._request("complete")
    controller._on_reply(CompletionReply(fresh, [Completion("xor", "function", prefix_len=1)]))
    assert controller.popup.isVisible()
    superseded = controller._request("complete")
    controller._request("complete")  # a newer request of the same editor supersedes it
    controller._on_reply(CompletionReply(superseded, [Completion("xor", "function", prefix_len=1)]))
    assert controller.stale_dropped == 2


def test_engine_falls_back_to_a_thread_when_the_child_cannot_start(qtbot, monkeypatch, tmp_path):
    import app.engine.completion_server as server
    from app.ui.editor.completion import CompletionEngine, CompletionRequest

    monkeypatch.setattr(server, "_child_command", lambda _: ["/nonexistent/python"])
    monkeypatch.setenv("CUSTOMDB_CACHE_DIR", str(tmp_path))
    engine = CompletionEngine()
    try:
        with qtbot.waitSignal(engine.reply, timeout=30_000) as got:
            engine.submit(CompletionRequest("complete", 1, 1, 0, 0, "Unauth", 1, 6))
        assert [c.name for c in got.args[0].result] == ["UnauthorizedError"]
    finally:
        engine.stop()


def test_moving_away_closes_the_popup(editor, qtbot):
    editor.set_source("x = 1\n")
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    controller = editor.completion
    controller._on_reply(CompletionReply(controller._request("complete"), [Completion("xor", "function")]))
    assert controller.popup.isVisible()
    editor.goto_line(1)
    assert not controller.popup.isVisible()


def test_closing_the_editor_while_jedi_answers_is_harmless(qtbot, completion_engine):
    from app.ui.editor import CodeEditor

    ed = CodeEditor()
    ed.show()
    ed.set_source("db.")
    ed.moveCursor(ed.textCursor().MoveOperation.End)
    owner = id(ed.completion)
    with qtbot.waitSignal(completion_engine.reply, timeout=20_000,
                          check_params_cb=lambda reply: reply.request.owner == owner):
        ed.completion.request_now()
        ed.close()
        ed.deleteLater()
        qtbot.wait(1)  # the editor is gone before jedi answers
    qtbot.wait(50)


# -- issue 17 item 5 -----------------------------------------------------------------------------------
def test_configuration_quote_pops_up_the_keys_by_itself(editor, qtbot):
    keys = ["dsn"]
    editor.configure("login", lambda: keys)  # the project's keys as they are now
    editor.set_source("")
    keys.append("HASH_PEPPER")  # added in the Configuration dialog after the editor opened
    with qtbot.waitSignal(editor.completion.shown, timeout=20_000):
        qtbot.keyClicks(editor, 'configuration["')  # no Ctrl+Space
    assert visible_names(editor.completion.popup) == ['"dsn"', '"HASH_PEPPER"']
    qtbot.keyClicks(editor, "H")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert editor.source() == 'configuration["HASH_PEPPER"'


def test_single_quote_subscript_pops_up_too(editor, qtbot):
    editor.set_source("")
    with qtbot.waitSignal(editor.completion.shown, timeout=20_000):
        qtbot.keyClicks(editor, "configuration['")
    assert visible_names(editor.completion.popup) == ["'api_key'", "'dsn'"]


def test_exe_enter_inserts_execute(editor, qtbot):
    editor.set_source("def login(email, password, callback):\n    ")
    editor.goto_line(2, 5)
    qtbot.keyClicks(editor, "db.")
    qtbot.waitUntil(editor.completion.popup.isVisible, timeout=20_000)
    qtbot.keyClicks(editor, "exe")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert editor.source().endswith("    db.execute")


def test_popup_flips_above_the_cursor_at_the_bottom(editor, qtbot):
    editor.resize(900, 320)
    editor.set_source("\n" * 200)
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    editor.centerCursor()
    editor.verticalScrollBar().setValue(editor.verticalScrollBar().maximum())
    qtbot.wait(20)
    cursor_top = editor.cursorRect().top() + editor.viewport().y()
    assert cursor_top > 200  # the cursor sits near the bottom of the editor
    with qtbot.waitSignal(editor.completion.shown, timeout=20_000):
        qtbot.keyClicks(editor, "log.")
    popup = editor.completion.popup.geometry()
    assert popup.bottom() < cursor_top  # above the line, not cut off below it
    assert popup.top() >= editor.viewport().geometry().top()


def test_doc_pane_renders_rest(editor, qtbot):
    popup = editor.completion.popup
    popup.show_doc(Completion("f", "function", doc="Run it.\n\nE.g.::\n\n    f(1)\n\n:param x: the ``value``"))
    text = popup.doc.toPlainText()
    assert "E.g.::" not in text and "E.g.:" in text and "f(1)" in text
    assert "``" not in text and ":param" not in text and "x — the value" in text


def test_popup_never_hangs_off_the_screen(qtbot):
    """A window taller than the screen (the debug console's case): the popup is placed by the
    screen's bottom edge, above the anchor, not below it off-screen."""
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtWidgets import QWidget

    from app.ui.editor.completion import CompletionPopup

    parent = QWidget()
    qtbot.addWidget(parent)
    screen = parent.screen().availableGeometry()
    parent.setGeometry(screen.left(), screen.top(), 700, screen.height() + 400)
    parent.show()
    qtbot.waitExposed(parent)
    popup = CompletionPopup(parent)
    popup.set_items([Completion(f"name{i}", "function") for i in range(12)])
    anchor_y = parent.mapFromGlobal(QPoint(0, screen.bottom() - 20)).y()
    popup.place(QRect(10, anchor_y, 10, 16), parent.rect())
    top_left = parent.mapToGlobal(popup.geometry().topLeft())
    bottom = top_left.y() + popup.height()
    assert bottom <= screen.bottom() + 1 and bottom <= parent.mapToGlobal(QPoint(0, anchor_y)).y()
