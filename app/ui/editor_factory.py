"""One place that builds a script editor, so the window does not care which editor it gets.

The full editor (`app.ui.editor.code_editor.CodeEditor`: highlighting, completion, gutter,
find/replace) is used when it is installed; `PlainEditor` is the stand-in with the same small
interface the window relies on: `configure`, `set_findings`, `goto_line`, `toggle_comment`.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QInputDialog, QPlainTextEdit, QTextEdit

from app.domain.findings import Finding, Severity

_SEVERITY_COLOURS = {Severity.ERROR: "#d32f2f", Severity.WARNING: "#f9a825", Severity.INFO: "#1e88e5"}


class PlainEditor(QPlainTextEdit):
    """A plain text editor speaking the window's editor interface."""

    def __init__(self, parent=None):
        super().__init__(parent)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(4 * self.fontMetrics().horizontalAdvance(" "))
        self._findings: list[Finding] = []

    def configure(self, kind_key: str, config_keys: Iterable[str]) -> None:
        self.kind_key, self.config_keys = kind_key, list(config_keys)

    def set_findings(self, findings: Iterable[Finding]) -> None:
        """Underline each finding's line with a wave in its severity's colour; tooltip = message."""
        self._findings = [f for f in findings if f.line]
        selections = []
        for f in self._findings:
            block = self.document().findBlockByNumber(f.line - 1)
            if not block.isValid():
                continue
            sel = QTextEdit.ExtraSelection()
            sel.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            sel.format.setUnderlineColor(QColor(_SEVERITY_COLOURS.get(f.severity, "#d32f2f")))
            sel.format.setToolTip(f"{f.code}: {f.message}")
            cursor = QTextCursor(block)
            cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
            sel.cursor = cursor
            selections.append(sel)
        self.setExtraSelections(selections)

    def findings(self) -> list[Finding]:
        return list(self._findings)

    def goto_line(self, line: int | None = None) -> None:
        if line is None:
            line, ok = QInputDialog.getInt(self, "Go to line", "Line:", self.textCursor().blockNumber() + 1,
                                           1, self.blockCount())
            if not ok:
                return
        block = self.document().findBlockByNumber(max(0, line - 1))
        cursor = QTextCursor(block)
        self.setTextCursor(cursor)
        self.centerCursor()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def toggle_comment(self) -> None:
        """Comment or uncomment the selected lines in one undo step."""
        cursor = self.textCursor()
        doc = self.document()
        first = doc.findBlock(cursor.selectionStart()).blockNumber()
        last = doc.findBlock(cursor.selectionEnd()).blockNumber()
        blocks = [doc.findBlockByNumber(n) for n in range(first, last + 1)]
        lines = [b.text() for b in blocks]
        uncomment = all(t.lstrip().startswith("#") for t in lines if t.strip())
        cursor.beginEditBlock()
        for block in blocks:
            text = block.text()
            if not text.strip():
                continue
            c = QTextCursor(block)
            indent = len(text) - len(text.lstrip())
            c.movePosition(QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.MoveAnchor, indent)
            if uncomment:
                width = 2 if text[indent:].startswith("# ") else 1
                c.movePosition(QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.KeepAnchor, width)
                c.removeSelectedText()
            else:
                c.insertText("# ")
        cursor.endEditBlock()


def _full_editor_class():
    try:
        from app.ui.editor.code_editor import CodeEditor
    except ModuleNotFoundError:
        return None
    return CodeEditor


def make_editor(kind_key: str, config_keys: Iterable[str], parent=None) -> QPlainTextEdit:
    """An editor configured for one script kind (completion of `configuration[...]` keys etc.)."""
    cls = _full_editor_class() or PlainEditor
    editor = cls(parent)
    editor.configure(kind_key, list(config_keys))
    return editor



def warm_up_completion(window, done) -> None:
    """Call `done()` once jedi has warmed up (the editor's shared completion engine does the work)."""
    from app.ui.editor.completion import CompletionEngine

    engine = CompletionEngine.shared()
    if engine.warmed.is_set():
        done()
        return
    engine.warmed_up.connect(done)
    engine.warm_up()
