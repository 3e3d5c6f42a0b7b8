"""The View menu: every panel (the debugger's too), Reset layout, Theme (System / Light / Dark,
app/ui/theme.py) and the editor's zoom.

Zoom (Ctrl+= / Ctrl+- / Ctrl+0) is one level for every editor of the window, remembered across
starts; a newly opened editor starts at it.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QActionGroup

from app.ui import theme, window_layout

if TYPE_CHECKING:
    from PySide6.QtWidgets import QPlainTextEdit

    from app.ui.main_window import MainWindow

ZOOM_KEY = "editor/zoom"
ZOOM_RANGE = (-6, 16)  # font points below and above the system's fixed-width font
PANEL_ORDER = (*window_layout.RIGHT_TABS, window_layout.BELOW_RIGHT, *window_layout.BOTTOM_TABS, "Schema")


def build(window: MainWindow) -> None:
    """Fill `window.view` at construction (the late panels join in `fill()`)."""
    menu = window.view
    window.panels_section = menu.addSeparator()  # the panels go above it
    window.reset_layout_action = window._action(menu, "&Reset layout", lambda: window_layout.reset(window))
    menu.addSeparator()
    _theme_menu(window, menu.addMenu("&Theme"))
    window.zoom_in_action = window._action(menu, "Zoom &in", lambda: set_zoom(window, zoom(window) + 1),
                                           ["Ctrl+=", "Ctrl++"])
    window.zoom_out_action = window._action(menu, "Zoom &out", lambda: set_zoom(window, zoom(window) - 1),
                                            "Ctrl+-")
    window.zoom_reset_action = window._action(menu, "Reset &zoom", lambda: set_zoom(window, 0), "Ctrl+0")
    menu.addSeparator()
    window._action(menu, "Reload &schema", window.schema_panel.reload)
    fill(window)


def _theme_menu(window: MainWindow, menu) -> None:
    """System (follow the OS), Light, Dark: one checked, the choice remembered."""
    group = QActionGroup(window)
    window.theme_actions = {}
    for choice, text in (("system", "&System (follow the OS)"), ("light", "&Light"), ("dark", "&Dark")):
        action = QAction(text, window)
        action.setCheckable(True)
        action.setChecked(choice == theme.preference())
        action.triggered.connect(lambda _=False, c=choice: theme.apply(c, remember=True))
        group.addAction(action)
        menu.addAction(action)
        window.theme_actions[choice] = action

    def sync(_palette: object) -> None:  # another window may have switched it
        chosen = window.theme_actions.get(theme.preference())
        if chosen is not None and not chosen.isChecked():
            chosen.setChecked(True)

    theme.notifier().changed.connect(sync)
    window.destroyed.connect(lambda *_: _disconnect(sync))


def _disconnect(slot) -> None:
    with contextlib.suppress(RuntimeError, TypeError):  # already gone with the app
        theme.notifier().changed.disconnect(slot)


def fill(window: MainWindow) -> None:
    """(Re)list every dock of the window above the panels separator, in layout order."""
    menu = window.view
    for action in getattr(window, "panel_actions", []):
        menu.removeAction(action)
    titles = [t for t in PANEL_ORDER if t in window.docks] + [t for t in window.docks if t not in PANEL_ORDER]
    window.panel_actions = [window.docks[t].toggleViewAction() for t in titles]
    for action in window.panel_actions:
        menu.insertAction(window.panels_section, action)


def zoom(window: MainWindow) -> int:
    """The window's editor zoom: font points added to the default size."""
    value = getattr(window, "_zoom", None)
    if value is None:
        try:
            value = int(QSettings().value(ZOOM_KEY, 0))
        except (TypeError, ValueError):
            value = 0
        window._zoom = value = max(ZOOM_RANGE[0], min(ZOOM_RANGE[1], value))
    return value


def apply_zoom(window: MainWindow, editor: QPlainTextEdit) -> None:
    """Bring one editor to the window's zoom level (its own level is kept on the widget)."""
    target = zoom(window)
    current = int(editor.property("zoom") or 0)
    if target != current:
        editor.zoomIn(target - current)  # QPlainTextEdit: points, negative zooms out
        editor.setProperty("zoom", target)


def set_zoom(window: MainWindow, level: int) -> int:
    """Zoom every editor of the window to `level` (clamped) and remember it; returns the level."""
    level = max(ZOOM_RANGE[0], min(ZOOM_RANGE[1], level))
    window._zoom = level
    for doc in window.docs.values():
        apply_zoom(window, doc.editor)
    QSettings().setValue(ZOOM_KEY, level)
    window.statusBar().showMessage(f"Editor zoom: {level:+d} pt" if level else "Editor zoom: default", 2000)
    return level
