"""Run → Rehearse migration…: Get User for every legacy user (app/engine/rehearsal.py) on a worker
thread, with a progress bar, rate and time left, Cancel, totals by failure code, the failures in a
table and Export CSV. The dialog stays responsive: progress arrives through queued signals.

It tells the truth about what it checked: a cancelled rehearsal counts only the users it reached;
it runs the editor's text of Get User when that is unsaved (as Run does) and says so; a result is
marked stale as soon as the database or Get User changes; and any failed user opens in the Run form
or the debugger with that user's input (`open_user`, wired by the main window).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
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
STALE_CHECK_MS = 1000

# () -> (Get User's editor text, unsaved?) or None when no editor has it open
SourceProvider = Callable[[], "tuple[str, bool] | None"]


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


class RehearsalDialog(QDialog):
    """One project's rehearsal: start, watch, cancel, read, export, open a failed user."""

    open_user = Signal(object, bool)  # (identifier, debug): show that user's input in the Run form / debug it

    def __init__(self, project: Any, parent: QWidget | None = None,
                 source_provider: SourceProvider | None = None):
        super().__init__(parent)
        from app.engine.rehearsal import default_workers

        self.project = project
        self.source_provider = source_provider
        self.setWindowTitle(f"Rehearse migration — {project.name}")
        self.resize(820, 560)
        self.rehearsal: Any = None
        self.report: Any = None
        self.running = False
        self._ran_source: str | None = None

        self.limit = QSpinBox()
        self.limit.setRange(0, 100_000_000)
        self.limit.setSpecialValueText("all users")
        self.workers = QSpinBox()
        self.workers.setRange(1, 64)
        self.workers.setValue(default_workers())
        self.workers.setToolTip("worker processes, each with its own dry-run connection (default: one per core)")
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
        top.addWidget(QLabel("Workers:"))
        top.addWidget(self.workers)
        top.addWidget(self.start_button)
        top.addWidget(self.cancel_button)
        top.addStretch(1)
        top.addWidget(self.export_button)

        self.source_label = QLabel("")
        self.source_label.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.rate_label = QLabel("Get User runs twice for every legacy user, always rolled back.")
        self.stale_label = QLabel("")
        self.stale_label.setWordWrap(True)
        self.stale_label.setObjectName("rehearsal_stale")
        self.stale_label.setStyleSheet("font-weight: bold; color: #b00020;")
        self.stale_label.hide()
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.stranded_label = QLabel("")
        self.stranded_label.setWordWrap(True)
        self.codes = QTableWidget(0, 2)
        self.codes.setHorizontalHeaderLabels(["code", "users"])
        self.codes.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.codes.setMaximumHeight(150)
        self.failures = QTableWidget(0, 4)
        self.failures.setHorizontalHeaderLabels(["identifier", "code", "user_id", "message"])
        self.failures.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.failures.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.failures.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.failures.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.failures.setToolTip("double-click: open this user's input in the Run form")
        self.failures.itemSelectionChanged.connect(self._selection_changed)
        self.failures.cellDoubleClicked.connect(lambda row, _col: self.open_failure(row, debug=False))
        for table in (self.codes, self.failures):
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.run_form_button = QPushButton("Open in Run form")
        self.debug_button = QPushButton("Debug this user")
        for button, debug in ((self.run_form_button, False), (self.debug_button, True)):
            button.setEnabled(False)
            button.clicked.connect(lambda _=False, d=debug: self.open_failure(self.failures.currentRow(), debug=d))
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.run_form_button)
        actions.addWidget(self.debug_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.source_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.rate_label)
        layout.addWidget(self.stale_label)
        layout.addWidget(self.summary)
        layout.addWidget(self.stranded_label)
        layout.addWidget(self.codes)
        layout.addWidget(self.failures, 1)
        layout.addLayout(actions)

        self._stale_timer = QTimer(self)
        self._stale_timer.setInterval(STALE_CHECK_MS)
        self._stale_timer.timeout.connect(self.check_stale)
        self._describe_source()

    # -- what runs ---------------------------------------------------------------------------------
    def current_source(self) -> tuple[str | None, bool]:
        """(Get User's text as the rehearsal would run it, whether that is the editor's unsaved text)."""
        given = self.source_provider() if self.source_provider is not None else None
        if given is not None and given[1]:
            return given[0], True
        path = self.project.script_path("get_user")
        try:
            return path.read_text(encoding="utf-8"), False
        except OSError:
            return (given[0] if given is not None else None), False

    def _describe_source(self) -> None:
        _, unsaved = self.current_source()
        self.source_label.setText("Get User has unsaved changes: the rehearsal runs the editor's text, as Run does "
                                  "(save to keep it)." if unsaved else "The rehearsal runs the saved Get User.")

    # -- running -----------------------------------------------------------------------------------
    def start(self) -> None:
        if self.running:
            return
        from app.engine.rehearsal import Rehearsal

        source, unsaved = self.current_source()
        self._describe_source()
        self.running = True
        self.report = None
        self._ran_source = source
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.export_button.setEnabled(False)
        self.progress.setRange(0, 0)  # busy until the total is known
        self.rate_label.setText("starting…")
        self.stale_label.hide()
        self.summary.clear()
        self.stranded_label.clear()
        self.codes.setRowCount(0)
        self.failures.setRowCount(0)
        limit = self.limit.value() or None
        self.rehearsal = Rehearsal(self.project, limit=limit, use_spare=True, workers=self.workers.value(),
                                   source=source if unsaved else None,
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
            self.rate_label.setText("cancelling after the chunks in flight…")
            self.rehearsal.cancel()

    def _progress(self, values: tuple) -> None:
        done, total, rate, eta = values
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        of = f" of {total:,}" if total else ""
        self.rate_label.setText(f"{done:,}{of} users — {rate:,.0f} users/s — {_duration(eta)} left")

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
        ran = "the editor's unsaved text" if report.script == "editor" else "the saved file"
        self.rate_label.setText(f"{report.users:,} users in {_duration(report.duration_s)} ({rate:,.0f} users/s, "
                                f"{report.workers} worker{'s' if report.workers != 1 else ''}; Get User from {ran})"
                                + (" — cancelled" if report.cancelled else ""))
        self.summary.setText(f"<b>{report.summary()}</b>")
        self.stranded_label.setText(f"Stranded users: {report.stranded_note}" if report.stranded_note else "")
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
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.failures.setItem(row, col, item)
        self._stale_timer.start()
        self.check_stale()
        return None

    # -- staleness ---------------------------------------------------------------------------------
    def check_stale(self) -> str | None:
        """Mark the shown result stale when the database or Get User changed since it ran."""
        if self.report is None or self.running:
            return None
        from app.engine.rehearsal import fingerprint

        source, _ = self.current_source()
        reason = self.report.stale_reason(fingerprint(self.project, source or ""))
        if reason:
            self.stale_label.setText(f"Stale: {reason}. This result describes what was there then; start again "
                                     "to rehearse what is there now.")
        self.stale_label.setVisible(bool(reason))
        self._describe_source()
        return reason

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._describe_source()
        self.check_stale()
        if self.report is not None:
            self._stale_timer.start()

    def hideEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self._stale_timer.stop()
        super().hideEvent(event)

    # -- failed users ------------------------------------------------------------------------------
    def _selection_changed(self) -> None:
        row = self.failures.currentRow()
        usable = self.report is not None and 0 <= row < self.failures.rowCount()
        self.run_form_button.setEnabled(usable)
        self.debug_button.setEnabled(usable)

    def open_failure(self, row: int, debug: bool = False) -> Any:
        """Open failure `row`'s user in the Run form (or the debugger) with their identifier as input."""
        if self.report is None or not 0 <= row < min(len(self.report.failures), MAX_ROWS_SHOWN):
            return None
        identifier = self.report.failures[row].identifier
        self.open_user.emit(identifier, debug)
        return identifier

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
