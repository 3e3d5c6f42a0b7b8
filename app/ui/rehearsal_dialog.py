"""Run → Rehearse migration…: Get User for every legacy user (app/engine/rehearsal.py) on a worker
thread, with a progress bar, rate and time left, Cancel, totals by failure code, the failures in a
table and Export CSV. The dialog stays responsive: progress arrives through queued signals.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.workers import post, run_in_thread

MAX_ROWS_SHOWN = 2000  # the table shows this many failures; Export CSV writes all of them


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


class RehearsalDialog(QDialog):
    """One project's rehearsal: start, watch, cancel, read, export."""

    def __init__(self, project: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.project = project
        self.setWindowTitle(f"Rehearse migration — {project.name}")
        self.resize(760, 520)
        self.rehearsal: Any = None
        self.report: Any = None
        self.running = False

        self.limit = QSpinBox()
        self.limit.setRange(0, 100_000_000)
        self.limit.setSpecialValueText("all users")
        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.export_button = QPushButton("Export failures as CSV…")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export_csv)
        top = QHBoxLayout()
        top.addWidget(QLabel("Users:"))
        top.addWidget(self.limit)
        top.addWidget(self.start_button)
        top.addWidget(self.cancel_button)
        top.addStretch(1)
        top.addWidget(self.export_button)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.rate_label = QLabel("Get User runs twice for every legacy user, always rolled back.")
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.codes = QTableWidget(0, 2)
        self.codes.setHorizontalHeaderLabels(["code", "users"])
        self.codes.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.codes.setMaximumHeight(170)
        self.failures = QTableWidget(0, 4)
        self.failures.setHorizontalHeaderLabels(["identifier", "code", "user_id", "message"])
        self.failures.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        for table in (self.codes, self.failures):
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.rate_label)
        layout.addWidget(self.summary)
        layout.addWidget(self.codes)
        layout.addWidget(self.failures, 1)

    # -- running -----------------------------------------------------------------------------------
    def start(self) -> None:
        if self.running:
            return
        from app.engine.rehearsal import Rehearsal

        self.running = True
        self.report = None
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.export_button.setEnabled(False)
        self.progress.setRange(0, 0)  # busy until the total is known
        self.rate_label.setText("starting…")
        self.summary.clear()
        self.codes.setRowCount(0)
        self.failures.setRowCount(0)
        limit = self.limit.value() or None
        self.rehearsal = Rehearsal(self.project, limit=limit, use_spare=True,
                                   on_progress=lambda *a: post(self._progress, a))

        def work() -> Any:
            from app.engine.rehearsal import RehearsalError
            from app.engine.run_inputs import RunInputError
            from app.engine.secrets import SecretsError

            try:
                return self.rehearsal.run()
            except (RehearsalError, RunInputError, SecretsError, ValueError) as e:
                return str(e)

        run_in_thread(work, self._done, self._failed, name="customdb-rehearsal")

    def cancel(self) -> None:
        if self.rehearsal is not None and self.running:
            self.rate_label.setText("cancelling after the current chunk…")
            self.rehearsal.cancel()

    def _progress(self, values: tuple) -> None:
        done, total, rate, eta = values
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.rate_label.setText(f"{done:,} of {total:,} users — {rate:,.0f} users/s — {_duration(eta)} left")

    def _failed(self, message: str) -> None:
        self.running = False
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.rate_label.setText(message)

    def _done(self, report: Any) -> None:
        if isinstance(report, str):
            return self._failed(report)
        self.running = False
        self.report = report
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.export_button.setEnabled(bool(report.failures))
        self.progress.setRange(0, max(report.total, report.users, 1))
        self.progress.setValue(report.users)
        rate = report.users / report.duration_s if report.duration_s else 0
        self.rate_label.setText(f"{report.users:,} users in {_duration(report.duration_s)} ({rate:,.0f} users/s)"
                                + (" — cancelled" if report.cancelled else ""))
        self.summary.setText(f"<b>{report.ok:,} ok, {report.failed:,} failed</b>"
                             + ("" if report.failed else " — every user would migrate cleanly"))
        self.codes.setRowCount(len(report.by_code))
        for row, (code, count) in enumerate(report.by_code.items()):
            self.codes.setItem(row, 0, QTableWidgetItem(code))
            item = QTableWidgetItem(f"{count:,}")
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.codes.setItem(row, 1, item)
        shown = report.failures[:MAX_ROWS_SHOWN]
        self.failures.setRowCount(len(shown))
        for row, failure in enumerate(shown):
            values = ("" if failure.identifier is None else str(failure.identifier), failure.code,
                      failure.user_id or "", failure.message)
            for col, value in enumerate(values):
                self.failures.setItem(row, col, QTableWidgetItem(value))
        return None

    def export_csv(self, path: str | None = None) -> str | None:
        """Write every failure as CSV; asks for a file name unless one is given."""
        if self.report is None:
            return None
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Export failures", "rehearsal-failures.csv", "CSV (*.csv)")
            if not path:
                return None
        try:
            self.report.write_csv(path)
        except OSError as e:
            self.rate_label.setText(f"could not write {path}: {e.strerror or e}")
            return None
        self.rate_label.setText(f"{len(self.report.failures):,} failures written to {path}")
        return path

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.cancel()
        super().closeEvent(event)
