"""Where the main window's docks go: the user's saved layout, else the default one shipped with the app.

The layout (VS Code's is the model) keeps the editor the largest area on a 1280×800 or 1366×768
laptop, and debugging never grows the window:
- right: Run, with the debugger's Variables and Watches as tabs of the same group (Variables comes
  to the front when a debug session starts) and Call stack below them;
- bottom: Output, Debug console, SQL, Findings, Flow, Traces, Reproduce as tabs of one group, a
  third of the height;
- left: Schema (hidden until asked for); the project tree is part of the central area.
Tabs, not stacked docks: a stack's minimum height is the sum of its docks', a tab group's only the
largest one's (the stacked debug docks raised the window's minimum height past 1,000 px).

The docks built before the first paint are placed by `QMainWindow.restoreState()`, not by
`addDockWidget()`: its area argument is a `Qt.DockWidgetArea`, and the first use of PySide6's `Qt`
namespace builds all of its ~100 enums, ~10 ms of a ~140 ms start. `place_by_hand()` and
`place_late()` are the layout itself; `resources/layout/default-window-state.bin` is that layout
saved (every dock, early and late). Regenerate it after adding, removing or moving a dock, and bump
LAYOUT_VERSION, which also retires the layouts users saved before:

    QT_QPA_PLATFORM=offscreen python -m app.ui.window_layout
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray

from app.resources import resources_root

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

LAYOUT_VERSION = 3  # saveState()/restoreState() version; 0 before the shipped default layout
DEFAULT_STATE = resources_root() / "layout" / "default-window-state.bin"
DEFAULT_SIZE = (1280, 800)  # the first window, unless the screen is smaller
SMALL_SCREEN = (1440, 900)  # below this, the first window fills the screen's free area
FRAME_ALLOWANCE = (16, 40)  # what a window manager's frame and title bar may add around the window
RIGHT_TABS = ("Run", "Variables", "Watches")  # one tab group, Run in front
BELOW_RIGHT = "Call stack"
BOTTOM_TABS = ("Output", "Debug console", "SQL", "Findings", "Flow", "Traces", "Reproduce")
ROOMY = {"Flow": 0.5, "Traces": 0.36, "Reproduce": 0.36, "SQL": 0.33}  # share of the window's height
DEBUG_PANELS = ("Variables", "Watches", "Call stack", "Debug console")  # hidden until a debug session


def default_state() -> QByteArray | None:
    """The shipped default layout, or None when the file is missing."""
    try:
        return QByteArray(DEFAULT_STATE.read_bytes())
    except OSError:
        return None


def first_size(available: tuple[int, int]) -> tuple[int, int]:
    """The first window's size on a screen whose free area is `available` (width, height): the
    default size on a large screen; on a laptop's (smaller than 1440×900) the whole free area, less
    what a window frame takes, so that it fits and the editor gets every pixel."""
    room = (available[0] - FRAME_ALLOWANCE[0], available[1] - FRAME_ALLOWANCE[1])
    if available[0] < SMALL_SCREEN[0] or available[1] < SMALL_SCREEN[1]:
        return room
    return min(DEFAULT_SIZE[0], room[0]), min(DEFAULT_SIZE[1], room[1])


def fit_to_screen(window: MainWindow) -> None:
    """Size (and place) the window within its screen's free area: a 1366×768 laptop gets a window
    that is not taller than the screen, a large screen the default 1280×800."""
    screen = window.screen()
    if screen is None:
        window.resize(*DEFAULT_SIZE)
        return
    area = screen.availableGeometry()
    width, height = first_size((area.width(), area.height()))
    window.resize(width, height)
    window.move(area.x() + (area.width() - width) // 2, area.y() + max(0, (area.height() - height - 32) // 2))


def restore(window: MainWindow, saved: QByteArray | None) -> QByteArray | None:
    """Place the window's docks as `saved` (the user's layout) says, else as the default layout says,
    else by hand. Returns the state applied, to apply again once the late docks exist; None when
    they were placed by hand."""
    for state in (saved, default_state()):
        if state is not None and window.restoreState(state, LAYOUT_VERSION):
            return state
    place_by_hand(window)
    return None


def place_by_hand(window: MainWindow) -> None:
    """The default layout of the docks built before the first paint: Run on the right, Output, SQL
    and Findings tabbed at the bottom (Output in front), Schema on the left and hidden."""
    from PySide6.QtCore import Qt

    areas = {"Run": Qt.DockWidgetArea.RightDockWidgetArea, "Output": Qt.DockWidgetArea.BottomDockWidgetArea,
             "SQL": Qt.DockWidgetArea.BottomDockWidgetArea, "Findings": Qt.DockWidgetArea.BottomDockWidgetArea,
             "Schema": Qt.DockWidgetArea.LeftDockWidgetArea}
    for title, area in areas.items():
        window.addDockWidget(area, window.docks[title])
    window.tabifyDockWidget(window.docks["Output"], window.docks["SQL"])
    window.tabifyDockWidget(window.docks["SQL"], window.docks["Findings"])
    window.docks["Output"].raise_()
    window.docks["Schema"].hide()


def place_late(window: MainWindow) -> None:
    """Put the docks built after the first paint (debugger, Flow, Traces, Reproduce) in their tab
    groups, in a fixed order, wherever their installers first put them. A restored layout then
    moves them again when it knows them."""
    from PySide6.QtCore import Qt

    docks = {title: dock for title, dock in window.docks.items()}
    hidden = {title for title, dock in docks.items() if dock.isHidden()}
    if BELOW_RIGHT in docks and "Run" in docks:  # before the tabs: a split beside a tab group tabs it
        window.splitDockWidget(docks["Run"], docks[BELOW_RIGHT], Qt.Orientation.Vertical)
    for group in (RIGHT_TABS, BOTTOM_TABS):
        present = [docks[t] for t in group if t in docks]
        for dock in present[1:]:  # tabifying appends: doing it in order gives the order
            window.tabifyDockWidget(present[0], dock)
    for title, dock in docks.items():
        if title in hidden:
            dock.hide()
    for front in ("Run", "Output"):
        if front in docks:
            docks[front].raise_()


def give_room(window: MainWindow) -> None:
    """Panels that need height (Flow's diagram, Traces, Reproduce, SQL) get it while they are the
    bottom tab in front: the bottom area grows to their share of the window, and goes back to the
    height it had when a compact tab (Output, Debug console, Findings) comes to the front again,
    unless the user resized it meanwhile (PyCharm keeps one size per tool window the same way)."""
    for title in BOTTOM_TABS:
        dock = window.docks.get(title)
        if dock is not None:
            dock.visibilityChanged.connect(lambda visible, d=dock, t=title: visible and _bottom_tab_shown(window, d, t))


def _bottom_tab_shown(window: MainWindow, dock, title: str) -> None:
    from PySide6.QtCore import Qt, QTimer

    if dock.isFloating() or window.dockWidgetArea(dock) != Qt.DockWidgetArea.BottomDockWidgetArea:
        return
    grown = getattr(window, "_bottom_grown", None)  # {"before", "asked", "got"}: heights of the last growth
    unchanged = grown is not None and "got" in grown and abs(dock.height() - grown["got"]) <= 8
    share = ROOMY.get(title)
    if share is not None:
        want = int(window.height() * share)
        if dock.height() >= want:
            return
        record = {"before": grown["before"] if unchanged else dock.height(), "asked": want}
        window._bottom_grown = record

        def grow() -> None:
            window.resizeDocks([dock], [want], Qt.Orientation.Vertical)
            QTimer.singleShot(0, window, lambda: record.update(got=dock.height()))  # once laid out

        QTimer.singleShot(0, window, grow)
    elif grown is not None:
        window._bottom_grown = None
        if unchanged:  # still the height it was grown to, not resized by hand: back to the height before
            # (resizeDocks counts the tab bar, height() does not: add what the growth lost to it)
            height = grown["before"] + grown["asked"] - grown["got"]
            QTimer.singleShot(0, window, lambda: window.resizeDocks([dock], [height], Qt.Orientation.Vertical))


def show_debug_panels(window: MainWindow) -> None:
    """A debug session started: its panels come into view, Variables and the Debug console in front."""
    for title in DEBUG_PANELS:
        dock = window.docks.get(title)
        if dock is not None and dock.isHidden():
            dock.show()
    from PySide6.QtCore import QTimer

    def to_front() -> None:
        for title in ("Variables", "Debug console"):
            if title in window.docks:
                window.docks[title].raise_()

    to_front()
    QTimer.singleShot(0, window, to_front)  # after the run's start has brought Output forward


def default_sizes(window: MainWindow) -> None:
    """Editor first, panels around it: the bottom panels about a third of the height, the right
    column under a third of the width, the project tree narrow (only applies once shown)."""
    from PySide6.QtCore import Qt

    width, height = window.width(), window.height()
    window.resizeDocks([window.docks["Output"]], [max(170, int(height * 0.25))], Qt.Orientation.Vertical)
    window.resizeDocks([window.docks["Run"]], [min(440, max(340, int(width * 0.27)))], Qt.Orientation.Horizontal)
    splitter = getattr(window, "splitter", None)
    if splitter is not None:
        tree = min(max(170, width // 5, 290), max(170, window.tree.needed_width()))
        splitter.setSizes([tree, max(200, splitter.width() - tree)])


def reset(window: MainWindow) -> None:
    """View → Reset layout: every dock back where the default layout puts it, at the default sizes
    (a running debug session keeps its panels in view)."""
    state = default_state()
    if state is None or not window.restoreState(state, LAYOUT_VERSION):
        place_by_hand(window)
        if window.panels_installed:
            place_late(window)
    for dock in window.docks.values():
        if dock.isFloating():
            dock.setFloating(False)
    if window.panels_installed:
        window.reproduction.layout_restored()
        if window.debugger.state != "idle":
            show_debug_panels(window)
    default_sizes(window)


def main() -> int:
    """Write DEFAULT_STATE from `place_by_hand()` and `place_late()` on the sample project, every
    dock installed, at the default window size."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    global default_state  # the window must not read the file it is about to replace

    with tempfile.TemporaryDirectory(prefix="customdb-layout-") as scratch:
        os.environ["CUSTOMDB_DATA_DIR"] = scratch
        QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, scratch)
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, scratch)
        app = QApplication.instance() or QApplication(sys.argv[:1])
        from app.domain.project import load_project
        from app.engine.sample import ensure_sample_project
        from app.ui.main_window import MainWindow

        default_state = lambda: None  # noqa: E731
        window = MainWindow(load_project(ensure_sample_project()))
        window.resize(*DEFAULT_SIZE)
        window.show()
        window.install_deferred()
        for _ in range(3):  # the default sizes apply a turn after showing; the runner's warm-up waits 50 ms
            app.processEvents()
            time.sleep(0.005)
        state = window.saveState(LAYOUT_VERSION)
        window.controller.shutdown()
    DEFAULT_STATE.parent.mkdir(parents=True, exist_ok=True)
    DEFAULT_STATE.write_bytes(bytes(state.data()))
    print(f"wrote {DEFAULT_STATE} ({state.size()} bytes, layout version {LAYOUT_VERSION})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
