"""The trace viewer: the structured traceback of failed runs and of pasted / opened / dropped traces.

Frames are listed outermost first under their exception. Anonymous frames are highlighted, runs of
library frames are dimmed and folded under one node, frames in project scripts read like links and
a click asks the window to open the script at that line. Each suggestion of the trace engine is a
chip ("Name this function `getUser`") whose Apply asks the window to run the rename fix.
The parsing is app.domain.traces; this widget only draws its model.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QDragEnterEvent, QDropEvent, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.traces import PYTHON, Frame, Trace, analyze
from app.domain.traces.mapping import assign_scripts, suggest

ANONYMOUS_BG = QColor("#fff3c4")
LIBRARY_FG = QColor("#8a8a8a")
LINK_FG = QColor("#1565c0")
FRAME_ROLE = Qt.ItemDataRole.UserRole  # (script key, line) of a project frame
MAX_LOG_BYTES = 64 * 1024 * 1024


def trace_from_run(result: dict, sources: dict[str, str] | None = None) -> Trace | None:
    """The failed run's error as a Trace (same model as a pasted one), or None when it did not fail."""
    error = result.get("error")
    if not error or result.get("outcome") not in ("error", "crashed", "timeout", "invalid"):
        return None
    frames = [Frame(function=f.get("function"), file=f.get("file"), line=f.get("line"), column=None,
                    anonymous=(f.get("function") or "") in ("<lambda>", ""), library=bool(f.get("library")))
              for f in error.get("traceback") or ()]
    trace = Trace(PYTHON, str(error.get("type") or ""), str(error.get("message") or ""), frames)
    assign_scripts(trace, None, sources)
    trace.suggestions = suggest(trace)
    return trace


class TracePanel(QWidget):
    open_location = Signal(str, int)  # script key, 1-based line
    apply_suggestion = Signal(str)  # script key whose entry should get its recommended name

    def __init__(self, project=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.project = project
        self.traces: list[Trace] = []
        self.source_label = ""
        self.last_text = ""  # the last pasted / opened text: what Export bundle offers as the trace
        self.setAcceptDrops(True)

        bar = QHBoxLayout()
        self.paste_button = QPushButton("Paste trace")
        self.paste_button.setToolTip("Analyse the stack trace on the clipboard (Ctrl+Shift+V)")
        self.paste_button.clicked.connect(self.paste)
        self.open_button = QPushButton("Open log…")
        self.open_button.clicked.connect(self.open_dialog)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.clear)
        self.summary = QLabel("Paste, open or drop a stack trace; failed runs show here too.")
        for w in (self.paste_button, self.open_button, self.clear_button):
            bar.addWidget(w)
        bar.addWidget(self.summary, 1)

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Frame", "Where"])
        self.tree.setColumnWidth(0, 320)
        self.tree.itemClicked.connect(self._item_clicked)
        self.tree.itemActivated.connect(self._item_clicked)

        self.chips_row = QHBoxLayout()
        self.chips_row.addStretch(1)
        self.chips: list[tuple[QLabel, QPushButton]] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.tree, 1)
        layout.addLayout(self.chips_row)

    # -- input -----------------------------------------------------------------------------------
    def _sources(self) -> dict[str, str] | None:
        if self.project is None:
            return None
        sources = {}
        for key in self.project.script_keys():
            try:
                sources[key] = self.project.read_script(key)
            except (OSError, UnicodeDecodeError):
                continue
        return sources

    def show_text(self, text: str, label: str = "pasted text") -> int:
        """Analyse `text` (any form: traceback, V8 stack, JSON log lines) and show its traces."""
        self.source_label = label
        self.last_text = text
        self.set_traces(analyze(text, sources=self._sources()))
        return len(self.traces)

    def paste(self) -> int:
        return self.show_text(QGuiApplication.clipboard().text(), "clipboard")

    def open_file(self, path: str | Path) -> int:
        path = Path(path)
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_LOG_BYTES)
        except OSError as e:
            self.summary.setText(f"Cannot read {path.name}: {e.strerror or e}")
            return 0
        return self.show_text(data.decode("utf-8-sig", errors="replace"), path.name)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open log file", "", "Logs (*.log *.txt *.json *.jsonl);;All files (*)")
        if path:
            self.open_file(path)

    def show_run_result(self, result: dict) -> bool:
        """Show a failed local run's traceback (ignored when the run did not fail)."""
        trace = trace_from_run(result, self._sources())
        if trace is None:
            return False
        self.source_label = f"run of {result.get('script')}"
        self.set_traces([trace])
        return True

    def clear(self) -> None:
        self.set_traces([])

    # -- drag and drop ---------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls() or event.mimeData().hasText():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        mime = event.mimeData()
        files = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
        if files:
            self.open_file(files[0])
        elif mime.hasText():
            self.show_text(mime.text(), "dropped text")
        event.acceptProposedAction()

    # -- drawing ---------------------------------------------------------------------------------
    def set_traces(self, traces: list[Trace]) -> None:
        self.traces = traces
        self.tree.clear()
        for n, trace in enumerate(traces, start=1):
            head = f"{trace.exception_type}: {trace.message}" if trace.message else trace.exception_type
            top = QTreeWidgetItem([f"Trace {n}: {head or '(no exception line)'}",
                                   "Python" if trace.language == PYTHON else "JavaScript"])
            self.tree.addTopLevelItem(top)
            self._add_frames(top, trace)
            top.setExpanded(True)
        if traces:
            self.summary.setText(f"{len(traces)} trace(s) from {self.source_label}")
        else:
            self.summary.setText("No stack trace found." if self.source_label else "")
        self._set_chips([s for t in traces for s in t.suggestions])

    def _add_frames(self, top: QTreeWidgetItem, trace: Trace) -> None:
        fold: QTreeWidgetItem | None = None
        for frame in trace.frames:
            item = self._frame_item(frame)
            if frame.library:
                if fold is None:
                    fold = QTreeWidgetItem(["library frames", ""])
                    fold.setForeground(0, QBrush(LIBRARY_FG))
                    top.addChild(fold)
                fold.addChild(item)
                fold.setText(0, f"{fold.childCount()} library frame(s)")
                continue
            fold = None
            top.addChild(item)

    def _frame_item(self, frame: Frame) -> QTreeWidgetItem:
        where = (frame.file or "?") + (f":{frame.line}" if frame.line is not None else "")
        name = frame.function or "<anonymous>"
        item = QTreeWidgetItem([name + ("  (anonymous)" if frame.anonymous else ""), where])
        if frame.source is not None or frame.text is not None:
            item.setToolTip(0, (frame.source if frame.source is not None else frame.text or "").strip())
        if frame.library:
            for col in (0, 1):
                item.setForeground(col, QBrush(LIBRARY_FG))
        if frame.anonymous:
            for col in (0, 1):
                item.setBackground(col, QBrush(ANONYMOUS_BG))
        if self._is_project_frame(frame):
            item.setData(0, FRAME_ROLE, (frame.script, int(frame.line)))
            font = QFont(item.font(1))
            font.setUnderline(True)
            item.setFont(1, font)
            item.setForeground(1, QBrush(LINK_FG))
            item.setToolTip(1, f"Open scripts/{frame.script}.py at line {frame.line}")
        return item

    def _is_project_frame(self, frame: Frame) -> bool:
        if frame.library or not frame.script or frame.line is None:
            return False
        return self.project is None or frame.script in self.project.script_keys()

    def _item_clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        target = item.data(0, FRAME_ROLE)
        if target:
            self.open_location.emit(target[0], target[1])

    def _set_chips(self, suggestions: list) -> None:
        for label, _button in self.chips:
            label.parentWidget().deleteLater()
        self.chips = []
        seen = set()
        for s in suggestions:
            if s.script in seen:
                continue
            seen.add(s.script)
            chip = QFrame()
            chip.setFrameShape(QFrame.Shape.StyledPanel)
            chip.setStyleSheet("QFrame { border-radius: 8px; background: #e3f2fd; }")
            row = QHBoxLayout(chip)
            row.setContentsMargins(6, 2, 6, 2)
            label = QLabel(f"Name this function `{s.recommended_name}`")
            label.setToolTip(f"The {s.script} entry "
                             + ("is anonymous" if s.reason == "anonymous" else "has a non-recommended name"))
            button = QPushButton("Apply")
            button.clicked.connect(lambda _=False, key=s.script: self.apply_suggestion.emit(key))
            row.addWidget(label)
            row.addWidget(button)
            self.chips_row.insertWidget(self.chips_row.count() - 1, chip)
            self.chips.append((label, button))
