"""What code that runs before the window's first paint uses instead of PySide6's `Qt` namespace.

PySide6 builds a wrapped class on its first use, and the `Qt` namespace is ~100 enums: its first use
costs ~10 ms of a ~140 ms start. Calling a function one of whose overloads takes a `Qt` enum counts
as a use, since the overload check loads the enum types: QBrush() and QPen(), QPainter's setPen,
setBrush and fillRect, QAction.setShortcut, a QColor passed where a QBrush is expected.

So the first-paint path (window construction, the editor, the highlighter, the gutter) imports `Qt`
only inside the functions that need it later (key and mouse handling), places its docks with
`restoreState()` (app/ui/window_layout.py), gives QPainter its colours through the palette or
`fillPath()`, and makes its brushes here. tests/ui/test_first_paint.py checks that the namespace is
still unused when the window paints.
"""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor, QPalette


def solid_brush(color: QColor | str) -> QBrush:
    """A solid brush of `color`, made by a palette (QBrush's constructors would load `Qt`)."""
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Base, color if isinstance(color, QColor) else QColor(color))
    return palette.brush(QPalette.ColorRole.Base)
