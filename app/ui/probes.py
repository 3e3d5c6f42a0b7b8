"""Hooks for the start-up benchmark, the memory benchmark and the README screenshot.

Activated only by environment variables (see application.py); nothing here runs for users.
"""

from __future__ import annotations

import json
import os
import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from app.ui.main_window import MainWindow


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc; ru_maxrss elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def children_rss_bytes() -> int:
    """RSS of every descendant process (jedi's server, runner children); Linux only, else 0."""
    total, stack, page = 0, [os.getpid()], os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
    seen: set[int] = set()
    while stack:
        pid = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    kids = [int(k) for k in f.read().split()]
            except OSError:
                continue
            for kid in kids:
                if kid in seen:
                    continue
                seen.add(kid)
                stack.append(kid)
                try:
                    with open(f"/proc/{kid}/statm") as f:
                        total += int(f.read().split()[1]) * page
                except OSError:
                    pass
    return total


class _FirstPaint(QObject):
    """Prints the wall-clock time of the first paint of the editor and quits."""

    def eventFilter(self, obj, event):  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint and not getattr(self, "done", False):
            self.done = True
            QTimer.singleShot(0, self._report)
        return False

    def _report(self) -> None:
        print(f"painted {time.time():.6f}", flush=True)
        # PySide6 adds `Qt` to QtCore's namespace on its first use (app/ui/first_paint.py)
        print(f"qt-namespace {'built' if 'Qt' in vars(sys.modules['PySide6.QtCore']) else 'unused'}", flush=True)
        os._exit(0)  # the figure is start-up; teardown is not part of it


def install(window: MainWindow) -> None:
    if os.environ.get("CUSTOMDB_EXIT_AFTER_PAINT"):
        doc = window.current_doc()
        target = doc.editor.viewport() if doc is not None else window
        window._first_paint = _FirstPaint(window)  # keep a reference
        target.installEventFilter(window._first_paint)
    if os.environ.get("CUSTOMDB_REPORT_RSS"):
        _report_rss_after_warm_up(window)
    if path := os.environ.get("CUSTOMDB_SCREENSHOT"):
        _screenshot(window, path, os.environ.get("CUSTOMDB_SCREENSHOT_INPUT", ""))


def _report_rss_after_warm_up(window: MainWindow) -> None:
    from app.ui.editor.completion import CompletionEngine

    def done(_=None) -> None:
        QTimer.singleShot(int(float(os.environ.get("CUSTOMDB_SETTLE_S", "1")) * 1000), report)

    def report() -> None:
        print(f"rss {rss_bytes()}", flush=True)
        print(f"children-rss {children_rss_bytes()}", flush=True)
        os._exit(0)

    engine = CompletionEngine.shared()  # the editors' jedi process
    if engine.warmed.is_set():
        done()
        return
    engine.warmed_up.connect(done)
    engine.warm_up()


def _screenshot(window: MainWindow, path: str, input_json: str) -> None:
    """Run Login (or, with `CUSTOMDB_SCREENSHOT_BREAKPOINT=N`, debug it to a breakpoint on line N),
    grab the window once the result (or the paused frame's variables) is shown, and quit."""
    panel = window.run_panel
    panel.select_script("login")
    if input_json:
        panel.form().set_value(json.loads(input_json))

    def grab(_result=None) -> None:
        QTimer.singleShot(600, save)

    def save() -> None:
        if not breakpoint_line:
            window.docks["SQL"].raise_()
        QApplication.processEvents()
        ok = window.grab().save(path)
        print(f"screenshot {'saved' if ok else 'FAILED'}: {path}", flush=True)
        if window.panels_installed and window.debugger.state != "idle":
            window.debugger.stop()
        QApplication.quit()

    window.controller.failed.connect(grab)
    breakpoint_line = int(os.environ.get("CUSTOMDB_SCREENSHOT_BREAKPOINT") or 0)
    if not breakpoint_line:
        panel.result_shown.connect(grab)
        QTimer.singleShot(800, panel.run)
        return

    def debug() -> None:
        debugger = window.debugger
        debugger.set_breakpoint("login", breakpoint_line)
        variables = debugger.panels["Variables"]
        variables_shown = []

        def paused(_stop) -> None:
            def check() -> None:  # the paused frame's variables come in a moment later
                if variables.values() and not variables_shown:
                    variables_shown.append(True)
                    debugger.evaluate("email.lower()")  # a line in the Debug console
                    grab()
                elif not variables_shown:
                    QTimer.singleShot(100, check)
            check()

        debugger.stopped.connect(paused)
        window.docs["login"].editor.goto_line(breakpoint_line)
        debugger.start_or_continue()

    QTimer.singleShot(800, debug)
