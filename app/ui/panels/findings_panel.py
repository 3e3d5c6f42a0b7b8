"""Findings: every static (lint) and runtime finding of the project; a click jumps to the line,
and the context menu offers Go to line and, on a finding the editor can fix, its quick fix."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QMenu, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.domain.findings import Finding, Severity
from app.domain.platforms import AUTH0
from app.ui import theme

_COLOURS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}  # app/ui/theme.py
_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class _Tree(QTreeWidget):
    context_menu_at = None  # set by the panel: called with the position of a right click

    def contextMenuEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.context_menu_at is not None:
            self.context_menu_at(event.pos())


class FindingsPanel(QWidget):
    activated = Signal(str, int)  # script key, line (0 when the finding has no line)
    fix_requested = Signal(str, int)  # script key, line: apply the quick fix of that finding

    def __init__(self, parent=None, order: tuple[str, ...] = AUTH0.order):
        super().__init__(parent)
        self._order = {k: i for i, k in enumerate(order)}  # the project platform's script order
        self.tree = _Tree()
        self.tree.setHeaderLabels(["Severity", "Script", "Line", "Code", "Message"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)
        self.tree.context_menu_at = self._context_menu  # no `Qt` enum before the first paint
        self.context_menu: QMenu | None = None  # the last one shown (tests read it)
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
            item.setData(3, Qt.ItemDataRole.UserRole, f.code)
            self.tree.addTopLevelItem(item)
        for col in range(4):
            self.tree.resizeColumnToContents(col)

    def menu_for(self, item: QTreeWidgetItem) -> QMenu:
        """Go to line, and the quick fix when the editor has one for this finding."""
        from PySide6.QtCore import Qt

        from app.ui.editor.code_editor import QUICK_FIX_CODES

        script, line = item.data(0, Qt.ItemDataRole.UserRole)
        menu = QMenu(self)
        menu.addAction("Go to line", lambda: self._clicked(item)).setEnabled(bool(script))
        if script in self._order and item.data(3, Qt.ItemDataRole.UserRole) in QUICK_FIX_CODES:
            from app.ui.editor.gutter import lightbulb_icon

            fix = menu.addAction(lightbulb_icon(QColor(theme.current().warning)),
                                 "Quick fix: give the entry its recommended name\tCtrl+.",
                                 lambda: self.fix_requested.emit(script, line))
            menu.setDefaultAction(fix)
        return menu

    def _context_menu(self, pos) -> None:  # in the viewport's coordinates
        item = self.tree.itemAt(pos)
        if item is not None:
            self.context_menu = self.menu_for(item)
            self.context_menu.popup(self.tree.viewport().mapToGlobal(pos))

    def _clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        from PySide6.QtCore import Qt

        script, line = item.data(0, Qt.ItemDataRole.UserRole)
        if script:
            self.activated.emit(script, line)
