"""SQL: every statement a run executed, with its parameters, duration and row count; a failed
statement's row is in the error style (red, bold) with its error in the Rows column."""

from __future__ import annotations

import json

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui import theme

COLUMNS = ("Statement", "Params", "Duration", "Rows")
ERROR_ROLE = 0x0100 + 1  # Qt.ItemDataRole.UserRole + 1: the statement failed


def _fmt_params(params: object) -> str:
    if params in (None, {}, []):
        return ""
    try:
        return json.dumps(params, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(params)


def sql_row(entry: dict) -> tuple[str, str, str, str]:
    """(statement, params, duration, rows) as display text for one trace entry."""
    statement = " ".join(str(entry.get("statement") or entry.get("sql") or "").split())
    params = _fmt_params(entry.get("params", entry.get("parameters")))
    ms = entry.get("duration_ms")
    if ms is None and entry.get("duration_s") is not None:
        ms = float(entry["duration_s"]) * 1000
    duration = f"{float(ms):.2f} ms" if ms is not None else ""
    rows = entry.get("rows", entry.get("rowcount"))
    error = entry.get("error")
    rows_text = f"error: {error}" if error else ("" if rows is None or rows == -1 else str(rows))
    return statement, params, duration, rows_text


class SqlPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        self.table.setWordWrap(False)
        self.table.horizontalHeaderItem(3).setToolTip(
            "Rows the script read from a SELECT's result, or the rows an INSERT / UPDATE / DELETE "
            "changed; empty when unknown")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)

    def clear(self) -> None:
        self.table.setRowCount(0)

    def add(self, entry: dict) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        failed = bool(entry.get("error"))
        for col, text in enumerate(sql_row(entry)):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            if failed:  # a failed statement's row stands out, readable in both themes
                theme.tint(item, background="error_row_bg", foreground=None)
                font = item.font()
                font.setBold(True)
                item.setFont(font)
                item.setData(ERROR_ROLE, True)
            self.table.setItem(row, col, item)

    def failed_rows(self) -> list[int]:
        """Rows of statements that failed (shown in the error style)."""
        return [r for r in range(self.table.rowCount()) if self.table.item(r, 0).data(ERROR_ROLE)]

    def rows(self) -> list[tuple[str, ...]]:
        return [tuple(self.table.item(r, c).text() for c in range(len(COLUMNS)))
                for r in range(self.table.rowCount())]
