"""The side-by-side Reproduce view: the customer's frames on the left, the local run's on the right,
matched rows (same script and line) in green, and a verdict. It draws app.engine.replay's
`Comparison.to_dict()`; the replay itself runs off the GUI thread (app/ui/reproduction.py)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui import theme

VERDICTS = {True: ("Reproduced", "ok"), False: ("Not reproduced", "error"),  # colours: app/ui/theme.py
            None: ("No customer trace to compare with", "warning")}


def frame_text(frame: dict | None) -> str:
    if not frame:
        return ""
    file = (frame.get("file") or "?").replace("\\", "/").rsplit("/", 1)[-1]
    return f"{frame.get('function') or '<anonymous>'}  {file}:{frame.get('line')}"


class ReproducePanel(QWidget):
    reproduce_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.comparison: dict | None = None
        self.button = QPushButton("Reproduce")
        self.button.setToolTip("Dry-run repro/repro.json's input against its script and compare with repro/trace.txt")
        self.button.clicked.connect(self.reproduce_requested)
        self.verdict = QLabel("Reproduce runs the bundled input against the bundled script.")
        top = QHBoxLayout()
        top.addWidget(self.button)
        top.addWidget(self.verdict, 1)
        self.customer_error = QLabel()
        self.local_error = QLabel()
        for label in (self.customer_error, self.local_error):
            label.setWordWrap(True)
        errors = QHBoxLayout()
        errors.addWidget(self.customer_error, 1)
        errors.addWidget(self.local_error, 1)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Customer", "Local"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 320)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(errors)
        layout.addWidget(self.table, 1)

    def set_busy(self, busy: bool) -> None:
        self.button.setEnabled(not busy)
        if busy:
            self.verdict.setText("Reproducing…")
            theme.styled(self.verdict, "")

    def show_error(self, message: str) -> None:
        self.set_busy(False)
        self.verdict.setText(message)
        theme.styled(self.verdict, "color:{error};")

    def show_comparison(self, comparison: dict) -> None:
        self.set_busy(False)
        self.comparison = comparison
        text, colour = VERDICTS[comparison["reproduced"]]
        self.verdict.setText(f"{comparison['script']}: {text} — {comparison['matched_frames']} frame(s) matched "
                             "by script and line")
        theme.styled(self.verdict, f"color:{{{colour}}}; font-weight: bold;")
        customer, local = comparison.get("customer"), comparison["local"]
        self.customer_error.setText(f"Customer: {customer['type']}: {customer['message']}" if customer
                                    else "Customer: (no trace)")
        self.local_error.setText(f"Local: {local['type'] or local['outcome']}"
                                 + (f": {local['message']}" if local.get("message") else ""))
        rows = comparison["rows"]
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            left = frame_text(customer["frames"][row["customer"]]) if row["customer"] is not None else ""
            right = frame_text(local["frames"][row["local"]]) if row["local"] is not None else ""
            for col, text in ((0, left), (1, right)):
                item = QTableWidgetItem(text)
                if row["matched"]:
                    theme.tint(item, background="matched_bg")
                self.table.setItem(i, col, item)

    def matched_rows(self) -> list[int]:
        return [i for i in range(self.table.rowCount())
                if self.table.item(i, 0) is not None and theme.tinted(self.table.item(i, 0))[0] == "matched_bg"]
