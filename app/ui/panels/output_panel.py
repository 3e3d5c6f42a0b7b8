"""Output: the log lines of runs, streamed while the script runs."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget


def log_text(event: object) -> str:
    """The text of a log event or log entry, whatever shape the runner gives it."""
    if isinstance(event, str):
        return event
    if isinstance(event, dict):
        for key in ("line", "message", "text", "msg"):
            if isinstance(event.get(key), str):
                level = event.get("level") or event.get("stream")
                return f"[{level}] {event[key]}" if level and level not in ("stdout", "print") else event[key]
    return str(event)


class OutputPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.view = QPlainTextEdit(readOnly=True)
        self.view.setMaximumBlockCount(20_000)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.view.setFont(font)
        self.view.setPlaceholderText("Log lines of your scripts (print, log.info) appear here while they run.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.lines_this_run = 0

    def begin_run(self, title: str) -> None:
        self.lines_this_run = 0
        self.view.appendPlainText(f"── {title} ──")

    def append(self, event: object) -> None:
        self.lines_this_run += 1
        self.view.appendPlainText(log_text(event))

    def note(self, text: str) -> None:
        self.view.appendPlainText(text)

    def text(self) -> str:
        return self.view.toPlainText()
