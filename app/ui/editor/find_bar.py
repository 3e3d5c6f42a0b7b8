"""Find/replace and go-to-line bars, floating over the editor's top-right corner.

They are children of the editor (no window to manage): Ctrl+F / Ctrl+H / Ctrl+G show them, Escape
hides them and gives the focus back to the text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QIntValidator, QKeyEvent, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
)

if TYPE_CHECKING:
    from app.ui.editor.code_editor import CodeEditor


class _Field(QLineEdit):
    """A line edit that reports Enter / Shift+Enter / Escape to its bar."""

    def __init__(self, bar: FindBar | GotoLineBar, placeholder: str):
        super().__init__(bar)
        self.bar = bar
        self.setPlaceholderText(placeholder)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.bar.close_bar()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.bar.on_enter(self, bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
        else:
            super().keyPressEvent(event)


def _button(parent: QFrame, text: str, tip: str, slot) -> QToolButton:
    b = QToolButton(parent)
    b.setText(text)
    b.setToolTip(tip)
    b.setAutoRaise(True)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    b.clicked.connect(slot)
    return b


class FindBar(QFrame):
    def __init__(self, editor: CodeEditor):
        super().__init__(editor)
        self.editor = editor
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.find_field = _Field(self, "Find")
        self.replace_field = _Field(self, "Replace")
        self.match_case = QCheckBox("Aa", self)
        self.match_case.setToolTip("Match case")
        self.match_case.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.status = QLabel(self)
        self.replace_button = _button(self, "Replace", "Replace this match and find the next", self.replace_one)
        self.replace_all_button = _button(self, "All", "Replace all matches (one undo step)", self.replace_all)
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.setSpacing(2)
        grid.addWidget(self.find_field, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.match_case)
        row.addWidget(_button(self, "↑", "Previous match (Shift+Enter)", self.find_previous))
        row.addWidget(_button(self, "↓", "Next match (Enter)", self.find_next))
        row.addWidget(self.status)
        row.addWidget(_button(self, "✕", "Close (Escape)", self.close_bar))
        grid.addLayout(row, 0, 1)
        grid.addWidget(self.replace_field, 1, 0)
        replace_row = QHBoxLayout()
        replace_row.addWidget(self.replace_button)
        replace_row.addWidget(self.replace_all_button)
        replace_row.addStretch()
        grid.addLayout(replace_row, 1, 1)
        self.find_field.textChanged.connect(self._on_text_changed)
        self.match_case.toggled.connect(self._on_text_changed)
        self.hide()

    # -- showing ----------------------------------------------------------------------------------
    def open(self, replace: bool) -> None:
        selected = self.editor.textCursor().selectedText()
        if selected and "\u2029" not in selected:
            self.find_field.setText(selected)
        for w in (self.replace_field, self.replace_button, self.replace_all_button):
            w.setVisible(replace)
        self.adjustSize()
        self.show()
        self.raise_()
        self.editor.place_overlays()
        field = self.replace_field if replace and self.find_field.text() else self.find_field
        field.setFocus()
        field.selectAll()
        self._refresh_matches()

    def close_bar(self) -> None:
        self.hide()
        self.editor.set_find_matches([])
        self.editor.setFocus()

    def on_enter(self, field: QLineEdit, shift: bool) -> None:
        if field is self.replace_field:
            self.replace_one()
        elif shift:
            self.find_previous()
        else:
            self.find_next()

    # -- searching --------------------------------------------------------------------------------
    def _flags(self, backward: bool = False) -> QTextDocument.FindFlag:
        flags = QTextDocument.FindFlag(0)
        if self.match_case.isChecked():
            flags |= QTextDocument.FindFlag.FindCaseSensitively
        if backward:
            flags |= QTextDocument.FindFlag.FindBackward
        return flags

    def _on_text_changed(self) -> None:
        self._refresh_matches()
        # search from the start of the current selection, so typing extends the same match
        cursor = self.editor.textCursor()
        cursor.setPosition(cursor.selectionStart())
        self.editor.setTextCursor(cursor)
        if self.find_field.text():
            self.find_next()

    def _refresh_matches(self) -> None:
        needle = self.find_field.text()
        doc = self.editor.document()
        matches: list[QTextCursor] = []
        if needle:
            cursor = QTextCursor(doc)
            while len(matches) < 2000:
                cursor = doc.find(needle, cursor, self._flags())
                if cursor.isNull():
                    break
                matches.append(cursor)
        self.editor.set_find_matches(matches)
        self.status.setText(f"{len(matches)}" if needle else "")

    def find_next(self) -> bool:
        return self._find(backward=False)

    def find_previous(self) -> bool:
        return self._find(backward=True)

    def _find(self, backward: bool) -> bool:
        needle = self.find_field.text()
        if not needle:
            return False
        doc = self.editor.document()
        found = doc.find(needle, self.editor.textCursor(), self._flags(backward))
        if found.isNull():  # wrap around
            start = QTextCursor(doc)
            if backward:
                start.movePosition(QTextCursor.MoveOperation.End)
            found = doc.find(needle, start, self._flags(backward))
        if found.isNull():
            self.status.setText("no match")
            return False
        self.editor.setTextCursor(found)
        self.editor.centerCursor()
        return True

    def _is_match(self, cursor: QTextCursor) -> bool:
        sel, needle = cursor.selectedText(), self.find_field.text()
        if self.match_case.isChecked():
            return sel == needle
        return sel.casefold() == needle.casefold()

    def replace_one(self) -> None:
        cursor = self.editor.textCursor()
        if cursor.hasSelection() and self._is_match(cursor):
            cursor.insertText(self.replace_field.text())
        self.find_next()
        self._refresh_matches()

    def replace_all(self) -> int:
        """Replace every match as one undo step; returns how many were replaced."""
        needle, replacement = self.find_field.text(), self.replace_field.text()
        if not needle:
            return 0
        doc = self.editor.document()
        count = 0
        edit = QTextCursor(doc)
        edit.beginEditBlock()
        cursor = QTextCursor(doc)
        while True:
            cursor = doc.find(needle, cursor, self._flags())
            if cursor.isNull():
                break
            cursor.insertText(replacement)
            count += 1
        edit.endEditBlock()
        self._refresh_matches()
        self.status.setText(f"{count} replaced")
        return count


class GotoLineBar(QFrame):
    def __init__(self, editor: CodeEditor):
        super().__init__(editor)
        self.editor = editor
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.field = _Field(self, "Line")
        self.field.setValidator(QIntValidator(1, 10**9, self))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.label = QLabel("Go to line:", self)
        layout.addWidget(self.label)
        layout.addWidget(self.field)
        self.hide()

    def open(self) -> None:
        count = self.editor.blockCount()
        self.field.setPlaceholderText(f"1–{count}")
        self.field.clear()
        self.adjustSize()
        self.show()
        self.raise_()
        self.editor.place_overlays()
        self.field.setFocus()

    def close_bar(self) -> None:
        self.hide()
        self.editor.setFocus()

    def on_enter(self, field: QLineEdit, shift: bool) -> None:
        if field.text().isdigit():
            self.editor.goto_line(int(field.text()))
        self.close_bar()
