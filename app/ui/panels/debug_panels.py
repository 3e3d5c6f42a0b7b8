"""The debugger's panels: call stack, variables, watches and the debug console.

Views only: they show what the `DebugController` reports and ask it for more (a frame's
variables, an object's children, an expression's value); the answers arrive as its signals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QStringListModel, Qt
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from app.ui.debug_controller import DebugController

ID_ROLE = Qt.ItemDataRole.UserRole
PLACEHOLDER = "…"


class CallStackPanel(QListWidget):
    """User frames, innermost first; consecutive library frames fold into one grey line."""

    def __init__(self, controller: DebugController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.currentItemChanged.connect(self._picked)
        controller.stopped.connect(self.show_stack)
        controller.state_changed.connect(lambda s: self.clear() if s == "idle" else None)

    def show_stack(self, stop: Any) -> None:
        self.blockSignals(True)
        self.clear()
        library_run = 0
        for frame in stop.stack:
            if frame.get("library"):
                library_run += 1
                continue
            if library_run:
                self._folded(library_run)
                library_run = 0
            item = QListWidgetItem(f"{frame['function']}  line {frame['line']}")
            item.setData(ID_ROLE, frame["index"])
            self.addItem(item)
        if library_run:
            self._folded(library_run)
        self.setCurrentRow(0)
        self.blockSignals(False)

    def _folded(self, count: int) -> None:
        item = QListWidgetItem(f"({count} library frame{'s' if count > 1 else ''})")
        item.setForeground(Qt.GlobalColor.gray)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        self.addItem(item)

    def frames(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]

    def _picked(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is not None and item.data(ID_ROLE) is not None:
            self.controller.select_frame(int(item.data(ID_ROLE)))


class VariablesPanel(QTreeWidget):
    """Name / value / type; objects expand on demand (their children are fetched by id)."""

    def __init__(self, controller: DebugController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.setColumnCount(3)
        self.setHeaderLabels(["Name", "Value", "Type"])
        self.setColumnWidth(0, 160)
        self.setColumnWidth(1, 260)
        self._waiting: dict[int, QTreeWidgetItem] = {}
        self.itemExpanded.connect(self._expand)
        controller.variables_ready.connect(self.show_variables)
        controller.expanded.connect(self._fill)
        controller.state_changed.connect(lambda s: self.clear() if s != "paused" else None)

    def show_variables(self, variables: list[dict]) -> None:
        self.clear()
        self._waiting.clear()
        for v in variables:
            self.addTopLevelItem(self._item(v))

    def _item(self, v: dict) -> QTreeWidgetItem:
        item = QTreeWidgetItem([v["name"], v.get("repr", v.get("error", "")), v.get("type", "")])
        item.setToolTip(1, v.get("repr", ""))
        if v.get("id") is not None:
            item.setData(0, ID_ROLE, v["id"])
            item.addChild(QTreeWidgetItem([PLACEHOLDER]))
        return item

    def _expand(self, item: QTreeWidgetItem) -> None:
        object_id = item.data(0, ID_ROLE)
        if object_id is None or item.childCount() != 1 or item.child(0).text(0) != PLACEHOLDER:
            return
        self._waiting[int(object_id)] = item
        self.controller.expand(int(object_id))

    def _fill(self, object_id: int, children: list[dict]) -> None:
        item = self._waiting.pop(object_id, None)
        if item is None:
            return
        item.takeChildren()
        for child in children:
            item.addChild(self._item(child))

    def values(self) -> dict[str, str]:
        return {self.topLevelItem(i).text(0): self.topLevelItem(i).text(1) for i in range(self.topLevelItemCount())}


class WatchesPanel(QWidget):
    """Expressions evaluated in the current frame at every stop."""

    def __init__(self, controller: DebugController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Expression", "Value"])
        self.tree.setColumnWidth(0, 180)
        self.input = QLineEdit()
        self.input.setPlaceholderText("Add a watch expression and press Enter")
        self.input.returnPressed.connect(self._add)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addWidget(remove)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addLayout(row)
        controller.watches_changed.connect(self.show_watches)

    def _add(self) -> None:
        text = self.input.text().strip()
        if text:
            self.controller.add_watch(text)
            self.input.clear()

    def _remove(self) -> None:
        item = self.tree.currentItem()
        if item is not None:
            self.controller.remove_watch(item.text(0))

    def show_watches(self, values: list[dict]) -> None:
        self.tree.clear()
        for w in values:
            self.tree.addTopLevelItem(QTreeWidgetItem([w["expr"], w.get("repr", w.get("error", ""))]))

    def values(self) -> dict[str, str]:
        return {self.tree.topLevelItem(i).text(0): self.tree.topLevelItem(i).text(1)
                for i in range(self.tree.topLevelItemCount())}


class DebugConsole(QWidget):
    """Evaluate an expression (or run a statement) in the selected frame while paused; the input
    completes the selected frame's live names and the injected runtime names as you type, and
    Tab asks the paused script for the completions of a name or dotted path (`row.` → its attributes)."""

    def __init__(self, controller: DebugController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.input = QLineEdit()
        self.input.setPlaceholderText("Evaluate in the selected frame (while paused)")
        self.input.returnPressed.connect(self._evaluate)
        self.names = QStringListModel(self)
        completer = QCompleter(self.names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseSensitive)
        self.input.setCompleter(completer)
        self.input.installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.output, 1)
        layout.addWidget(self.input)
        controller.evaluated.connect(self._show)
        controller.variables_ready.connect(self._live_names)
        controller.completions.connect(self._completions)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.input and event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Tab:
            self.controller.complete(self.input.text())
            return True
        return super().eventFilter(watched, event)

    def _completions(self, matches: list[str]) -> None:
        if len(matches) == 1:
            self.input.setText(matches[0].rstrip("("))
        elif matches:
            self.names.setStringList(matches)
            self.input.completer().setCompletionPrefix(self.input.text())
            self.input.completer().complete()

    def _live_names(self, variables: list[dict]) -> None:
        from app.runtime.api import INJECTED_NAMES

        self.names.setStringList(sorted({v["name"] for v in variables} | set(INJECTED_NAMES)))

    def _evaluate(self) -> None:
        text = self.input.text().strip()
        if text:
            self.output.appendPlainText(f">>> {text}")
            self.controller.evaluate(text)
            self.input.clear()

    def _show(self, value: dict) -> None:
        self.output.appendPlainText(value.get("repr") if "repr" in value else value.get("error", ""))
