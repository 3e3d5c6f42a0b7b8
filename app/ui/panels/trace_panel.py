"""The trace viewer: the structured traceback of failed runs and of pasted / opened / dropped traces.

Frames are listed outermost first under their exception. Anonymous frames are highlighted, runs of
library frames are dimmed and folded under one node, frames in project scripts read like links and
a click asks the window to open the script at that line. Each suggestion of the trace engine is a
chip ("Name this function `getUser`") whose Apply asks the window to run the rename fix.
A failed local run shows its chained exceptions as separate traces in the order Python prints them,
each frame with its source line; selecting a frame shows its variables as they were at the error
(the runner child's post-mortem, app/runtime/postmortem.py) in the Variables table beside the frames.
The parsing is app.domain.traces; this widget only draws its model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.traces import PYTHON, Frame, Trace, analyze, diagnose
from app.domain.traces.mapping import assign_scripts, suggest
from app.ui import theme
from app.ui.panels.diagnoses_view import DiagnosesView

FRAME_ROLE = Qt.ItemDataRole.UserRole  # (script key, line) of a project frame
LOCALS_ROLE = Qt.ItemDataRole.UserRole + 1  # index into TracePanel.frame_locals (frames of a local run)
LIBRARY_FRAME = -1  # LOCALS_ROLE of a local run's library frame: shown by name only
MAX_LOG_BYTES = 64 * 1024 * 1024
FAILED = ("error", "crashed", "timeout", "invalid")
RELATION_TEXT = {  # what Python prints between chained tracebacks
    "cause": "The above exception was the direct cause of the following exception:",
    "context": "During handling of the above exception, another exception occurred:",
}
NO_VARIABLES = "Select a frame of a failed local run to see its variables at the time of the error."


@dataclass(slots=True)
class RunFrame(Frame):
    """A frame of a local run: `locals` is the post-mortem {name: repr} (None: not captured)."""

    locals: dict[str, str] | None = None


@dataclass(slots=True)
class RunTrace(Trace):
    """One exception of a local run; `relation` links it to the next trace (`cause` / `context`)."""

    relation: str | None = None


def traces_from_run(result: dict, sources: dict[str, str] | None = None) -> list[Trace]:
    """A failed run's exceptions as Traces, in the order a pasted Python traceback shows them: the
    chain (earliest first), then the error itself. Empty when the run did not fail."""
    error = result.get("error")
    if not isinstance(error, dict) or result.get("outcome") not in FAILED:
        return []
    parts = [c for c in error.get("chain") or () if isinstance(c, dict)] + [error]
    traces: list[Trace] = []
    for part in parts:
        frames = [RunFrame(function=f.get("function"), file=f.get("file"), line=f.get("line"), column=None,
                           anonymous=(f.get("function") or "") in ("<lambda>", ""), library=bool(f.get("library")),
                           text=f.get("source"), locals=f.get("locals") if isinstance(f.get("locals"), dict) else None)
                  for f in part.get("traceback") or () if isinstance(f, dict)]
        trace = RunTrace(PYTHON, str(part.get("type") or ""), str(part.get("message") or ""), frames,
                         relation=part.get("relation") if part is not error else None)
        assign_scripts(trace, None, sources)
        trace.suggestions = suggest(trace)
        traces.append(trace)
    return traces


def trace_from_run(result: dict, sources: dict[str, str] | None = None) -> Trace | None:
    """The failed run's error (the last exception of its chain) as a Trace, or None."""
    traces = traces_from_run(result, sources)
    return traces[-1] if traces else None


class TracePanel(QWidget):
    open_location = Signal(str, int)  # script key, 1-based line
    apply_suggestion = Signal(str, str)  # script key whose entry should get its recommended name, trace language

    def __init__(self, project=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.project = project
        self.traces: list[Trace] = []
        self.source_label = ""
        self.frame_locals: list[tuple[str, dict[str, str]]] = []  # (frame title, locals) by LOCALS_ROLE
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
        self.tree.setHeaderLabels(["Frame", "Where", "Source"])
        self.tree.setColumnWidth(0, 320)
        self.tree.setColumnWidth(1, 260)
        self.tree.itemClicked.connect(self._item_clicked)
        self.tree.itemActivated.connect(self._item_clicked)
        self.tree.currentItemChanged.connect(self._show_variables)

        self.variables_box = QWidget()
        self.variables_title = QLabel(NO_VARIABLES)
        self.variables_title.setWordWrap(True)
        self.variables = QTreeWidget()
        self.variables.setHeaderLabels(["Name", "Value"])
        self.variables.setRootIsDecorated(False)
        self.variables.setColumnWidth(0, 120)
        side = QVBoxLayout(self.variables_box)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.variables_title)
        side.addWidget(self.variables, 1)
        self.variables_box.hide()  # only local runs have variables
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(self.variables_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)

        self.chips_row = QHBoxLayout()
        self.chips_row.addStretch(1)
        self.chips: list[tuple[QLabel, QPushButton]] = []
        # hosted one-line errors and tenant log events of the text, explained
        self.diagnoses_view = DiagnosesView(lambda: self.project.script_keys() if self.project else None)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.diagnoses_view, 1)
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
        self.diagnoses_view.set_diagnoses(diagnose(text))
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
        """Show a failed local run's traceback, one trace per chained exception, and select the frame
        where it failed so its variables show at once (ignored when the run did not fail, and when
        the user stopped it: a Stop is no error to trace)."""
        error = result.get("error")
        if isinstance(error, dict) and error.get("type") == "Stopped":
            return False
        traces = traces_from_run(result, self._sources())
        if not traces:
            return False
        self.source_label = f"run of {result.get('script')}"
        self.set_traces(traces)
        self._select_failing_frame()
        return True

    def _select_failing_frame(self) -> None:
        """The innermost frame with variables of the last trace (where the reported error came from)."""
        for i in range(self.tree.topLevelItemCount() - 1, -1, -1):
            top = self.tree.topLevelItem(i)
            for item in reversed(_frame_items(top)):
                index = item.data(0, LOCALS_ROLE)
                if isinstance(index, int) and index >= 0:  # a script frame with variables
                    self.tree.setCurrentItem(item)
                    return
            if top.childCount():
                return

    def clear(self) -> None:
        self.diagnoses_view.set_diagnoses([])
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
        self.frame_locals = []
        self.tree.clear()
        for n, trace in enumerate(traces, start=1):
            head = f"{trace.exception_type}: {trace.message}" if trace.message else trace.exception_type
            top = QTreeWidgetItem([f"Trace {n}: {head or '(no exception line)'}",
                                   "Python" if trace.language == PYTHON else "JavaScript"])
            self.tree.addTopLevelItem(top)
            self._add_frames(top, trace)
            top.setExpanded(True)
            relation = RELATION_TEXT.get(getattr(trace, "relation", None) or "")
            if relation and n < len(traces):
                top.setToolTip(0, relation)
                separator = _separator(relation)
                self.tree.addTopLevelItem(separator)
                separator.setFirstColumnSpanned(True)  # only works once the item is in the tree
        self.variables_box.setVisible(bool(self.frame_locals))
        self._show_variables(None)
        explained = len(self.diagnoses_view.diagnoses)
        found = [f"{len(traces)} trace(s)"] if traces else []
        found += [f"{explained} hosted message(s) explained"] if explained else []
        if found:
            self.summary.setText(f"{' and '.join(found)} from {self.source_label}")
        else:
            self.summary.setText("No stack trace found." if self.source_label else "")
        self._set_chips([(t, s) for t in traces for s in t.suggestions])

    def _add_frames(self, top: QTreeWidgetItem, trace: Trace) -> None:
        fold: QTreeWidgetItem | None = None
        for frame in trace.frames:
            item = self._frame_item(frame)
            if frame.library:
                if fold is None:
                    fold = QTreeWidgetItem(["library frames", ""])
                    theme.tint(fold, 0, foreground="muted")
                    top.addChild(fold)
                fold.addChild(item)
                fold.setText(0, f"{fold.childCount()} library frame(s)")
                continue
            fold = None
            top.addChild(item)

    def _frame_item(self, frame: Frame) -> QTreeWidgetItem:
        where = (frame.file or "?") + (f":{frame.line}" if frame.line is not None else "")
        name = frame.function or "<anonymous>"
        quoted = (frame.text if frame.text is not None else frame.source or "").strip()
        item = QTreeWidgetItem([name + ("  (anonymous)" if frame.anonymous else ""), where, quoted])
        if frame.source is not None or frame.text is not None:
            item.setToolTip(0, (frame.source if frame.source is not None else frame.text or "").strip())
            item.setToolTip(2, quoted)
        if isinstance(frame, RunFrame):
            if frame.library:
                item.setData(0, LOCALS_ROLE, LIBRARY_FRAME)
            elif frame.locals is not None:
                item.setData(0, LOCALS_ROLE, len(self.frame_locals))
                self.frame_locals.append((f"{name} ({Path(frame.file or '?').name}:{frame.line})", frame.locals))
        if frame.library:
            for col in (0, 1):
                theme.tint(item, col, foreground="muted")
        if frame.anonymous:
            for col in (0, 1):  # a tint behind the theme's own text (app/ui/theme.py)
                theme.tint(item, col, background="anonymous_bg")
        if self._is_project_frame(frame):
            item.setData(0, FRAME_ROLE, (frame.script, int(frame.line)))
            font = QFont(item.font(1))
            font.setUnderline(True)
            item.setFont(1, font)
            theme.tint(item, 1, foreground="link")
            name = self.project.script_file_name(frame.script) if self.project is not None else f"{frame.script}.py"
            item.setToolTip(1, f"Open scripts/{name} at line {frame.line}")
        return item

    def _is_project_frame(self, frame: Frame) -> bool:
        if frame.library or not frame.script or frame.line is None:
            return False
        return self.project is None or frame.script in self.project.script_keys()

    def _item_clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        target = item.data(0, FRAME_ROLE)
        if target:
            self.open_location.emit(target[0], target[1])

    def _show_variables(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None = None) -> None:
        """Fill the Variables table with the selected frame's post-mortem locals."""
        self.variables.clear()
        index = item.data(0, LOCALS_ROLE) if item is not None else None
        if index is None or not 0 <= index < len(self.frame_locals):
            self.variables_title.setText("Library frame: only script frames keep their variables."
                                         if index == LIBRARY_FRAME else NO_VARIABLES)
            return
        title, variables = self.frame_locals[index]
        self.variables_title.setText(f"Variables of {title} at the error" if variables
                                     else f"{title}: no variables")
        for name, value in variables.items():
            row = QTreeWidgetItem([str(name), str(value)])
            row.setToolTip(1, str(value))
            self.variables.addTopLevelItem(row)

    def variable_rows(self) -> list[tuple[str, str]]:
        """(name, value) rows of the Variables table, as shown."""
        return [(self.variables.topLevelItem(i).text(0), self.variables.topLevelItem(i).text(1))
                for i in range(self.variables.topLevelItemCount())]

    def _set_chips(self, suggestions: list) -> None:
        """One chip per script: which frame it renames (name, file and line, as the trace says)
        and to what, with Apply."""
        for label, _button in self.chips:
            label.parentWidget().deleteLater()
        self.chips = []
        seen = set()
        for trace, s in suggestions:
            if s.script in seen:
                continue
            seen.add(s.script)
            chip = QFrame()
            chip.setFrameShape(QFrame.Shape.StyledPanel)
            theme.styled(chip, "QFrame {{ border-radius: 8px; background:{chip_bg}; }} QLabel {{ color:{text}; }}")
            row = QHBoxLayout(chip)
            row.setContentsMargins(6, 2, 6, 2)
            label = QLabel(chip_text(trace, s))
            label.setToolTip(f"The {s.script} entry "
                             + ("is anonymous" if s.reason == "anonymous" else "has a non-recommended name")
                             + f": Apply renames it in the project's {s.script} script")
            button = QPushButton("Apply")
            button.clicked.connect(lambda _=False, key=s.script, lang=trace.language:
                                   self.apply_suggestion.emit(key, lang))
            row.addWidget(label)
            row.addWidget(button)
            self.chips_row.insertWidget(self.chips_row.count() - 1, chip)
            self.chips.append((label, button))


def chip_text(trace: Trace, suggestion) -> str:
    """`Rename getByEmail (get_user.js:12) to getUser`: the frame the suggestion renames, named."""
    frame = trace.frames[suggestion.frame] if 0 <= suggestion.frame < len(trace.frames) else None
    where = ""
    if frame is not None and frame.file:
        where = f" ({Path(frame.file.replace(chr(92), '/')).name}{f':{frame.line}' if frame.line else ''})"
    if suggestion.reason == "anonymous" or frame is None or not frame.function:
        shown = frame.function if frame is not None and frame.function else "the anonymous function"
        return f"Name {shown}{where} `{suggestion.recommended_name}`"
    return f"Rename `{frame.base_name}`{where} to `{suggestion.recommended_name}`"


def _separator(text: str) -> QTreeWidgetItem:
    """The line Python prints between two chained tracebacks: not a trace, not selectable."""
    item = QTreeWidgetItem([text, ""])
    item.setFlags(Qt.ItemFlag.NoItemFlags)
    font = QFont(item.font(0))
    font.setItalic(True)
    item.setFont(0, font)
    theme.tint(item, 0, foreground="muted")
    return item


def _frame_items(top: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    """The frame items under a trace item, library folds opened, outermost first."""
    out = []
    for i in range(top.childCount()):
        child = top.child(i)
        if child.childCount():
            out.extend(child.child(j) for j in range(child.childCount()))
        else:
            out.append(child)
    return out
