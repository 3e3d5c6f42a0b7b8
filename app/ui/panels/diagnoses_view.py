"""The hosted messages of a pasted or opened log, explained (app.domain.traces.diagnoses), with the
local dry run that reproduces the one selected when the log names its script and user."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.traces import Diagnosis

DIAGNOSIS_ROLE = Qt.ItemDataRole.UserRole + 10  # index into DiagnosesView.diagnoses


class DiagnosesView(QWidget):
    """A list of diagnoses; Run locally / Save as case act on the selected one."""

    reproduce_requested = Signal(str, dict)  # script key, its input: run it in a dry run
    save_case_requested = Signal(str, dict)  # script key, its input: save it as a case

    def __init__(self, known_scripts=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.known_scripts = known_scripts  # callable -> the project's script keys (None: any)
        self.diagnoses: list[Diagnosis] = []
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Hosted message", "What it means"])
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.tree.setColumnWidth(0, 220)
        self.tree.currentItemChanged.connect(self._selected)
        self.tree.itemActivated.connect(lambda *_: self.reproduce())
        self.hint = QLabel()
        self.run_button = QPushButton("Run locally (dry run)")
        self.run_button.setToolTip("Run the script this message is about with the log's input; nothing is committed")
        self.run_button.clicked.connect(self.reproduce)
        self.case_button = QPushButton("Save as case…")
        self.case_button.clicked.connect(self.save_case)
        bar = QHBoxLayout()
        bar.addWidget(self.hint, 1)
        bar.addWidget(self.run_button)
        bar.addWidget(self.case_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addLayout(bar)
        self.set_diagnoses([])

    def set_diagnoses(self, diagnoses: list[Diagnosis]) -> None:
        self.diagnoses = diagnoses
        self.tree.clear()
        for i, d in enumerate(diagnoses):
            title = f"line {d.line}: {d.code}" + (f" ({d.event})" if d.event else "")
            item = QTreeWidgetItem([title, d.message])
            item.setToolTip(1, d.message)
            item.setData(0, DIAGNOSIS_ROLE, i)
            self.tree.addTopLevelItem(item)
        self.setVisible(bool(diagnoses))
        if diagnoses:
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self._selected(self.tree.currentItem())

    def current(self) -> Diagnosis | None:
        item = self.tree.currentItem()
        index = item.data(0, DIAGNOSIS_ROLE) if item is not None else None
        return self.diagnoses[index] if isinstance(index, int) and 0 <= index < len(self.diagnoses) else None

    def _reproducible(self, d: Diagnosis | None) -> str | None:
        """Why the selected diagnosis cannot be run here, or None when it can."""
        if d is None:
            return "Select a hosted message."
        if d.script is None or d.input is None:
            return "The log does not say which user this was: nothing to run with."
        keys = self.known_scripts() if self.known_scripts is not None else None
        if keys is not None and d.script not in keys:
            return f"The project has no {d.script} script to run."
        return None

    def _selected(self, _item=None, _previous=None) -> None:
        why_not = self._reproducible(self.current())
        self.run_button.setEnabled(why_not is None)
        self.case_button.setEnabled(why_not is None)
        d = self.current()
        self.hint.setText(why_not or f"{d.script} with {_describe(d.input)}")

    def reproduce(self) -> bool:
        d = self.current()
        if self._reproducible(d) is not None:
            return False
        self.reproduce_requested.emit(d.script, dict(d.input))
        return True

    def save_case(self) -> bool:
        d = self.current()
        if self._reproducible(d) is not None:
            return False
        self.save_case_requested.emit(d.script, dict(d.input))
        return True


def _describe(values: dict) -> str:
    return ", ".join(f"{k} = {v}" for k, v in values.items())
