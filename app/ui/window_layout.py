"""Where the main window's docks go: the user's saved layout, else the default one shipped with the app.

The docks built before the first paint are placed by `QMainWindow.restoreState()`, not by
`addDockWidget()`: its area argument is a `Qt.DockWidgetArea`, and the first use of PySide6's `Qt`
namespace builds all of its ~100 enums, ~10 ms of a ~140 ms start. `place_by_hand()` is the layout
itself; `resources/layout/default-window-state.bin` is that layout saved (every dock, early and
late). Regenerate it after adding, removing or moving a dock, and bump LAYOUT_VERSION, which also
retires the layouts users saved before:

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

LAYOUT_VERSION = 2  # saveState()/restoreState() version; 0 before the shipped default layout
DEFAULT_STATE = resources_root() / "layout" / "default-window-state.bin"


def default_state() -> QByteArray | None:
    """The shipped default layout, or None when the file is missing."""
    try:
        return QByteArray(DEFAULT_STATE.read_bytes())
    except OSError:
        return None


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


def default_sizes(window: MainWindow) -> None:
    """Editor first, panels around it: the bottom panels a quarter of the height, Run a third of the
    width (only applies once the window is shown)."""
    from PySide6.QtCore import Qt

    height = window.height()
    window.resizeDocks([window.docks["Output"]], [max(160, height // 4)], Qt.Orientation.Vertical)
    window.resizeDocks([window.docks["Run"]], [max(380, window.width() // 3)], Qt.Orientation.Horizontal)


def main() -> int:
    """Write DEFAULT_STATE from `place_by_hand()` on the sample project, every dock installed."""
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
