"""A read-only tree view of a JSON value (the profile a script returned)."""

from __future__ import annotations

import json

from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem


def _scalar(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


class JsonTree(QTreeWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setHeaderLabels(["Key", "Value"])
        self.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.setUniformRowHeights(True)
        self.value: object = None

    def set_value(self, value: object) -> None:
        self.value = value
        self.clear()
        if isinstance(value, dict | list):
            self._fill(self.invisibleRootItem(), value)
        else:
            self.addTopLevelItem(QTreeWidgetItem(["(result)", _scalar(value)]))
        self.expandAll()
        self.resizeColumnToContents(0)

    def _fill(self, parent: QTreeWidgetItem, value: object) -> None:
        pairs = value.items() if isinstance(value, dict) else enumerate(value)  # type: ignore[union-attr]
        for key, child in pairs:
            if isinstance(child, dict | list):
                item = QTreeWidgetItem([str(key), "{…}" if isinstance(child, dict) else f"[{len(child)}]"])
                self._fill(item, child)
            else:
                item = QTreeWidgetItem([str(key), _scalar(child)])
            parent.addChild(item)

    def rows(self) -> dict[str, str]:
        """Top-level key → displayed value (for tests and copy)."""
        root = self.invisibleRootItem()
        return {root.child(i).text(0): root.child(i).text(1) for i in range(root.childCount())}
