"""The main window's toolbar: Run / Debug / Stop, and while a debug session lives Continue, Step
over, Step into and Step out (VS Code's debug toolbar). The buttons are the menus' own actions, so
shortcuts, enabled state and the toolbar always agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QToolBar

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

STEPPING = ("over", "into", "out")  # debugger action names shown only while debugging
LABELS = {"run": "▶ Run", "stop": "■ Stop", "start": "▷ Debug", "continue": "▷ Continue",
          "over": "↷ Step over", "into": "↘ Step into", "out": "↖ Step out"}


def _label(action: QAction, text: str, shortcut: str) -> None:
    action.setIconText(text)
    action.setToolTip(f"{text.split(' ', 1)[1]} ({shortcut})")


def build(window: MainWindow) -> QToolBar:
    """The toolbar with Run and Stop (Debug and stepping join when the debugger is installed)."""
    bar = QToolBar("Run and debug", window)
    bar.setObjectName("toolbar_run")  # how a saved layout names it
    bar.setMovable(False)
    _label(window.run_action, LABELS["run"], "Ctrl+F5")
    _label(window.stop_action, LABELS["stop"], "Shift+F5")
    bar.addAction(window.run_action)
    window.toolbar_debug_anchor = bar.addSeparator()
    bar.addAction(window.stop_action)
    window.addToolBar(bar)
    window.toolbar = bar
    return bar


def add_debugger(window: MainWindow, actions: dict[str, QAction]) -> None:
    """Debug (Continue while paused) after Run, the stepping actions after Stop."""
    bar = window.toolbar
    _label(actions["start"], LABELS["start"], "F5")
    bar.insertAction(window.toolbar_debug_anchor, actions["start"])
    proxies = {}
    for name, key in zip(STEPPING, ("F10", "F11", "Shift+F11"), strict=True):
        # a stand-in, so hiding the button while idle leaves the Debug menu's entry in place
        action, proxy = actions[name], QAction(LABELS[name], bar)
        proxy.setToolTip(f"{LABELS[name].split(' ', 1)[1]} ({key})")
        proxy.triggered.connect(action.trigger)
        action.changed.connect(lambda a=action, p=proxy: p.setEnabled(a.isEnabled()))
        proxy.setEnabled(action.isEnabled())
        bar.addAction(proxy)
        proxies[name] = proxy
    window.toolbar_actions = {"start": actions["start"], **proxies}
    debug_state_changed(window, "idle")


def debug_state_changed(window: MainWindow, state: str) -> None:
    """idle: Debug; running or paused: Continue and the stepping buttons."""
    actions = getattr(window, "toolbar_actions", None)
    if not actions:
        return
    debugging = state != "idle"
    start = actions["start"]
    start.setIconText(LABELS["continue"] if debugging else LABELS["start"])
    start.setToolTip("Continue (F5)" if debugging else "Debug (F5)")
    for name in STEPPING:
        actions[name].setVisible(debugging)
