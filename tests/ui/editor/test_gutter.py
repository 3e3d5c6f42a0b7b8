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


# -- issue 17 item 7: a lint mark that is not a dot, a discoverable quick fix ------------------------------
def _inked(editor, line: int, x0: int, x1: int, colour: str) -> set[tuple[int, int]]:
    image = QImage(editor.gutter.size(), QImage.Format.Format_ARGB32)
    editor.gutter.render(image)
    block = editor.document().findBlockByNumber(line - 1)
    g = editor.blockBoundingGeometry(block).translated(editor.contentOffset())
    return {(x, y) for x in range(x0, x1) for y in range(int(g.top()), int(g.bottom()))
            if image.pixelColor(x, y).name() == colour}


def test_an_error_mark_is_a_diamond_not_a_breakpoints_dot(editor, qtbot):
    from app.domain.findings import Finding, Severity
    from app.ui.editor.gutter import severity_glyph

    editor.configure("login", [])
    editor.set_source("x = 1\n")
    editor.set_findings([Finding(code="c", message="m", severity=Severity.ERROR, script="login", line=1)])
    left = editor.gutter.width() - MARKER_W - PAD
    ink = _inked(editor, 1, left, editor.gutter.width(), QColor(editor.theme.color("error")).name())
    assert ink
    ys = sorted({y for _, y in ink})
    widths = {y: len([1 for x, yy in ink if yy == y]) for y in ys}
    middle = ys[len(ys) // 2]
    assert widths[ys[0]] < widths[middle] > widths[ys[-1]]  # pointed at top and bottom: a diamond
    for severity in ("error", "warning", "info"):  # straight edges only: no ellipse curves
        path = severity_glyph(severity, 7, 7)
        assert all(path.elementAt(i).type.name in ("MoveToElement", "LineToElement") for i in range(path.elementCount()))


def test_a_fixable_line_shows_a_lightbulb_that_applies_the_fix(editor, qtbot):
    from PySide6.QtCore import QPoint, Qt

    from app.domain.findings import Finding, Severity

    editor.configure("login", [])
    editor.set_source("def signin(email, password, callback):\n    return callback(None)\n")
    editor.set_findings([Finding(code="non-recommended-name", message="name it login", severity=Severity.WARNING,
                                 script="login", line=1)])
    assert editor.fixable_lines() == {1}
    assert editor.quick_fix_title(1) == "Quick fix: rename signin to login"
    assert editor.quick_fix_title(2) is None
    left = editor.gutter.width() - MARKER_W - PAD
    assert _inked(editor, 1, left, editor.gutter.width(), QColor(editor.theme.color("warning")).name())
    block = editor.document().firstBlock()
    y = int(editor.blockBoundingGeometry(block).translated(editor.contentOffset()).center().y())
    qtbot.mouseClick(editor.gutter, Qt.MouseButton.LeftButton, pos=QPoint(editor.gutter.width() - MARKER_W // 2, y))
    assert editor.source().startswith("def login(email, password, callback):")
    assert editor.breakpoints == set()  # the click did not set a breakpoint


def test_the_context_menu_offers_the_quick_fix(editor, qtbot):
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QContextMenuEvent

    from app.domain.findings import Finding, Severity

    editor.configure("login", [])
    editor.set_source("login = lambda email, password, callback: callback(None)\n")
    editor.set_findings([Finding(code="anonymous-entry", message="anonymous", severity=Severity.WARNING,
                                 script="login", line=1)])
    rect = editor.cursorRect(editor.document().firstBlock().begin() and editor.textCursor())
    editor.contextMenuEvent(QContextMenuEvent(QContextMenuEvent.Reason.Mouse, rect.center(),
                                              editor.viewport().mapToGlobal(QPoint(5, 5))))
    menu = editor.context_menu
    first = menu.actions()[0]
    assert first.text().startswith("Quick fix: turn the lambda login into def login(") and not first.icon().isNull()
    assert any(a.text().startswith("&Copy") or "Copy" in a.text() for a in menu.actions())  # Qt's own stay
    menu.close()
    first.trigger()
    assert editor.source().startswith("def login(email, password, callback):")
