"""The gutter left of the editor: breakpoint column, line numbers, finding markers.

Painted from the editor's `updateRequest`, only for the visible blocks. Columns, left to right:
breakpoints (reserved for the debugger: red dots for `editor.breakpoints`), line numbers, a marker
per line with findings (coloured by the worst severity; hover for the messages).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPolygon
from PySide6.QtWidgets import QToolTip, QWidget

if TYPE_CHECKING:
    from app.ui.editor.code_editor import CodeEditor

BREAKPOINT_W = 14
MARKER_W = 14
PAD = 6


class Gutter(QWidget):
    clicked = Signal(int, bool)  # 1-based line, True when the click hit the breakpoint column

    def __init__(self, editor: CodeEditor):
        super().__init__(editor)
        self.editor = editor
        self.setMouseTracking(True)

    def width_hint(self) -> int:
        digits = max(3, len(str(max(1, self.editor.blockCount()))))
        return BREAKPOINT_W + self.editor.fontMetrics().horizontalAdvance("9") * digits + MARKER_W + PAD

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.width_hint(), 0)

    def line_at(self, y: int) -> int:
        """1-based line under a y coordinate of the gutter."""
        return self.editor.cursorForPosition(QPoint(0, y)).blockNumber() + 1

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        ed = self.editor
        theme = ed.theme
        painter = QPainter(self)
        painter.fillRect(event.rect(), theme.color("gutter_background"))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        block = ed.firstVisibleBlock()
        top = round(ed.blockBoundingGeometry(block).translated(ed.contentOffset()).top())
        line_h = ed.fontMetrics().height()
        number_right = self.width() - MARKER_W - PAD // 2
        current = ed.textCursor().blockNumber()
        markers = ed.finding_severities_by_line()
        breakpoints = ed.breakpoints
        debug_line = ed.debug_line
        normal, highlight = theme.color("gutter_foreground"), theme.color("gutter_current")
        while block.isValid() and top <= event.rect().bottom():
            height = round(ed.blockBoundingRect(block).height())
            if block.isVisible() and top + height >= event.rect().top():
                line = block.blockNumber() + 1
                painter.setPen(highlight if block.blockNumber() == current else normal)
                painter.drawText(QRect(BREAKPOINT_W, top, number_right - BREAKPOINT_W, line_h),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(line))
                mid = top + line_h // 2
                if line in breakpoints:
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.setBrush(theme.color("breakpoint"))
                    painter.drawEllipse(QPoint(BREAKPOINT_W // 2, mid), 5, 5)
                if line == debug_line:
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.setBrush(theme.color("warning"))
                    painter.drawPolygon(QPolygon([QPoint(2, mid - 5), QPoint(BREAKPOINT_W - 2, mid),
                                                  QPoint(2, mid + 5)]))
                severity = markers.get(line)
                if severity is not None:
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.setBrush(QColor(theme.color(str(severity))))
                    x = self.width() - MARKER_W // 2 - PAD // 2
                    painter.drawEllipse(QPoint(x, mid), 4, 4)
            block = block.next()
            top += height
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            pos = event.position().toPoint()
            self.clicked.emit(self.line_at(pos.y()), pos.x() < BREAKPOINT_W)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            messages = self.editor.finding_messages(self.line_at(event.pos().y()))
            if messages:
                QToolTip.showText(event.globalPos(), "\n".join(messages), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)
