"""The trace viewer as a support engineer uses it: paste every trace form, see anonymous and library
frames marked, click a project frame to open the script at that line, and apply a name suggestion."""

from __future__ import annotations

import json

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication

from app.ui import theme
from app.ui.panels.trace_panel import FRAME_ROLE

LIBRARY_FG = theme.current().color("muted")
ANONYMOUS_BG = theme.current().color("anonymous_bg")

PYTHON_TRACE = '''Traceback (most recent call last):
  File "/srv/customer/scripts/get_user.py", line 2, in fetch
    row = db.execute(text("SELECT id, email FROM users WHERE email = :e"), {"e": email}).first()
AttributeError: 'NoneType' object has no attribute 'id'
'''
V8_TRACE = """TypeError: Cannot read properties of undefined (reading 'id')
    at getUser (/data/io/get_user.js:3:9)
    at Query.Sequence.end (/data/node_modules/mysql/lib/protocol/Sequence.js:86:24)
    at Query._callback (/data/node_modules/mysql/lib/protocol/Query.js:88:7)
    at /data/io/get_user.js:5:20
"""
JSON_LOG = "\n".join([
    json.dumps({"level": "info", "msg": "request"}),
    json.dumps({"level": "error", "err": {"stack": "Error: boom\n    at /data/get_user.js:3:9\n"
                                                   "    at /data/webtask.js:1:1"}}),
])
MISNAMED_GET_USER = '''\
def fetch(email, callback):
    row = db.execute(text("SELECT id, email FROM users WHERE email = :e"), {"e": email}).first()
    if row is None:
        return callback(None)
    return callback(None, {"user_id": f"legacy|{row.id}", "email": row.email})
'''


def frames_of(top):
    """(text, item) of every frame under a trace item, library folds opened."""
    out = []
    for i in range(top.childCount()):
        child = top.child(i)
        if child.text(0).endswith("library frame(s)"):
            out.extend((child.child(j).text(0), child.child(j)) for j in range(child.childCount()))
        else:
            out.append((child.text(0), child))
    return out


def paste(window, text):
    QGuiApplication.clipboard().setText(text)
    window.reproduction.actions["paste_trace"].trigger()
    return window.reproduction.trace_panel


def test_paste_a_python_traceback_by_shortcut(make_window, project, qtbot):
    window = make_window(project)
    QGuiApplication.clipboard().setText(PYTHON_TRACE)
    qtbot.keyClick(window, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    panel = window.reproduction.trace_panel
    qtbot.waitUntil(lambda: len(panel.traces) == 1, timeout=3000)
    top = panel.tree.topLevelItem(0)
    assert top.text(0) == "Trace 1: AttributeError: 'NoneType' object has no attribute 'id'"
    assert [t for t, _ in frames_of(top)] == ["fetch"]
    assert window.docks["Traces"].isVisible()


def test_paste_a_v8_stack_marks_anonymous_and_folds_library_frames(make_window, project):
    window = make_window(project)
    panel = paste(window, V8_TRACE)
    top = panel.tree.topLevelItem(0)
    fold = next(top.child(i) for i in range(top.childCount()) if top.child(i).text(0) == "2 library frame(s)")
    assert not fold.isExpanded()  # folded
    assert all(fold.child(j).foreground(0).color() == LIBRARY_FG for j in range(2))
    anonymous = [item for text, item in frames_of(top) if "(anonymous)" in text]
    assert len(anonymous) == 1 and anonymous[0].background(0).color() == ANONYMOUS_BG
    assert top.text(1) == "JavaScript"


def test_paste_a_json_log_export_finds_the_stack_and_suggests_a_name(make_window, project):
    window = make_window(project)
    panel = paste(window, JSON_LOG)
    assert len(panel.traces) == 1 and panel.traces[0].exception_type == "Error"
    assert [label.text() for label, _ in panel.chips] == ["Name the anonymous function (get_user.js:3) `getUser`"]


def test_a_text_without_a_trace_says_so(make_window, project):
    panel = paste(make_window(project), "just some log noise\n")
    assert panel.traces == [] and panel.summary.text() == "No stack trace found."


def test_clicking_a_project_frame_opens_the_script_at_that_line(make_window, project, qtbot):
    window = make_window(project)
    panel = paste(window, V8_TRACE.replace("get_user.js:3:9", "get_user.js:4:9"))
    top = panel.tree.topLevelItem(0)
    project_frames = {text: item for text, item in frames_of(top) if item.data(0, FRAME_ROLE)}
    library = [item for _, item in frames_of(top) if item.foreground(0).color() == LIBRARY_FG]
    assert library and all(item.data(0, FRAME_ROLE) is None for item in library)  # not links
    assert set(project_frames) == {"getUser", "<anonymous>  (anonymous)"}
    panel.tree.scrollToItem(project_frames["getUser"])
    rect = panel.tree.visualItemRect(project_frames["getUser"])
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_doc().key == "get_user" and window.current_doc().editor.current_line() == 4


def test_apply_a_suggestion_renames_the_entry_in_one_undo_step(make_window, project):
    project.write_script("get_user", MISNAMED_GET_USER)
    window = make_window(project)
    panel = paste(window, PYTHON_TRACE)
    (label, button), = panel.chips
    assert label.text() == "Rename `fetch` (get_user.py:2) to `get_user`"  # the frame it renames, named
    button.click()
    editor = window.docs["get_user"].editor
    assert editor.toPlainText().startswith("def get_user(email, callback):")
    assert window.docs["get_user"].modified
    editor.undo()
    assert editor.toPlainText() == MISNAMED_GET_USER


def test_open_a_log_file_and_drop_one(make_window, project, tmp_path):
    window = make_window(project)
    panel = window.reproduction.trace_panel
    log = tmp_path / "hosted.log"
    log.write_text("2026-11-02 something\n" + V8_TRACE, encoding="utf-8")
    assert panel.open_file(log) == 1 and "hosted.log" in panel.summary.text()
    panel.clear()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(log))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    panel.dropEvent(event)
    assert len(panel.traces) == 1


def test_a_failed_run_shows_its_traceback(make_window, project, qtbot):
    project.write_script("get_user", "def get_user(email, callback):\n    raise KeyError('boom')\n")
    window = make_window(project)
    panel = window.reproduction.trace_panel
    with qtbot.waitSignal(window.controller.finished, timeout=30_000):
        window.controller.run("get_user", {"email": "alice@example.com"})
    qtbot.waitUntil(lambda: len(panel.traces) == 1, timeout=3000)
    top = panel.tree.topLevelItem(0)
    assert top.text(0) == "Trace 1: KeyError: 'boom'"
    (text, item), = frames_of(top)
    assert text == "get_user" and item.data(0, FRAME_ROLE) == ("get_user", 2)


HELPER_FAILS = '''\
def normalise(email):
    local, _, domain = email.partition("@")
    return local + "@" + domain.lower()[9]

def get_user(email, callback):
    cleaned = email.strip()
    return callback(None, {"user_id": normalise(cleaned)})
'''

CHAINED = '''\
def to_id(raw):
    return int(raw)

def get_user(email, callback):
    raw = email.split("|")[-1]
    try:
        to_id(raw)
    except ValueError as e:
        raise LookupError("no legacy id") from e
'''


def where(item):
    """What identifies a frame row (PySide may hand out a new wrapper for the same item)."""
    return (item.text(0), item.text(1)) if item is not None else None


def run_and_wait(window, qtbot, email):
    panel = window.reproduction.trace_panel
    with qtbot.waitSignal(window.controller.finished, timeout=30_000):
        window.controller.run("get_user", {"email": email})
    qtbot.waitUntil(lambda: bool(panel.traces), timeout=3000)
    return panel


def test_selecting_a_frame_of_a_failed_run_shows_its_variables(make_window, project, qtbot):
    project.write_script("get_user", HELPER_FAILS)
    window = make_window(project)
    panel = run_and_wait(window, qtbot, " Bob@X.io ")
    assert not panel.variables_box.isHidden()
    (entry_text, entry), (helper_text, helper) = frames_of(panel.tree.topLevelItem(0))
    assert (entry_text, helper_text) == ("get_user", "normalise")
    assert helper.text(2) == 'return local + "@" + domain.lower()[9]'  # each frame with its source line
    # the frame where it failed is selected at once
    assert where(panel.tree.currentItem()) == where(helper)
    assert panel.variable_rows() == [("email", "'Bob@X.io'"), ("local", "'Bob'"), ("_", "'@'"),
                                     ("domain", "'X.io'")]
    assert panel.variables_title.text() == "Variables of normalise (get_user.py:3) at the error"
    panel.tree.scrollToItem(entry)
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=panel.tree.visualItemRect(entry).center())
    assert where(panel.tree.currentItem()) == where(entry)
    assert panel.variable_rows() == [("email", "' Bob@X.io '"), ("cleaned", "'Bob@X.io'")]
    assert window.current_doc().editor.current_line() == 7  # and the frame still opens the script there
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    assert panel.variable_rows() == []


def test_a_chained_failure_shows_two_traces_in_python_order(make_window, project, qtbot):
    project.write_script("get_user", CHAINED)
    window = make_window(project)
    panel = run_and_wait(window, qtbot, "legacy|12x")
    tree = panel.tree
    assert len(panel.traces) == 2
    assert [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())] == [
        "Trace 1: ValueError: invalid literal for int() with base 10: '12x'",
        "The above exception was the direct cause of the following exception:",
        "Trace 2: LookupError: no legacy id",
    ]
    first = [(text, item.text(2)) for text, item in frames_of(tree.topLevelItem(0))]
    assert first == [("get_user", "to_id(raw)"), ("to_id", "return int(raw)")]
    (_, to_id) = frames_of(tree.topLevelItem(0))[1]
    tree.setCurrentItem(to_id)
    assert panel.variable_rows() == [("raw", "'12x'")]
    assert not tree.topLevelItem(1).flags() & Qt.ItemFlag.ItemIsSelectable  # the separator is not a trace


def test_library_frames_of_a_run_say_they_keep_no_variables(qtbot):
    from app.ui.panels.trace_panel import TracePanel

    panel = TracePanel()
    qtbot.addWidget(panel)
    panel.show_run_result({"script": "get_user", "outcome": "error", "error": {
        "type": "JSONDecodeError", "message": "Expecting value", "traceback": [
            {"function": "get_user", "file": "/p/scripts/get_user.py", "line": 3, "library": False,
             "source": "return callback(None, json.loads(payload))", "locals": {"payload": "'{x'"}},
            {"function": "loads", "file": "/usr/lib/python3.11/json/__init__.py", "line": 346, "library": True,
             "source": "return _default_decoder.decode(s)"}]}})
    (_, entry), (_, library) = frames_of(panel.tree.topLevelItem(0))
    assert where(panel.tree.currentItem()) == where(entry) and panel.variable_rows() == [("payload", "'{x'")]
    panel.tree.setCurrentItem(library)
    assert panel.variable_rows() == [] and "Library frame" in panel.variables_title.text()


def test_pasted_traces_have_no_variables_table(make_window, project):
    panel = paste(make_window(project), PYTHON_TRACE)
    assert panel.variables_box.isHidden()
    (_, item), = frames_of(panel.tree.topLevelItem(0))
    assert item.text(2).startswith("row = db.execute(")


def test_apply_refuses_a_trace_of_another_language_and_says_why(make_window, project):
    """A JavaScript trace in a Python project: Apply says so and changes nothing (UX review B3)."""
    project.write_script("get_user", MISNAMED_GET_USER)
    window = make_window(project)
    panel = paste(window, V8_TRACE)
    (label, button), = panel.chips
    assert label.text() == "Name the anonymous function (get_user.js:5) `getUser`"
    button.click()
    assert window.statusBar().currentMessage() == "Not applied: this trace is JavaScript; the project is Python"
    doc = window.docs.get("get_user")
    assert doc is None or doc.editor.toPlainText() == MISNAMED_GET_USER
