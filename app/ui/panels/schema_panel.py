"""Schema: tables and columns of the legacy database, loaded off the GUI thread.

Double-clicking a table or column inserts its name at the cursor of the current editor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.workers import run_in_background


def normalise_schema(tables: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(table, [(column, type)])] from inspect_schema's Table/Column objects."""
    out = []
    for table in tables:
        columns = []
        for col in table.columns:
            type_ = col.type + (" · primary key" if getattr(col, "primary_key", False) else "")
            columns.append((col.name, type_))
        out.append((table.name, columns))
    return out


class SchemaPanel(QWidget):
    insert_requested = Signal(str)
    loaded = Signal()

    def __init__(self, url_provider: Callable[[], str], parent=None):
        super().__init__(parent)
        self._url_provider = url_provider
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Name", "Type"])
        self.tree.itemDoubleClicked.connect(self._double_clicked)
        self.status = QLabel("Not loaded yet.")
        self.status.setWordWrap(True)
        reload_button = QPushButton("Reload")
        reload_button.clicked.connect(self.reload)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(reload_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.tree)
        self.loading = False

    def reload(self) -> None:
        if self.loading:
            return
        self.loading = True
        self.status.setText("Loading tables…")
        url = self._url_provider()

        def work():
            from app.engine.database import inspect_schema

            return normalise_schema(inspect_schema(url))

        run_in_background(work, self._show, self._failed)

    def _show(self, tables: list[tuple[str, list[tuple[str, str]]]]) -> None:
        from PySide6.QtCore import Qt

        self.loading = False
        self.tree.clear()
        for table, columns in tables:
            item = QTreeWidgetItem([table, f"{len(columns)} columns"])
            item.setData(0, Qt.ItemDataRole.UserRole, table)
            for name, type_ in columns:
                child = QTreeWidgetItem([name, type_])
                child.setData(0, Qt.ItemDataRole.UserRole, name)
                item.addChild(child)
            self.tree.addTopLevelItem(item)
        self.status.setText(f"{len(tables)} tables — double-click a name to insert it")
        self.loaded.emit()

    def _failed(self, message: str) -> None:
        self.loading = False
        self.tree.clear()
        self.status.setText(f"Cannot read the schema: {message}")
        self.loaded.emit()

    def _double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        from PySide6.QtCore import Qt

        self.insert_requested.emit(item.data(0, Qt.ItemDataRole.UserRole))
