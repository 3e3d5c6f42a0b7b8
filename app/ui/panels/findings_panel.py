"""Findings: every static (lint) and runtime finding of the project; a click jumps to the line."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.domain.findings import Finding, Severity
from app.domain.platforms import AUTH0
from app.ui import theme

_COLOURS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}  # app/ui/theme.py
_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class FindingsPanel(QWidget):
    activated = Signal(str, int)  # script key, line (0 when the finding has no line)

    def __init__(self, parent=None, order: tuple[str, ...] = AUTH0.order):
        super().__init__(parent)
        self._order = {k: i for i, k in enumerate(order)}  # the project platform's script order
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Severity", "Script", "Line", "Code", "Message"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        self._static: dict[str, list[Finding]] = {}
        self._runtime: dict[str, list[Finding]] = {}

    def set_static(self, script: str, findings: list[Finding]) -> None:
        self._static[script] = list(findings)
        self._refresh()

    def set_runtime(self, script: str, findings: list[Finding]) -> None:
        self._runtime[script] = list(findings)
        self._refresh()

    def findings(self, script: str | None = None) -> list[Finding]:
        every = [f for group in (self._static, self._runtime) for fs in group.values() for f in fs]
        return [f for f in every if script is None or f.script == script]

    def _refresh(self) -> None:
        from PySide6.QtCore import Qt

        order = self._order
        rows = sorted(self.findings(), key=lambda f: (order.get(f.script or "", 99), f.line or 0,
                                                      _RANK.get(f.severity, 3)))
        self.tree.clear()
        for f in rows:
            item = QTreeWidgetItem([str(f.severity), f.script or "", str(f.line or ""), f.code, f.message])
            theme.tint(item, 0, foreground=_COLOURS.get(f.severity, "text"))
            item.setToolTip(4, f.message)
            item.setData(0, Qt.ItemDataRole.UserRole, (f.script or "", f.line or 0))
            self.tree.addTopLevelItem(item)
        for col in range(4):
            self.tree.resizeColumnToContents(col)

    def _clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        from PySide6.QtCore import Qt

        script, line = item.data(0, Qt.ItemDataRole.UserRole)
        if script:
            self.activated.emit(script, line)
