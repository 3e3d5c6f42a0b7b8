"""The debugger's panels: call stack, variables, watches and the debug console.

Views only: they show what the `DebugController` reports and ask it for more (a frame's
variables, an object's children, an expression's value, the console's completions); the answers
arrive as its signals. The console's completion popup is the editor's (`CompletionPopup`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QStringListModel, Qt
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

from app.ui import theme

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
        theme.tint(item, foreground="muted")
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
    """Evaluate an expression (or run a statement) in the selected frame while paused.

    The input offers the selected frame's live names and the injected runtime names as you type;
    Up/Down recall the lines evaluated before (the line being typed comes back after the newest).
    Tab or Ctrl+Space asks the paused script for jedi's completions of what is before the cursor
    (`row.`, `row["`, `user.na`, `configuration["`) over its live objects: one match is inserted,
    several open a popup like the editor's (type marks, the selected item's signature and doc;
    Up/Down, Enter or Tab inserts, Escape closes, typing narrows it)."""

    def __init__(self, controller: DebugController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.input = QLineEdit()
        self.input.setPlaceholderText("Evaluate in the selected frame (while paused); Tab completes")
        self.input.returnPressed.connect(self._evaluate)
        self.names = QStringListModel(self)
        self._names_completer = QCompleter(self.names, self)
        self._names_completer.setCaseSensitivity(Qt.CaseSensitivity.CaseSensitive)
        self.input.setCompleter(self._names_completer)
        self.input.installEventFilter(self)
        self.input.textEdited.connect(self._refilter)
        self.popup: Any = None  # the editor's CompletionPopup, built by the first answer (jedi-free start-up)
        self.engine = ""  # which completer gave the last answer: "jedi" | "rlcompleter"
        self._start = 0  # input position where the completed word starts
        self.history: list[str] = []  # what was evaluated, oldest first (Up/Down recall it)
        self._recalled: int | None = None  # index into history while recalling, None: the draft
        self._draft = ""  # the input as typed before Up was first pressed
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.output, 1)
        layout.addWidget(self.input)
        controller.evaluated.connect(self._show)
        controller.variables_ready.connect(self._live_names)
        controller.completions.connect(self._completions)
        controller.state_changed.connect(lambda state: self._hide_popup() if state != "paused" else None)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.input and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if self.popup_visible():
                moves = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -8, Qt.Key.Key_PageDown: 8}
                if key in moves:
                    self.popup.move(moves[key])
                    return True
                if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab):
                    self._accept()
                    return True
                if key == Qt.Key.Key_Escape:
                    self._hide_popup()
                    return True
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and not self._names_completer.popup().isVisible():
                self.recall(-1 if key == Qt.Key.Key_Up else 1)
                return True
            ctrl_space = key == Qt.Key.Key_Space and bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            if key == Qt.Key.Key_Tab or ctrl_space:
                self.controller.complete(self.input.text()[: self.input.cursorPosition()])
                return True
        if watched is self.input and event.type() == QEvent.Type.FocusOut:
            self._hide_popup()
        return super().eventFilter(watched, event)

    def popup_visible(self) -> bool:
        return self.popup is not None and self.popup.isVisible()

    def _hide_popup(self) -> None:
        if self.popup is not None:
            self.popup.hide()
        if self.input.completer() is None:
            self.input.setCompleter(self._names_completer)  # names as you type again

    def _completions(self, reply: dict) -> None:
        from app.engine.completion import Completion
        from app.ui.editor.completion import CompletionPopup

        asked = str(reply.get("text", ""))
        before = self.input.text()[: self.input.cursorPosition()]
        if not before.startswith(asked):
            return  # the input changed under the answer: it no longer applies
        items = [Completion(str(i.get("name", "")), str(i.get("type") or ""), str(i.get("signature") or ""),
                            str(i.get("doc") or ""), int(i.get("prefix_len") or 0))
                 for i in reply.get("items") or () if isinstance(i, dict) and i.get("name")]
        self.engine = str(reply.get("engine", ""))
        if not items:
            self._hide_popup()
            return
        self._start = max(0, len(asked) - items[0].prefix_len)
        if len(items) == 1 and before == asked:
            self._insert(items[0].name)
            return
        if self.popup is None:
            self.popup = CompletionPopup(self)
            self.popup.list.currentRowChanged.connect(self._row_changed)
            self.popup.list.itemClicked.connect(lambda *_: self._accept())
        self.popup.set_items(items)
        if self.popup.filter(before[self._start:]) == 0:
            self._hide_popup()
            return
        self._names_completer.popup().hide()
        self.input.setCompleter(None)  # one popup at a time: the as-you-type names wait until it closes
        window = self.window()
        if self.popup.parentWidget() is not window:
            self.popup.setParent(window)  # room above the console, over the window
        anchor = QRect(self.input.mapTo(window, QPoint(0, 0)), self.input.size())
        self.popup.place(anchor, window.rect())
        self.popup.show()
        self.popup.raise_()
        self._row_changed(self.popup.list.currentRow())

    def _refilter(self, text: str) -> None:
        if self.popup_visible():
            cursor = self.input.cursorPosition()
            if cursor < self._start or self.popup.filter(text[self._start:cursor]) == 0:
                self._hide_popup()

    def _row_changed(self, _row: int) -> None:
        index = self.popup.current_index()
        self.popup.show_doc(self.popup.items[index] if index is not None else None)

    def _accept(self) -> None:
        index = self.popup.current_index()
        self._hide_popup()
        if index is not None:
            self._insert(self.popup.items[index].name)

    def _insert(self, name: str) -> None:
        """Replace the word being completed (from its start to the cursor) with `name`."""
        text, cursor = self.input.text(), self.input.cursorPosition()
        start = min(self._start, cursor)
        self.input.setText(text[:start] + name + text[cursor:])
        self.input.setCursorPosition(start + len(name))

    def completion_names(self) -> list[str]:
        """The names the popup shows now ([] when it is closed)."""
        if not self.popup_visible():
            return []
        rows = range(self.popup.list.count())
        return [self.popup.items[self.popup.list.item(r).data(Qt.ItemDataRole.UserRole)].name
                for r in rows if not self.popup.list.item(r).isHidden()]

    def _live_names(self, variables: list[dict]) -> None:
        from app.runtime.api import INJECTED_NAMES

        self.names.setStringList(sorted({v["name"] for v in variables} | set(INJECTED_NAMES)))

    def recall(self, step: int) -> None:
        """Up (-1) / Down (+1): the previous / next evaluated line, as in a shell; Down past the
        newest gives back what was being typed."""
        if not self.history:
            return
        if self._recalled is None:
            if step > 0:
                return
            self._draft = self.input.text()
            index = len(self.history) - 1
        else:
            index = self._recalled + step
        if index >= len(self.history):
            self._recalled = None
            self.input.setText(self._draft)
            return
        self._recalled = max(0, index)
        self.input.setText(self.history[self._recalled])

    def _evaluate(self) -> None:
        text = self.input.text().strip()
        if text:
            if not self.history or self.history[-1] != text:
                self.history.append(text)
            self._recalled, self._draft = None, ""
            self.output.appendPlainText(f">>> {text}")
            self.controller.evaluate(text)
            self.input.clear()

    def _show(self, value: dict) -> None:
        self.output.appendPlainText(value.get("repr") if "repr" in value else value.get("error", ""))
