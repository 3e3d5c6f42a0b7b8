"""Bundles, restricted mode and Reproduce in the IDE: export from one window, open the bundle in a
new restricted window, trust it from the banner, and compare the traces side by side."""

from __future__ import annotations

import zipfile
from pathlib import Path

from app.domain.project import load_project
from app.engine import trust
from app.ui import theme
from app.ui.dialogs.bundle import ExportBundleDialog
from app.ui.main_window import MainWindow
from app.ui.panels.reproduce_panel import ReproducePanel

MATCHED_BG = theme.current().color("matched_bg")

FAILING_GET_USER = '''\
def helper(row):
    return row.nickname

def get_user(email, callback):
    row = db.execute(text("SELECT id, email FROM users WHERE email = :e"), {"e": email}).first()
    return callback(None, {"user_id": helper(row)})
'''
CUSTOMER_TRACE = """Traceback (most recent call last):
  File "/srv/customer/scripts/get_user.py", line 6, in get_user
    return callback(None, {"user_id": helper(row)})
  File "/srv/customer/scripts/get_user.py", line 2, in helper
    return row.nickname
AttributeError: 'Row' object has no attribute 'nickname'
"""



def export(window, qtbot, out, **options):
    with qtbot.waitSignal(window.reproduction.exported, timeout=30_000) as blocker:
        window.reproduction.export(out, **options)
    return blocker.args[0]


def test_export_then_open_the_bundle_restricted_then_trust_and_reproduce(make_window, project, qtbot, tmp_path,
                                                                         close_opened):
    project.write_script("get_user", FAILING_GET_USER)
    window = make_window(project)
    assert not window.reproduction.banner.isVisible()  # an own project is not restricted
    out = export(window, qtbot, tmp_path / "repro.zip", script="get_user", input={"email": "alice@example.com"},
                 trace=CUSTOMER_TRACE, data=True, mask=False)
    with zipfile.ZipFile(out) as z:
        assert {"repro/repro.json", "repro/trace.txt", "data/legacy.db"} <= set(z.namelist())

    with qtbot.waitSignal(window.reproduction.imported, timeout=30_000) as blocker:
        window.reproduction.open_bundle(out, tmp_path / "support")
    opened = blocker.args[0]
    assert opened is not None and opened.project.root == tmp_path / "support"
    assert opened is not window and window in MainWindow.open_windows and window.isVisible()  # a new window
    assert "[Restricted]" in opened.windowTitle() and str(tmp_path / "support") in opened.windowTitle()
    banner = opened.reproduction.banner
    assert banner.isVisible() and "Restricted mode" in banner.label.text()
    assert opened.docks["Reproduce"].isVisibleTo(opened)  # a bundle with repro/ shows Reproduce
    traces = opened.reproduction.trace_panel.traces  # the bundle's trace, loaded
    assert len(traces) == 1 and traces[0].exception_type == "AttributeError"
    run_panel = opened.run_panel  # its input, in the Run form and offered as a case
    assert run_panel.script == "get_user" and run_panel.form().value() == {"email": "alice@example.com"}
    assert run_panel.case_box.currentText() == "repro: alice@example.com"

    assert not run_panel.run()  # Run points at the banner's Trust button, not at the terminal
    assert "Trust this project" in run_panel.error_label.text() and "customdb" not in run_panel.error_label.text()
    run_panel.error_label.clear()
    opened.debugger.start_or_continue()  # F5 too
    assert opened.debugger.state == "idle" and "Trust this project" in run_panel.error_label.text()

    with qtbot.waitSignal(opened.controller.failed, timeout=30_000) as refused:  # the runner refuses
        opened.controller.run("get_user", {"email": "alice@example.com"})
    assert "customdb trust" in refused.args[0]

    opened.reproduction.reproduce()  # restricted: refused without running
    assert "trust the project first" in opened.reproduction.reproduce_panel.verdict.text()

    banner.trust_button.click()
    assert not banner.isVisible() and not trust.is_restricted(opened.project)
    assert "[Restricted]" not in opened.windowTitle()

    panel = opened.reproduction.reproduce_panel
    opened.reproduction.actions["reproduce"].trigger()
    qtbot.waitUntil(lambda: panel.comparison is not None, timeout=30_000)
    assert panel.comparison["reproduced"] is True
    assert panel.verdict.text().startswith("get_user: Reproduced — 2 frame(s) matched")
    assert len(panel.matched_rows()) == 2
    assert "AttributeError" in panel.customer_error.text() and "AttributeError" in panel.local_error.text()


def test_opening_a_hostile_bundle_is_refused_and_creates_nothing(make_window, project, qtbot, tmp_path):
    from tests.bundle_support import write_bundle

    window = make_window(project)
    bad = write_bundle(tmp_path / "bad.zip", {"../escape.py": b"x"})
    with qtbot.waitSignal(window.reproduction.import_failed, timeout=10_000) as blocker:
        window.reproduction.open_bundle(bad, tmp_path / "t")
    assert "escapes the target folder" in blocker.args[0] and not blocker.args[0].startswith("BundleError")
    assert not (tmp_path / "t").exists()


def test_export_refusal_is_reported(make_window, project, qtbot, tmp_path):
    window = make_window(project)
    with qtbot.waitSignal(window.reproduction.export_failed, timeout=10_000) as blocker:
        window.reproduction.export(tmp_path / "missing" / "b.zip", script="get_user")
    assert "does not exist" in blocker.args[0]


def test_export_dialog_turns_its_fields_into_export_options(qtbot, project):
    dialog = ExportBundleDialog(project, "Traceback ...", "get_user")
    qtbot.addWidget(dialog)
    dialog.input.setPlainText('{"email": "alice@example.com"}')
    dialog.data.setChecked(True)
    values = dialog.values()
    assert values["script"] == "get_user" and values["input"] == {"email": "alice@example.com"}
    assert values["trace"] == "Traceback ..." and values["data"] and not values["mask"]
    dialog.input.setPlainText("[1]")
    dialog._accept()
    assert dialog.problem.text() == "the input must be a JSON object" and dialog.result() == 0


def test_side_by_side_rows_line_up_and_matched_ones_are_green(qtbot):
    panel = ReproducePanel()
    qtbot.addWidget(panel)
    frame = {"function": "login", "file": "/x/scripts/login.py", "line": 4, "library": False, "script": "login"}
    extra = {**frame, "function": "helper", "line": 9}
    panel.show_comparison({
        "script": "login", "reproduced": False, "same_type": True, "same_message": False, "matched_frames": 1,
        "customer": {"language": "python", "type": "KeyError", "message": "'id'", "frames": [frame]},
        "local": {"outcome": "error", "type": "KeyError", "message": "'uid'", "frames": [frame, extra]},
        "rows": [{"script": "login", "line": 4, "customer": 0, "local": 0, "matched": True},
                 {"script": "login", "line": 9, "customer": None, "local": 1, "matched": False}]})
    assert panel.table.rowCount() == 2 and panel.matched_rows() == [0]
    assert panel.table.item(0, 0).text() == "login  login.py:4" == panel.table.item(0, 1).text()
    assert panel.table.item(1, 0).text() == "" and panel.table.item(1, 1).text() == "helper  login.py:9"
    assert panel.table.item(0, 0).background().color() == MATCHED_BG
    assert panel.verdict.text().startswith("login: Not reproduced")


def test_reopening_a_trusted_bundle_project_shows_no_banner(make_window, project, tmp_path):
    trust.mark_from_bundle(project, "x.zip")
    trust.trust(project)
    window = make_window(load_project(project.root))
    assert not window.reproduction.banner.isVisible()


def test_open_bundle_unpacks_into_a_folder_the_app_creates(make_window, project, qtbot, tmp_path, monkeypatch,
                                                          close_opened):
    """File → Open reproduction bundle…: no empty folder to make by hand; `repro.zip` → `repro/`."""
    from PySide6.QtWidgets import QFileDialog

    from app.ui import application

    window = make_window(project)
    (tmp_path / "bundles").mkdir()
    out = export(window, qtbot, tmp_path / "bundles" / "repro.zip", script="get_user", data=True, mask=False)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(out), "")))
    asked = []
    monkeypatch.setattr(application, "choose_unpack_folder",
                        lambda bundle: asked.append(bundle) or application.default_unpack_folder(bundle))
    with qtbot.waitSignal(window.reproduction.imported, timeout=30_000) as blocker:
        window.reproduction.open_bundle_dialog()
    assert asked == [Path(out)]
    assert blocker.args[0].project.root == tmp_path / "bundles" / "repro"
    assert (tmp_path / "bundles" / "repro" / "customdb.toml").is_file()
