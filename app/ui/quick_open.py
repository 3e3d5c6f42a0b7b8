"""Ctrl+P, "Go to script": a small picker over the project's scripts (VS Code's Quick Open).

Type part of a script's title or file name ("chg" finds Change Password and Change Email: the
letters in order), Up/Down to choose, Enter to open, Escape to cancel. Scripts on disk come first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


def matches(query: str, text: str) -> bool:
    """True when the query's letters appear in `text` in order (case and spaces ignored)."""
    letters = iter(text.lower())
    return all(ch in letters for ch in query.lower() if not ch.isspace())


def candidates(window: MainWindow, query: str = "") -> list[tuple[str, str]]:
    """(key, label) of the scripts matching `query`: those on disk first, in the canonical order."""
    present = set(window.project.script_keys())
    rows = []
    for kind in window.project.platform.kinds.values():
        name = window.project.script_path(kind.key).name
        if not (matches(query, kind.title) or matches(query, name)):
            continue
        label = f"{kind.title}    {name}" + ("" if kind.key in present else "    (not created yet)")
        rows.append((kind.key not in present, kind.key, label))
    return [(key, label) for _missing, key, label in sorted(rows, key=lambda r: r[0])]


class QuickOpen(QDialog):
    def __init__(self, window: MainWindow):
        super().__init__(window, Qt.WindowType.Popup)
        self.window_ = window
        self.setObjectName("quickOpen")
        self.query = QLineEdit()
        self.query.setPlaceholderText("Go to script: type a name, Enter opens it")
        self.list = QListWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.query)
        layout.addWidget(self.list)
        self.query.textChanged.connect(self._fill)
        self.query.returnPressed.connect(self.open_selected)
        self.list.itemActivated.connect(lambda _item: self.open_selected())
        self.query.installEventFilter(self)
        self._fill("")

    def popup(self) -> None:
        """Show under the window's top edge, centred, with the typing field focused."""
        width = min(520, max(320, self.window_.width() // 2))
        self.resize(width, 260)
        top = self.window_.mapToGlobal(self.window_.rect().topLeft())
        self.move(top.x() + (self.window_.width() - width) // 2, top.y() + 60)
        self.show()
        self.query.setFocus()

    def _fill(self, query: str) -> None:
        self.list.clear()
        for key, label in candidates(self.window_, query):
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        from PySide6.QtCore import QEvent

        if obj is self.query and event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Down,
                                                                                           Qt.Key.Key_Up):
            step = 1 if event.key() == Qt.Key.Key_Down else -1
            self.list.setCurrentRow(max(0, min(self.list.count() - 1, self.list.currentRow() + step)))
            return True
        return super().eventFilter(obj, event)

    def open_selected(self) -> str | None:
        """Open the highlighted script in the window; returns its key (None when nothing matched)."""
        item = self.list.currentItem()
        if item is None:
            return None
        key = item.data(Qt.ItemDataRole.UserRole)
        self.close()
        self.window_.open_script(key)
        return key
