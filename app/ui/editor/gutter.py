"""The gutter left of the editor: breakpoint column, line numbers, finding markers.

Painted from the editor's `updateRequest`, only for the visible blocks. Columns, left to right:
breakpoints (reserved for the debugger: red dots for `editor.breakpoints`), line numbers, a marker
per line with findings, shaped and coloured by the worst severity (a diamond, a triangle, a square:
never a dot, which is a breakpoint; hover for the messages), or a lightbulb on a line with a quick
fix (click it to apply the fix; the tooltip names it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPoint, QPointF, QSize, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QIcon,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPixmap,
    QPolygonF,
    QTextCharFormat,
    QTextLayout,
)
from PySide6.QtWidgets import QToolTip, QWidget

from app.ui.first_paint import solid_brush

if TYPE_CHECKING:
    from app.ui.editor.code_editor import CodeEditor

BREAKPOINT_W = 14
MARKER_W = 14
PAD = 6


def _circle(x: float, y: float, radius: float) -> QPainterPath:
    path = QPainterPath()
    path.addEllipse(QPointF(x, y), radius, radius)
    return path


def _polygon(*points: tuple[float, float]) -> QPainterPath:
    path = QPainterPath()
    path.addPolygon(QPolygonF([QPointF(x, y) for x, y in points]))
    path.closeSubpath()
    return path


def severity_glyph(severity: str, x: float, y: float) -> QPainterPath:
    """A finding's marker, shaped by severity and never a dot (a red dot is a breakpoint): a
    diamond for an error, a triangle for a warning, a small square for information."""
    if severity == "error":
        return _polygon((x, y - 5), (x + 5, y), (x, y + 5), (x - 5, y))
    if severity == "warning":
        return _polygon((x, y - 5), (x + 5, y + 4), (x - 5, y + 4))
    path = QPainterPath()
    path.addRect(x - 3, y - 3, 6, 6)
    return path


def lightbulb_glyph(x: float, y: float) -> QPainterPath:
    """The quick-fix lightbulb: a bulb with its screw base."""
    path = _circle(x, y - 1.5, 4.5)
    path.addRect(x - 2.2, y + 3, 4.4, 3)
    return path


def lightbulb_icon(color: QColor) -> QIcon:
    """The lightbulb as a menu icon (an emoji would need a font most Linux desktops lack)."""
    pixmap = QPixmap(16, 16)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.fillPath(lightbulb_glyph(8, 7), solid_brush(color))
    painter.end()
    return QIcon(pixmap)


def _coloured(color: QColor) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(solid_brush(color))
    return fmt


class Gutter(QWidget):
    clicked = Signal(int, bool)  # 1-based line, True when the click hit the breakpoint column
    fix_clicked = Signal(int)  # the lightbulb of a line with a quick fix was clicked

    def __init__(self, editor: CodeEditor):
        super().__init__(editor)
        self.editor = editor
        self.setMouseTracking(True)
        self.setAutoFillBackground(True)  # Qt fills it with the palette's Window colour
        self._number_formats: dict[bool, QTextCharFormat] = {}
        self._numbers: dict[tuple[int, bool], QTextLayout] = {}
        self._numbers_font: QFont | None = None

    def set_colours(self, background: QColor, numbers: QColor, current_number: QColor) -> None:
        """Colours go through the palette and text formats: QPainter's setPen, setBrush and fillRect
        would each load the `Qt` namespace on their first call (app/ui/first_paint.py)."""
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, background)
        self.setPalette(palette)
        self._number_formats = {False: _coloured(numbers), True: _coloured(current_number)}
        self._numbers.clear()

    def _number(self, line: int, current: bool, font: QFont) -> QTextLayout:
        """The laid-out number of `line`, in the current line's colour or the others' (cached for
        `font`; paintEvent drops the cache when the editor's font changes)."""
        layout = self._numbers.get((line, current))
        if layout is None:
            text = str(line)
            layout = QTextLayout(text)  # not QTextLayout(text, font): that overload loads `Qt`
            layout.setFont(font)
            coloured = QTextLayout.FormatRange()
            coloured.start, coloured.length, coloured.format = 0, len(text), self._number_formats[current]
            layout.setFormats([coloured])
            layout.beginLayout()
            layout.createLine()
            layout.endLayout()
            self._numbers[(line, current)] = layout
        return layout

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
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = ed.font()
        if font != self._numbers_font or len(self._numbers) > 1000:
            self._numbers.clear()
            self._numbers_font = font
        block = ed.firstVisibleBlock()
        top = round(ed.blockBoundingGeometry(block).translated(ed.contentOffset()).top())
        line_h = ed.fontMetrics().height()
        number_right = self.width() - MARKER_W - PAD // 2
        current = ed.textCursor().blockNumber()
        markers = ed.finding_severities_by_line()
        fixable = ed.fixable_lines()
        breakpoints = ed.breakpoints
        debug_line = ed.debug_line
        while block.isValid() and top <= event.rect().bottom():
            height = round(ed.blockBoundingRect(block).height())
            if block.isVisible() and top + height >= event.rect().top():
                line = block.blockNumber() + 1
                number = self._number(line, block.blockNumber() == current, font)
                text_line = number.lineAt(0)
                number.draw(painter, QPointF(number_right - text_line.naturalTextWidth(),
                                             top + (line_h - text_line.height()) / 2))
                mid = top + line_h // 2
                if line in breakpoints:
                    painter.fillPath(_circle(BREAKPOINT_W // 2, mid, 5), solid_brush(theme.color("breakpoint")))
                if line == debug_line:
                    arrow = QPainterPath()
                    arrow.addPolygon(QPolygonF([QPointF(2, mid - 5), QPointF(BREAKPOINT_W - 2, mid),
                                                QPointF(2, mid + 5)]))
                    painter.fillPath(arrow, solid_brush(theme.color("warning")))
                severity = markers.get(line)
                x = self.width() - MARKER_W // 2 - PAD // 2
                if line in fixable:
                    painter.fillPath(lightbulb_glyph(x, mid), solid_brush(theme.color("warning")))
                elif severity is not None:
                    painter.fillPath(severity_glyph(str(severity), x, mid), solid_brush(theme.color(str(severity))))
            block = block.next()
            top += height
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        from PySide6.QtCore import Qt

        if event.button() == Qt.MouseButton.LeftButton:
            pos = event.position().toPoint()
            line = self.line_at(pos.y())
            if pos.x() >= self.width() - MARKER_W - PAD and line in self.editor.fixable_lines():
                self.fix_clicked.emit(line)
                return
            self.clicked.emit(line, pos.x() < BREAKPOINT_W)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            line = self.line_at(event.pos().y())
            messages = self.editor.finding_messages(line)
            fix = self.editor.quick_fix_title(line)
            if fix:
                messages = [*messages, f"{fix}: click the lightbulb or press Ctrl+."]
            if messages:
                QToolTip.showText(event.globalPos(), "\n".join(messages), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)
