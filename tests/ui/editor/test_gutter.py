"""What the gutter paints: line numbers right-aligned in their colours, markers where they belong.
It paints without QPainter's setPen/setBrush (app/ui/first_paint.py), so these look at the pixels."""

from __future__ import annotations

from PySide6.QtGui import QColor, QImage

from app.ui.editor.gutter import BREAKPOINT_W, MARKER_W, PAD


def _row_colours(editor, line: int) -> set[str]:
    """The colours painted in the number column of one line (the background left out)."""
    gutter = editor.gutter
    image = QImage(gutter.size(), QImage.Format.Format_ARGB32)
    gutter.render(image)
    block = editor.document().findBlockByNumber(line - 1)
    geometry = editor.blockBoundingGeometry(block).translated(editor.contentOffset())
    background = QColor(editor.theme.color("gutter_background")).name()
    found = set()
    for y in range(int(geometry.top()), int(geometry.bottom())):
        for x in range(BREAKPOINT_W, gutter.width() - MARKER_W - PAD // 2):
            colour = image.pixelColor(x, y).name()
            if colour != background:
                found.add(colour)
    return found


def _darkest(colours: set[str]) -> str:
    return min(colours, key=lambda c: QColor(c).lightness())


def test_the_current_line_number_stands_out(editor, qtbot):
    editor.set_source("a = 1\nb = 2\nc = 3\n")
    cursor = editor.textCursor()
    cursor.setPosition(editor.document().findBlockByNumber(1).position())
    editor.setTextCursor(cursor)
    qtbot.wait(10)
    current, other = _row_colours(editor, 2), _row_colours(editor, 3)
    assert current and other, "both numbers are painted"
    assert _darkest(current) == QColor(editor.theme.color("gutter_current")).name()
    assert _darkest(other) == QColor(editor.theme.color("gutter_foreground")).name()


def test_numbers_are_right_aligned(editor, qtbot):
    editor.set_source("\n".join(f"x{i} = {i}" for i in range(12)))
    gutter = editor.gutter
    image = QImage(gutter.size(), QImage.Format.Format_ARGB32)
    gutter.render(image)
    background = QColor(editor.theme.color("gutter_background")).name()

    def inked_columns(line: int) -> list[int]:
        block = editor.document().findBlockByNumber(line - 1)
        geometry = editor.blockBoundingGeometry(block).translated(editor.contentOffset())
        return [x for x in range(gutter.width()) for y in range(int(geometry.top()), int(geometry.bottom()))
                if image.pixelColor(x, y).name() != background]

    one, twelve = inked_columns(1), inked_columns(12)
    assert abs(max(one) - max(twelve)) <= 1  # same right edge
    assert min(twelve) < min(one)  # two digits reach further left


def test_breakpoints_and_findings_paint_their_markers(editor, qtbot):
    from app.domain.findings import Finding, Severity

    editor.configure("login", [])
    editor.set_source("def login(email, password, callback):\n    return callback(None)\n")
    editor.breakpoints = {1}
    editor.set_findings([Finding(code="callback-not-called", message="m", severity=Severity.ERROR,
                                 script="login", line=2)])
    image = QImage(editor.gutter.size(), QImage.Format.Format_ARGB32)
    editor.gutter.render(image)

    def colour_at(x: int, line: int) -> str:
        block = editor.document().findBlockByNumber(line - 1)
        y = int(editor.blockBoundingGeometry(block).translated(editor.contentOffset()).center().y())
        return image.pixelColor(x, y).name()

    assert colour_at(BREAKPOINT_W // 2, 1) == QColor(editor.theme.color("breakpoint")).name()
    assert colour_at(editor.gutter.width() - MARKER_W // 2 - PAD // 2, 2) == QColor(editor.theme.color("error")).name()
    assert colour_at(BREAKPOINT_W // 2, 2) == QColor(editor.theme.color("gutter_background")).name()
