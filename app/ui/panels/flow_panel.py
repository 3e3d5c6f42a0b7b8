"""The Flow panel: pick a flow and its input, run it through the simulator, and watch the path it
took light up in a diagram (application → platform → managed store / action scripts → legacy
database), step by step, with a timeline below (click a step: its run result, logs and SQL) and the
managed store's users with their migration time. Reset forgets the simulation state.

`install_flow_tools(window)` is the one hook the main window calls: it adds the Flow dock and
Run → Rehearse migration… (app/ui/rehearsal_dialog.py). The simulator runs on a worker thread and
is imported there, so opening a window never loads the engine.
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.flows import flow, flow_names
from app.ui import theme
from app.ui.workers import run_in_background, run_in_thread

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

# Diagram nodes: key -> (label, column, row). Columns run left to right, the way a request travels.
NODES = {
    "application": ("Application", 0, 1),
    "platform": ("Identity platform", 1, 1),
    "managed_store": ("Managed user store", 2, 0),
    "script": ("Action scripts", 2, 2),
    "legacy": ("Legacy database", 3, 2),
}
EDGES = (("application", "platform"), ("platform", "managed_store"), ("platform", "script"), ("script", "legacy"))
OK_OUTCOMES = {"ok", "not_found", "rejected", "no_password"}
STEP_MS = 350
INPUT_FIELDS = ("email", "password", "new_password", "new_email", "user")


class FlowDiagram(QWidget):
    """Boxes and arrows; `lit` nodes and edges are drawn highlighted, `active` is the current step."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumSize(200, 120)  # the dock must not widen the window; the boxes scale down
        self.lit: set[str] = set()
        self.lit_edges: set[tuple[str, str]] = set()
        self.active: str | None = None
        self.failed: set[str] = set()
        self.show_managed_store = True

    def clear(self) -> None:
        self.lit, self.lit_edges, self.active, self.failed = set(), set(), None, set()
        self.update()

    def light(self, node: str, failed: bool = False) -> None:
        """Light `node` and the edge that reaches it (from the platform, or from the scripts)."""
        for a, b in EDGES:
            if b == node and (a in self.lit or a == "platform"):
                self.lit_edges.add((a, b))
        self.lit.add(node)
        if failed:
            self.failed.add(node)
        self.active = node
        self.update()

    def node_rect(self, key: str) -> QRectF:
        _, col, row = NODES[key]
        w, h = self.width(), self.height()
        bw, bh = min(150.0, w / 4 - 20), min(48.0, h / 3 - 14)
        x = 10 + col * (w - 20 - bw) / 3
        y = 8 + row * (h - 16 - bh) / 2
        return QRectF(x, y, bw, bh)

    def node_color(self, key: str) -> QColor:
        """The box colour of a node, from the theme's palette (app/ui/theme.py)."""
        colours = theme.current()
        if key in self.failed:
            return colours.color("node_failed")
        if key == self.active:
            return colours.color("node_active")
        return colours.color("node_lit" if key in self.lit else "node_idle")

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        colours = theme.current()
        p.fillRect(self.rect(), colours.color("canvas_bg"))
        for a, b in EDGES:
            if "managed_store" in (a, b) and not self.show_managed_store:
                continue
            lit = (a, b) in self.lit_edges
            p.setPen(QPen(colours.color("edge_lit" if lit else "edge"), 3 if lit else 1.5))
            ra, rb = self.node_rect(a), self.node_rect(b)
            start = QPointF(ra.right(), ra.center().y())
            end = QPointF(rb.left(), rb.center().y())
            p.drawLine(start, end)
            p.setBrush(p.pen().color())
            d = end - start
            length = max((d.x() ** 2 + d.y() ** 2) ** 0.5, 1.0)
            ux, uy = d.x() / length, d.y() / length
            tip = QPolygonF([end, QPointF(end.x() - 9 * ux + 5 * uy, end.y() - 9 * uy - 5 * ux),
                             QPointF(end.x() - 9 * ux - 5 * uy, end.y() - 9 * uy + 5 * ux)])
            p.drawPolygon(tip)
        font = QFont(self.font())
        font.setBold(True)
        p.setFont(font)
        for key, (label, _, _) in NODES.items():
            if key == "managed_store" and not self.show_managed_store:
                continue
            rect = self.node_rect(key)
            p.setPen(QPen(colours.color("node_border"), 1.5))
            p.setBrush(self.node_color(key))
            p.drawRoundedRect(rect, 8, 8)
            p.setPen(QPen(colours.color("node_text"), 1))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, label)
        p.end()


def _nodes_of(step: dict[str, Any]) -> list[str]:
    """The diagram nodes one step touches, in order."""
    if step["actor"] == "script":
        return ["script", "legacy"]
    if step["actor"] == "managed_store":
        return ["managed_store"]
    return ["platform"]


class FlowPanel(QWidget):
    """Choose a flow, run it, watch it; see the managed store."""

    finished = Signal(object)  # the FlowResult, after the animation started

    def __init__(self, project: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.project = project
        self.simulator: Any = None
        self.result: Any = None
        self.busy = False
        self._pending: list[tuple[int, dict[str, Any]]] = []
        self._timer = QTimer(self)
        self._timer.setInterval(STEP_MS)
        self._timer.timeout.connect(self._next_step)

        self.flow_box = QComboBox()
        self.flow_box.addItems(flow_names(project.mode))
        self.flow_box.currentTextChanged.connect(self._flow_changed)
        self.inputs: dict[str, QLineEdit] = {}
        form = QFormLayout()
        form.addRow("Flow", self.flow_box)
        for key in INPUT_FIELDS:
            edit = QLineEdit()
            edit.setObjectName(f"flow_input_{key}")
            if "password" in key:
                edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setPlaceholderText({"user": "user id (delete) or JSON object (signup)"}.get(key, ""))
            self.inputs[key] = edit
            form.addRow(key, edit)
        self.run_button = QPushButton("Run flow")
        self.run_button.clicked.connect(self.run_flow)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Forget the managed store and the simulation copy of the legacy database")
        self.reset_button.clicked.connect(self.reset)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.reset_button)
        buttons.addStretch(1)
        self.status = QLabel("Scripts write to a simulation copy; the real legacy data is never changed.")
        self.status.setWordWrap(True)

        self.diagram = FlowDiagram()
        self.diagram.show_managed_store = str(project.mode) == "migration"
        self.timeline = QListWidget()
        self.timeline.currentRowChanged.connect(self._show_step)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.store_table = QTableWidget(0, 5)
        self.store_table.setHorizontalHeaderLabels(["user_id", "email", "migrated at", "via", "password"])
        self.store_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.store_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(form)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.status)
        left_layout.addWidget(QLabel("Managed store"))
        left_layout.addWidget(self.store_table, 1)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.timeline)
        lower.addWidget(self.detail)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.diagram)
        right.addWidget(lower)
        outer = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(left)
        outer.addWidget(right)
        outer.setStretchFactor(1, 1)
        # Scrolls rather than imposing its ~330 px form height on the whole bottom dock area (where it
        # is tabbed with Output and SQL and would squeeze the editor).
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(outer)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(scroll)
        self._flow_changed(self.flow_box.currentText())
        self.load_store()

    def load_store(self) -> None:
        """Show the managed store as earlier flows (also `customdb simulate`) left it."""
        def work() -> list:
            from app.engine.managed_store import ManagedStore

            try:
                return ManagedStore.existing(self.project).users()
            except (FileNotFoundError, OSError, ValueError):
                return []

        run_in_background(work, self._fill_store)

    # -- input -------------------------------------------------------------------------------------
    def _flow_changed(self, name: str) -> None:
        if not name:
            return
        needs = set(flow(self.project.mode, name).needs)
        for key, edit in self.inputs.items():
            edit.setToolTip("required for this flow" if key in needs else "optional")

    def flow_input(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for key, edit in self.inputs.items():
            value = edit.text()
            if not value:
                continue
            if key == "user" and value.lstrip().startswith("{"):
                with contextlib.suppress(json.JSONDecodeError):  # else the simulator explains what it expects
                    value = json.loads(value)
            data[key] = value
        return data

    # -- running -----------------------------------------------------------------------------------
    def _simulator(self) -> Any:
        if self.simulator is None:
            from app.engine.simulator import Simulator

            self.simulator = Simulator(self.project)
        return self.simulator

    def run_flow(self) -> None:
        if self.busy:
            return
        name, data = self.flow_box.currentText(), self.flow_input()
        self._set_busy(True, f"running {name}…")
        self.diagram.clear()
        self.timeline.clear()
        self.detail.clear()

        def work() -> Any:
            from app.engine.simulator import SimulationError

            try:
                return self._simulator().run(name, data), self._simulator().managed_users()
            except (SimulationError, ValueError) as e:
                return str(e), None

        run_in_thread(work, self._done, self._failed, name="customdb-flow")

    def reset(self) -> None:
        if self.busy:
            return
        self._set_busy(True, "resetting…")

        def work() -> Any:
            self._simulator().reset()
            return self._simulator().managed_users()

        run_in_thread(work, self._reset_done, self._failed, name="customdb-flow-reset")

    def _reset_done(self, users: list) -> None:
        self._set_busy(False, "Reset: the managed store is empty; the legacy copy is made again on the next flow.")
        self.result = None
        self.diagram.clear()
        self.timeline.clear()
        self._fill_store(users)

    def _failed(self, message: str) -> None:
        self._set_busy(False, message)

    def _done(self, value: tuple) -> None:
        result, users = value
        if isinstance(result, str):  # unusable input: the simulator's one-line message
            return self._failed(result)
        self.result = result
        self._fill_store(users or [])
        self.diagram.light("application")
        self._pending = list(enumerate(result.to_dict()["steps"]))
        self.diagram.light("platform")
        self._timer.start()
        findings = ", ".join(sorted({f.code for f in result.findings})) or "none"
        self._set_busy(False, f"{result.flow}: {result.outcome} — log event {result.log_event or '—'}; "
                              f"findings: {findings}")
        for i, step in enumerate(result.to_dict()["steps"], 1):
            who = f"script {step['script']}" if step["actor"] == "script" else step["actor"]
            QListWidgetItem(f"{i}. {who}: {step['action']} → {step['outcome']}", self.timeline)
        self.finished.emit(result)
        return None

    def _next_step(self) -> None:
        if not self._pending:
            self._timer.stop()
            self.diagram.active = None
            self.diagram.update()
            return
        index, step = self._pending.pop(0)
        failed = step["outcome"] not in OK_OUTCOMES
        for node in _nodes_of(step):
            if node == "legacy" and step["outcome"] in ("invalid", "crashed"):
                continue  # the script never reached the database
            self.diagram.light(node, failed=failed and node != "legacy")
        self.timeline.setCurrentRow(index)

    def finish_animation(self) -> None:
        """Light every remaining step now (tests, and a user who clicks a step before the end)."""
        while self._pending:
            self._next_step()
        self._next_step()

    def _show_step(self, row: int) -> None:
        if self.result is None or not 0 <= row < len(self.result.steps):
            self.detail.clear()
            return
        step = self.result.steps[row]
        data: dict[str, Any] = step.to_dict()
        if step.run is not None:
            run = step.run.to_dict()
            data.update(result=run["result"], error=run["error"], logs=run["logs"], sql=run["sql"],
                        findings=run["findings"], log_event=run["log_event"])
        self.detail.setPlainText(json.dumps(data, indent=2, ensure_ascii=False, default=str))

    def _fill_store(self, users: list) -> None:
        self.store_table.setRowCount(len(users))
        for row, user in enumerate(users):
            values = (user.user_id, user.email or "", user.migrated_at or "", user.via,
                      "set" if user.password_hash else "none yet")
            for col, value in enumerate(values):
                self.store_table.setItem(row, col, QTableWidgetItem(str(value)))

    def _set_busy(self, busy: bool, message: str) -> None:
        self.busy = busy
        self.run_button.setEnabled(not busy)
        self.reset_button.setEnabled(not busy)
        self.status.setText(message)

    def close_simulator(self) -> None:
        if self.simulator is not None:
            self.simulator.close()
            self.simulator = None


def install_flow_tools(window: MainWindow) -> FlowPanel:
    """Add the Flow dock (tabbed with the bottom panels) and Run → Rehearse migration…"""
    from PySide6.QtGui import QAction

    panel = FlowPanel(window.project)
    window._add_dock("Flow", panel, Qt.DockWidgetArea.BottomDockWidgetArea)
    dock = window.docks["Flow"]
    if "Findings" in window.docks:
        window.tabifyDockWidget(window.docks["Findings"], dock)
    window.docks.get("Output", dock).raise_()
    for action in window.menuBar().actions():
        menu = action.menu()
        if menu is not None and action.text() == "&Run":
            menu.addSeparator()
            rehearse = QAction("Re&hearse migration…", window)
            rehearse.triggered.connect(lambda: open_rehearsal(window))
            menu.addAction(rehearse)
            window.rehearse_action = rehearse
        elif menu is not None and action.text() == "&View":
            menu.addAction(dock.toggleViewAction())
    window.destroyed.connect(panel.close_simulator)
    return panel


def open_rehearsal(window: MainWindow) -> Any:
    """Run → Rehearse migration…: one dialog per window, shown again if open."""
    from app.ui.rehearsal_dialog import RehearsalDialog

    dialog = getattr(window, "rehearsal_dialog", None)
    if dialog is None:
        def get_user_text() -> tuple[str, bool] | None:
            doc = window.docs.get("get_user")
            return (doc.text(), doc.modified) if doc is not None else None

        dialog = window.rehearsal_dialog = RehearsalDialog(window.project, window, source_provider=get_user_text)
        dialog.open_user.connect(lambda identifier, debug: open_rehearsed_user(window, identifier, debug))
    dialog.show()
    dialog.raise_()
    return dialog


def open_rehearsed_user(window: MainWindow, identifier: Any, debug: bool) -> None:
    """A failed user of the rehearsal: Get User in the editor, their identifier in the Run form,
    and with `debug` a debug run of it at once (F5 with that input)."""
    window.open_script("get_user")
    panel = window.run_panel
    panel.select_script("get_user")
    panel.form("get_user").set_value({"email": identifier})
    dock = window.docks.get("Run")
    if dock is not None:
        dock.show()
        dock.raise_()
    if debug:
        window.debugger.start_or_continue()
