"""The project tree: the seven scripts, whether the mode needs them, and their findings count."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem

from app.domain.findings import Finding, Severity
from app.domain.project import Project
from app.domain.scripts import ScriptKind
from app.ui import theme


def script_status(kind: ScriptKind, project: Project) -> str:
    if not kind.used_in(project.mode):
        return "not used"
    return "required" if kind.required(project.mode) else "optional"


class ProjectTree(QTreeWidget):
    open_requested = Signal(str)  # script key

    def __init__(self, project: Project, parent=None):
        super().__init__(parent)
        self.project = project
        self.setHeaderLabels(["Script", "In this mode", "Findings"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.header().setStretchLastSection(True)
        self.items: dict[str, QTreeWidgetItem] = {}
        present = set(project.script_keys())
        for kind in project.platform.kinds.values():
            status = script_status(kind, project)
            missing = kind.key not in present
            item = QTreeWidgetItem([kind.title, status + (" (missing)" if missing else ""), ""])
            item.setToolTip(0, f"scripts/{project.script_file_name(kind.key)} — {kind.runs_when}")
            if status == "not used" or missing:
                for col in range(3):
                    theme.tint(item, col, foreground="muted")
            if status == "required":
                font = item.font(1)
                font.setBold(True)
                item.setFont(1, font)
            self.items[kind.key] = item
            self.addTopLevelItem(item)
        # names never cut ("Change Password"): column widths from font metrics, since asking the
        # view (resizeColumnToContents, sizeHintForColumn) lays out every item before the first paint
        self._widths = [self._text_width(c) for c in range(self.columnCount())]
        for col in (0, 1):
            self.setColumnWidth(col, self._widths[col])
        self.itemActivated.connect(self._activated)  # Enter, and double-click on most styles
        self.itemDoubleClicked.connect(self._activated)

    def _text_width(self, column: int) -> int:
        """The widest text of a column, its header's included (bold where the column has bold items)."""
        plain = self.fontMetrics()
        bold_font = QFont(self.font())
        bold_font.setBold(True)
        bold = QFontMetrics(bold_font)
        texts = [self.headerItem().text(column)] + [item.text(column) for item in self.items.values()]
        return max(bold.horizontalAdvance(t) if column == 1 else plain.horizontalAdvance(t) for t in texts) + 12

    def needed_width(self) -> int:
        """The width that shows every column uncut (the window gives the tree this, within reason)."""
        return sum(self._widths) + self.frameWidth() * 2 + 4

    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        key = next((k for k, it in self.items.items() if it is item), None)
        if key is not None:
            self.open_requested.emit(key)

    def set_findings(self, key: str, findings: list[Finding]) -> None:
        item = self.items.get(key)
        if item is None:
            return
        errors = sum(f.severity is Severity.ERROR for f in findings)
        item.setText(2, str(len(findings)))
        item.setToolTip(2, f"{len(findings)} findings, {errors} errors")
        if findings:
            theme.tint(item, 2, foreground="error" if errors else "warning")
        font = QFont(item.font(0))
        font.setBold(bool(errors))
        item.setFont(2, font)

    def findings_count(self, key: str) -> str:
        return self.items[key].text(2)

    def status(self, key: str) -> str:
        return self.items[key].text(1)
