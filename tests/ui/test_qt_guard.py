"""PySide6 6.12.0 drops a reference to None on every void Qt call under Python 3.11 and the process
aborts after a few thousand. The pinned PySide6 must keep None's refcount intact."""

import sys

from PySide6.QtGui import QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit


def test_void_qt_calls_keep_the_refcount_of_none(qtbot):
    editor = QPlainTextEdit()
    qtbot.addWidget(editor)
    fmt = QTextCharFormat()
    before = sys.getrefcount(None)
    for i in range(10_000):
        fmt.setFontWeight(400 + i % 2)  # returns nothing
        editor.setReadOnly(False)  # returns nothing
    assert abs(sys.getrefcount(None) - before) < 100
