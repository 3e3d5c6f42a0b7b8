"""The Flow panel and Run → Rehearse migration from the IDE: run a flow and watch the diagram, the
timeline and the managed store; rehearse, cancel, export; the diagram checked in a screenshot."""

from __future__ import annotations

import csv

import pytest
from PySide6.QtCore import Qt

from app.engine.sample import generate_legacy_db
from app.engine.scaffold import create_project
from app.ui import theme
from app.ui.panels.flow_panel import FlowPanel, open_rehearsal

ACTIVE, FAILED, IDLE, LIT = (theme.current().color(f"node_{n}") for n in ("active", "failed", "idle", "lit"))

ALICE = {"email": "alice@example.com", "password": "wonderland-42"}


@pytest.fixture
def migration(tmp_path):
    return create_project(tmp_path / "migration", mode="migration")


@pytest.fixture
def panel(qtbot, migration):
    widget = FlowPanel(migration)
    qtbot.addWidget(widget)
    widget.resize(1100, 520)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.close_simulator()


def _run(qtbot, panel, flow_name: str, data: dict) -> object:
    panel.flow_box.setCurrentText(flow_name)
    for key, edit in panel.inputs.items():
        edit.setText(str(data.get(key, "")))
    with qtbot.waitSignal(panel.finished, timeout=60_000) as blocker:
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def _pixel(panel, node: str):
    image = panel.diagram.grab().toImage()
    rect = panel.diagram.node_rect(node)
    ratio = image.devicePixelRatio()
    return image.pixelColor(int((rect.left() + 8) * ratio), int((rect.top() + 8) * ratio))


def test_running_a_migration_login_lights_the_path_and_fills_timeline_and_store(qtbot, panel, tmp_path):
    result = _run(qtbot, panel, "login", ALICE)
    assert result.outcome == "success"
    assert panel.timeline.count() == 3 and "script login" in panel.timeline.item(1).text()
    panel.finish_animation()
    assert panel.diagram.lit >= {"application", "platform", "managed_store", "script", "legacy"}
    assert panel.store_table.rowCount() == 1 and panel.store_table.item(0, 0).text() == "legacy|1"
    assert panel.store_table.item(0, 2).text()  # migration time
    assert "log event s" in panel.status.text()
    # clicking the script step shows its run result with logs and SQL, the password masked
    panel.timeline.setCurrentRow(1)
    detail = panel.detail.toPlainText()
    assert '"sql"' in detail and '"legacy|1"' in detail and "wonderland-42" not in detail
    # the screenshot: the lit boxes are drawn in the highlight colour, the path's end is idle again
    path = tmp_path / "flow-diagram.png"
    assert panel.diagram.grab().save(str(path)) and path.stat().st_size > 1000
    assert _pixel(panel, "script").name() == LIT.name()
    assert _pixel(panel, "managed_store").name() == LIT.name()


def test_the_second_login_only_lights_the_managed_store(qtbot, panel):
    _run(qtbot, panel, "login", ALICE)
    _run(qtbot, panel, "login", ALICE)
    panel.finish_animation()
    assert "script" not in panel.diagram.lit and "managed_store" in panel.diagram.lit
    assert _pixel(panel, "script").name() == IDLE.name()


def test_a_failing_step_is_drawn_as_failed_and_steps_animate_one_by_one(qtbot, panel, migration):
    migration.write_script("get_user", "def get_user(email, callback):\n    raise RuntimeError('down')\n")
    result = _run(qtbot, panel, "reset-password", {"email": "bob@example.com", "new_password": "n-1"})
    assert result.outcome == "failure"
    assert panel.diagram.lit == {"application", "platform"}  # nothing lit before the timer runs
    qtbot.waitUntil(lambda: "managed_store" in panel.diagram.lit, timeout=3000)
    assert panel.diagram.node_color("managed_store").name() == ACTIVE.name()
    panel.finish_animation()
    assert _pixel(panel, "script").name() == FAILED.name()


def test_bad_input_is_shown_and_reset_empties_the_store(qtbot, panel):
    panel.flow_box.setCurrentText("login")
    panel.inputs["email"].setText("alice@example.com")
    panel.inputs["password"].setText("")
    panel.run_flow()
    qtbot.waitUntil(lambda: not panel.busy, timeout=30_000)
    assert "needs 'password'" in panel.status.text()
    _run(qtbot, panel, "login", ALICE)
    assert panel.store_table.rowCount() == 1
    panel.reset()
    qtbot.waitUntil(lambda: not panel.busy, timeout=30_000)
    assert panel.store_table.rowCount() == 0 and panel.timeline.count() == 0


def test_the_main_window_runs_a_flow_and_a_rehearsal(make_window, qtbot, tmp_path):
    project = create_project(tmp_path / "win", mode="migration")
    generate_legacy_db(project.root / "legacy.db", users=300, dirty=True)
    window = make_window(project)
    flows = window.docks["Flow"].widget()
    assert isinstance(flows, FlowPanel) and flows is window.flows
    window.docks["Flow"].raise_()
    assert _run(qtbot, flows, "login", ALICE).outcome == "success"
    flows.finish_animation()
    assert flows.store_table.rowCount() == 1 and "script" in flows.diagram.lit
    assert window.rehearse_action.text() == "Re&hearse migration…"
    window.rehearse_action.trigger()
    dialog = window.rehearsal_dialog
    assert dialog.isVisible()
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    report = dialog.report
    assert report.users == 300 and report.failed > 0
    assert dialog.codes.rowCount() == len(report.by_code) and dialog.failures.rowCount() == len(report.failures)
    assert dialog.progress.value() == 300 and "users/s" in dialog.rate_label.text()
    target = dialog.export_csv(str(tmp_path / "failures.csv"))
    with open(target, newline="", encoding="utf-8") as f:
        assert sum(1 for _ in csv.DictReader(f)) == len(report.failures)
    assert open_rehearsal(window) is dialog  # one dialog per window
    dialog.close()


def test_the_rehearsal_can_be_cancelled_and_the_dialog_stays_responsive(qtbot, tmp_path):
    from app.ui.rehearsal_dialog import RehearsalDialog

    project = create_project(tmp_path / "big", mode="migration")
    generate_legacy_db(project.root / "legacy.db", users=30_000)
    dialog = RehearsalDialog(project)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start()
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=60_000)  # progress arrived on the GUI thread
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert dialog.report.cancelled and dialog.report.users < 30_000
    assert "cancelled" in dialog.rate_label.text() and dialog.start_button.isEnabled()


def test_the_panel_shows_the_state_earlier_simulations_left(qtbot, migration):
    from app.engine.simulator import Simulator

    sim = Simulator(migration)
    try:
        sim.run("login", ALICE)  # e.g. `customdb simulate` before the IDE opened
    finally:
        sim.close()
    widget = FlowPanel(migration)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.store_table.rowCount() == 1, timeout=10_000)
    assert widget.store_table.item(0, 0).text() == "legacy|1"
