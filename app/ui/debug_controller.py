"""The GUI side of the step debugger: a state machine (idle → running ⇄ paused → idle) over the
engine's `DebugSession`, the Debug menu and its shortcuts, the debugger's docks, and per-project
breakpoints (persisted in `.customdb/breakpoints.json`).

Every session call runs on one worker thread, in order (the session is a blocking API); answers
come back as signals on the GUI thread. While the script is paused no thread waits on it and the
GUI runs its normal event loop: stepping, variables and evaluation are single requests. The
session uses the window's runner, so a debug run shares the container (and `global_`) with runs;
closing the window closes the runner, which ends a paused session (`RunnerClient.close`).

Breakpoints follow the code they are on: the editor moves them with its text (`breakpoints_moved`,
app/ui/editor/breakpoint_marks.py) and the controller rewrites its records (condition and hit count
kept). A debug run sends the lines as they are in the editor; a script already paused runs the text
it started with, so until it ends the lines sent to it are translated back to that text.

The file holds each script's breakpoints at the lines of the script as saved: while a script has
unsaved edits, its moved (or newly set) breakpoints live in memory and are written when the script
is saved. So discarding the edits (closing the tab or the window without saving) leaves the file
and the reopened script with breakpoints on the code they were on, not shifted by edits that
never reached the disk.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QContextMenuEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QInputDialog, QMenu

from app.domain.breakpoints import LineBreakpoint, load_breakpoints, save_breakpoints
from app.ui import toolbar, window_layout
from app.ui.panels.debug_panels import CallStackPanel, DebugConsole, VariablesPanel, WatchesPanel
from app.ui.workers import post

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

OLD_CODE_NOTE = "the script is paused: the running code is the version it started with, not your edits"


class _Worker:
    """One daemon thread that runs queued calls in order and posts their answers to the GUI."""

    def __init__(self) -> None:
        self._jobs: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="customdb-debugger", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[str], None] | None = None) -> None:
        self._jobs.put((fn, on_done, on_error))

    def _loop(self) -> None:
        while True:
            fn, on_done, on_error = self._jobs.get()
            try:
                value = fn()
            except Exception as e:  # noqa: BLE001 - reported to the GUI as text
                if on_error is not None:
                    post(on_error, f"{type(e).__name__}: {e}" if str(e) else type(e).__name__)
                continue
            if on_done is not None:
                post(on_done, value)


class DebugController(QObject):
    state_changed = Signal(str)  # idle | running | paused
    stopped = Signal(object)  # app.engine.debug_session.Stop
    finished = Signal(object)  # the run result dict
    variables_ready = Signal(object)  # [{name, type, repr, id}] of the selected frame
    expanded = Signal(int, object)  # object id, its children
    evaluated = Signal(object)  # {expr, repr | error}
    watches_changed = Signal(object)  # [{expr, repr | error}]
    completions = Signal(object)  # {text, engine, items: [{name, type, signature, doc, prefix_len}]}
    message = Signal(str)

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.project = window.project
        self.state = "idle"
        self.session: Any = None
        self.key: str | None = None
        self.last_stop: Any = None
        self.frame = 0
        self.watches: list[str] = []
        self.step_into_libraries = False
        self.break_on_callback_error = False
        self.completion_timeout: float | None = None  # jedi's budget in the child; None: its default (~1 s)
        self.breakpoints: dict[str, dict[int, LineBreakpoint]] = load_breakpoints(self.project)
        self._run_lines: dict[int, int] = {}  # current line -> line in the text the paused run started with
        self._saved: dict[str, dict[int, LineBreakpoint]] = {k: dict(v) for k, v in self.breakpoints.items()}
        self._worker = _Worker()
        self.actions: dict[str, QAction] = {}
        self.panels: dict[str, Any] = {}

    # -- breakpoints -----------------------------------------------------------------------------
    def toggle_breakpoint(self, key: str | None = None, line: int | None = None) -> None:
        """F9 / a gutter click: add or remove the breakpoint on a line (the cursor's by default)."""
        doc = self.window.docs.get(key) if key else self.window.current_doc()
        if doc is None:
            return
        line = line or doc.editor.textCursor().blockNumber() + 1
        lines = self.breakpoints.setdefault(doc.key, {})
        if line in lines:
            del lines[line]
        else:
            lines[line] = LineBreakpoint(line)
        self._breakpoints_changed(doc.key)

    def set_breakpoint(self, key: str, line: int, condition: str | None = None, hit: str | None = None) -> None:
        self.breakpoints.setdefault(key, {})[line] = LineBreakpoint(line, condition or None, hit or None)
        self._breakpoints_changed(key)

    def edit_condition(self, key: str | None = None, line: int | None = None) -> None:
        """Condition and hit count of the breakpoint on a line (the cursor's by default)."""
        doc = self.window.docs.get(key) if key else self.window.current_doc()
        if doc is None:
            return
        line = line or doc.editor.textCursor().blockNumber() + 1
        current = self.breakpoints.get(doc.key, {}).get(line) or LineBreakpoint(line)
        condition, ok = QInputDialog.getText(self.window, "Breakpoint condition",
                                             f"Stop at line {line} only when (empty: always):",
                                             text=current.condition or "")
        if not ok:
            return
        hit, ok = QInputDialog.getText(self.window, "Breakpoint hit count",
                                       "Stop on hit N, >=N, >N or every %N (empty: every hit):",
                                       text=current.hit or "")
        if ok:
            from app.runtime.debugger import BreakpointError, parse_breakpoints

            spec = LineBreakpoint(line, condition.strip() or None, hit.strip() or None)
            try:
                parse_breakpoints([spec.to_wire()])
            except BreakpointError as e:
                self.message.emit(str(e))
                return
            self.set_breakpoint(doc.key, line, spec.condition, spec.hit)

    def breakpoint_menu(self, key: str, line: int) -> QMenu:
        """The gutter's context menu for one line."""
        menu = QMenu(self.window)
        has = line in self.breakpoints.get(key, {})
        menu.addAction("Remove breakpoint" if has else "Add breakpoint",
                       lambda: self.toggle_breakpoint(key, line))
        menu.addAction("Condition and hit count…", lambda: self.edit_condition(key, line))
        return menu

    def show_menu(self, menu: QMenu, where: Any) -> None:
        menu.exec(where)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Right click in an editor's gutter: the breakpoint menu of that line."""
        if event.type() == QEvent.Type.ContextMenu and isinstance(event, QContextMenuEvent):
            key = getattr(watched, "_debug_key", None)
            if key is not None:
                self.show_menu(self.breakpoint_menu(key, watched.line_at(event.pos().y())), event.globalPos())
                return True
        return super().eventFilter(watched, event)

    def _breakpoints_changed(self, key: str) -> None:
        if key == self.key:  # a breakpoint taken away: its line no longer needs translating
            self._run_lines = {line: started for line, started in self._run_lines.items()
                               if line in self.breakpoints.get(key, {})}
        self._store(key)
        doc = self.window.docs.get(key)
        if doc is not None:
            self._paint_breakpoints(doc)

    def _store(self, key: str) -> None:
        """Write `key`'s breakpoints to the file, unless its editor has unsaved edits: then the
        file keeps the lines of the saved script until the script is saved."""
        doc = self.window.docs.get(key)
        if doc is not None and doc.modified:
            return
        self._saved[key] = dict(self.breakpoints.get(key, {}))
        try:
            save_breakpoints(self.project, self._saved)
        except OSError as e:
            self.message.emit(f"breakpoints not saved: {e}")

    def _breakpoints_moved(self, key: str, moved: dict[int, int | None]) -> None:
        """The editor moved (or deleted, or an undo restored) breakpoints of `key` with its text:
        take its lines, keeping each record's condition and hit count."""
        doc = self.window.docs.get(key)
        if doc is None:
            return
        records: dict[int, LineBreakpoint] = {}
        for line, payload in doc.editor.breakpoint_items().items():
            records[line] = replace(payload, line=line) if isinstance(payload, LineBreakpoint) else LineBreakpoint(line)
        self.breakpoints[key] = records
        if key == self.key and self.state != "idle":
            self._run_lines = {moved.get(line, line): started for line, started in self._run_lines.items()
                               if moved.get(line, line) is not None}
        QTimer.singleShot(0, self, lambda: self._script_saved(doc))  # once the edit set the modified flag

    def _script_saved(self, doc: Any) -> None:
        """Its editor has no unsaved edits (saved, reloaded or undone to the saved text): its
        breakpoints are those of the file now. Not once its tab is closed (see _script_closed)."""
        if self.window.docs.get(doc.key) is doc:
            self._store(doc.key)

    def _script_closed(self, key: str) -> None:
        """Its editor is gone: unsaved edits were discarded, so are the moves they made."""
        self.breakpoints[key] = dict(self._saved.get(key, {}))
        doc = self.window.docs.get(key)
        try:
            if doc is not None and doc.editor.property("customdb_debug_hooked"):  # reopened meanwhile
                self._paint_breakpoints(doc)
        except RuntimeError:  # the window itself is going away with its editors
            pass

    def wire_breakpoints(self, key: str) -> list[dict]:
        return [bp.to_wire() for _, bp in sorted(self.breakpoints.get(key, {}).items())]

    def _wire_for_run(self, key: str) -> list[dict]:
        """The breakpoints of the running script, at its lines as they were when the run started
        (a breakpoint set since then on a line that was not one goes as it is)."""
        records = {self._run_lines.get(line, line): bp for line, bp in self.breakpoints.get(key, {}).items()}
        return [replace(bp, line=line).to_wire() for line, bp in sorted(records.items())]

    def _paint_breakpoints(self, doc: Any) -> None:
        editor = doc.editor
        records = self.breakpoints.get(doc.key, {})
        if hasattr(editor, "set_breakpoints"):
            editor.set_breakpoints(dict(records))
        elif hasattr(editor, "breakpoints"):
            editor.breakpoints = set(records)

    def hook_editors(self) -> None:
        """Give every open editor its breakpoints and the gutter-click toggle (once each)."""
        for doc in self.window.docs.values():
            if doc.editor.property("customdb_debug_hooked"):  # a property, not id(): ids are reused
                continue
            doc.editor.setProperty("customdb_debug_hooked", True)
            self._paint_breakpoints(doc)
            gutter = getattr(doc.editor, "gutter", None)
            if gutter is not None and hasattr(gutter, "line_at"):
                gutter._debug_key = doc.key
                gutter.installEventFilter(self)
            if hasattr(doc.editor, "breakpoint_clicked"):
                doc.editor.breakpoint_clicked.connect(lambda line, k=doc.key: self.toggle_breakpoint(k, line))
            if hasattr(doc.editor, "breakpoints_moved"):
                doc.editor.breakpoints_moved.connect(lambda moved, k=doc.key: self._breakpoints_moved(k, moved))
                doc.editor.document().modificationChanged.connect(
                    lambda modified, d=doc: modified or self._script_saved(d))
                doc.editor.destroyed.connect(lambda _obj=None, k=doc.key: self._script_closed(k))
            doc.editor.textChanged.connect(self._edited_while_paused)

    def _edited_while_paused(self) -> None:
        if self.state == "paused":
            self.message.emit(OLD_CODE_NOTE)

    # -- commands --------------------------------------------------------------------------------
    def start_or_continue(self) -> None:
        """F5: start debugging the current script with the Run panel's input, or continue."""
        if self.state == "paused":
            self._resume("continue_")
            return
        if self.state != "idle" or self.window.controller.state != "idle":
            return
        doc = self.window.current_doc()
        if doc is None:
            return
        from app.ui.panels.run_form import InputError

        panel = self.window.run_panel
        panel.select_script(doc.key)
        if not panel.before_run():  # as Run: missing secrets asked, restricted mode pointed at Trust
            return
        try:
            values = panel.form(doc.key).value()
        except InputError as e:
            panel.error_label.setText(str(e))
            return
        self.key = doc.key
        source = doc.text()
        breakpoints = self.wire_breakpoints(doc.key)
        self._run_lines = {line: line for line in self.breakpoints.get(doc.key, {})}
        watches = list(self.watches)
        options = {"step_into_libraries": self.step_into_libraries,
                   "break_on_callback_error": self.break_on_callback_error}
        self._set_state("running")
        self.window.controller.started.emit(doc.key, values)  # the window clears its output panels
        events = self.window.controller.event

        def work() -> Any:
            from app.engine.js_debug_session import debug_session_for

            session = debug_session_for(self.window.controller._get_runner())  # Python's or JavaScript's
            self.session = session
            session.start(doc.key, values, breakpoints, watches=watches, source=source, **options,
                          timeout=self.project.timeout_s, on_event=lambda ev: post(events.emit, ev))
            return session.wait_stop()

        self._worker.submit(work, self._arrived, self._failed)

    def step_over(self) -> None:
        self._resume("step_over")

    def step_into(self) -> None:
        self._resume("step_into")

    def step_out(self) -> None:
        self._resume("step_out")

    def run_to_cursor(self) -> None:
        doc = self.window.current_doc()
        if doc is not None and doc.key == self.key:
            self._resume("run_to_cursor", doc.editor.textCursor().blockNumber() + 1)

    def stop(self) -> None:
        """Shift+F5: a paused script unwinds (the container stays warm); a running one is killed."""
        session = self.session
        if session is None or self.state == "idle":
            return
        if self.state == "paused":
            self._set_state("running")
            self._worker.submit(lambda: (session.stop(), session.wait_stop())[1], self._arrived, self._failed)
        else:
            session.stop()

    def _resume(self, method: str, *args: Any) -> None:
        if self.state != "paused":
            return
        session = self.session
        breakpoints = self._wire_for_run(self.key)
        watches = list(self.watches)
        self._set_state("running")
        self._clear_debug_line()

        def work() -> Any:
            getattr(session, method)(*args, breakpoints=breakpoints, watches=watches)
            return session.wait_stop()

        self._worker.submit(work, self._arrived, self._failed)

    # -- inline requests while paused ------------------------------------------------------------
    def select_frame(self, index: int) -> None:
        if self.state != "paused" or self.last_stop is None:
            return
        self.frame = index
        frame = next((f for f in self.last_stop.stack if f["index"] == index), None)
        if frame is not None:
            self._show_line(frame["file"], frame["line"])
        session = self.session
        self._worker.submit(lambda: session.variables(index), self.variables_ready.emit, self._inline_failed)
        if self.watches:
            exprs = list(self.watches)
            self._worker.submit(lambda: session.watches(exprs, index), self.watches_changed.emit,
                                self._inline_failed)

    def expand(self, object_id: int) -> None:
        if self.state == "paused":
            session = self.session
            self._worker.submit(lambda: session.expand(object_id),
                                lambda children: self.expanded.emit(object_id, children), self._inline_failed)

    def evaluate(self, expr: str) -> None:
        if self.state != "paused":
            self.evaluated.emit({"expr": expr, "error": "the script is not paused"})
            return
        session, frame = self.session, self.frame
        self._worker.submit(lambda: session.evaluate(expr, frame), self.evaluated.emit, self._inline_failed)

    def complete(self, text: str) -> None:
        """The debug console's completions of `text` (its input up to the cursor), answered as
        `completions` with the asked text added, so the console can drop an answer it outgrew."""
        if self.state == "paused":
            session, frame = self.session, self.frame
            timeout = self.completion_timeout
            self._worker.submit(lambda: session.complete(text, frame, timeout),
                                lambda value: self.completions.emit({**value, "text": text}), self._inline_failed)

    def add_watch(self, expr: str) -> None:
        if expr not in self.watches:
            self.watches.append(expr)
        self._refresh_watches()

    def remove_watch(self, expr: str) -> None:
        if expr in self.watches:
            self.watches.remove(expr)
        self._refresh_watches()

    def _refresh_watches(self) -> None:
        if self.state == "paused":
            session, exprs, frame = self.session, list(self.watches), self.frame
            self._worker.submit(lambda: session.watches(exprs, frame), self.watches_changed.emit, self._inline_failed)
        else:
            self.watches_changed.emit([{"expr": w, "repr": ""} for w in self.watches])

    # -- answers ---------------------------------------------------------------------------------
    def _arrived(self, outcome: Any) -> None:
        from app.engine.debug_session import Finished

        if isinstance(outcome, Finished):
            self._finished(outcome.result.to_dict())
            return
        self.last_stop, self.frame = outcome, 0
        self._set_state("paused")
        self._show_line(outcome.file, outcome.line)
        self.stopped.emit(outcome)
        self.variables_ready.emit(outcome.variables)
        if self.watches:
            self.watches_changed.emit(outcome.watches)
        where = f"{outcome.function}, line {outcome.line}"
        self.message.emit(f"paused ({outcome.reason}) in {where}"
                          + (f": {outcome.exception['type']}: {outcome.exception['message']}"
                             if outcome.exception else ""))

    def _finished(self, result: dict) -> None:
        self.session, self.last_stop, self._run_lines = None, None, {}
        self._clear_debug_line()
        self._set_state("idle")
        self.finished.emit(result)
        self.window.controller.finished.emit(result)  # the Run panel and output panels show it

    def _inline_failed(self, message: str) -> None:
        """A request while paused failed; when it ended the run (time limit, dead child), say so."""
        self.message.emit(message)
        session = self.session
        if session is not None and session.state == "finished" and self.state == "paused":
            self._finished(session.result.to_dict())

    def _failed(self, message: str) -> None:
        self.session, self.last_stop, self._run_lines = None, None, {}
        self._clear_debug_line()
        self._set_state("idle")
        self.message.emit(f"debugging failed: {message}")

    def _set_state(self, state: str) -> None:
        self.state = state
        self.state_changed.emit(state)

    def _key_of(self, file: str) -> str | None:
        for key in self.project.platform.kinds:
            if str(self.project.script_path(key).resolve()) == str(Path(file)):
                return key
        return None

    def _show_line(self, file: str, line: int) -> None:
        self._clear_debug_line()
        key = self._key_of(file)
        if key is None:
            return
        doc = self.window.open_script(key)
        if doc is None:
            return
        self.hook_editors()
        if hasattr(doc.editor, "show_debug_line"):
            doc.editor.show_debug_line(line)
        doc.editor.goto_line(line)

    def _clear_debug_line(self) -> None:
        for doc in self.window.docs.values():
            if getattr(doc.editor, "debug_line", None) is not None:
                doc.editor.show_debug_line(None)

    def shutdown(self) -> None:
        """Never leave a child paused (the runner's close() does the same when the window closes)."""
        session = self.session
        if session is not None:
            session.close()


def install_debugger(window: MainWindow) -> DebugController:
    """The Debug menu, shortcuts and docks of one main window; returns its controller."""
    controller = DebugController(window)
    menu = getattr(window, "debug_menu", None) or window.menuBar().addMenu("&Debug")  # before Help
    actions: dict[str, QAction] = {}

    def add(name: str, text: str, slot: Callable[[], None], shortcut: str | None) -> None:
        action = QAction(text, window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        actions[name] = action

    add("start", "Start debugging / &continue", controller.start_or_continue, "F5")
    menu.addAction(window.stop_action)  # Shift+F5, the Run menu's Stop: it stops a debug run too
    add("over", "Step &over", controller.step_over, "F10")
    add("into", "Step &into", controller.step_into, "F11")
    add("out", "Step o&ut", controller.step_out, "Shift+F11")
    add("cursor", "Run to &cursor", controller.run_to_cursor, "Ctrl+F10")
    menu.addSeparator()
    add("toggle", "Toggle &breakpoint", controller.toggle_breakpoint, "F9")
    add("condition", "Breakpoint co&ndition…", lambda: controller.edit_condition(), None)
    menu.addSeparator()
    for name, text in (("step_into_libraries", "Step into &libraries"),
                       ("break_on_callback_error", "Stop when an &error is passed to callback")):
        toggle = QAction(text, window)
        toggle.setCheckable(True)
        toggle.toggled.connect(lambda on, n=name: setattr(controller, n, on))
        menu.addAction(toggle)
        actions[name] = toggle
    window.stop_action.triggered.connect(controller.stop)  # Shift+F5 stops a debug run too
    controller.actions = actions

    docks = [("Call stack", CallStackPanel(controller)), ("Variables", VariablesPanel(controller)),
             ("Watches", WatchesPanel(controller)), ("Debug console", DebugConsole(controller))]
    for title, widget in docks:  # placed in tabs by window_layout.place_late
        dock = QDockWidget(title, window)
        dock.setObjectName(f"dock_{title.lower().replace(' ', '_')}")
        dock.setWidget(widget)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        window.docks[title] = dock
        dock.hide()
    controller.panels = {title: widget for title, widget in docks}
    toolbar.add_debugger(window, actions)
    stop_button = getattr(window.run_panel, "stop_button", None)
    if stop_button is not None:
        stop_button.clicked.connect(controller.stop)
    last_state = ["idle"]

    def state_changed(state: str) -> None:
        debugging = state != "idle"
        paused = state == "paused"
        for name in ("over", "into", "out", "cursor"):
            actions[name].setEnabled(paused)
        window.stop_action.setEnabled(debugging or window.controller.state == "running")
        window.run_action.setEnabled(not debugging and window.controller.state == "idle")
        run_button = getattr(window.run_panel, "run_button", None)
        if run_button is not None:  # one run at a time per container
            run_button.setEnabled(not debugging and window.controller.state == "idle")
        stop_button = getattr(window.run_panel, "stop_button", None)
        if stop_button is not None:  # the Run panel's Stop ends a paused session too
            stop_button.setEnabled(debugging or window.controller.state == "running")
        window.run_state_label.setText(f"debug: {state}" if debugging else str(window.controller.state))
        toolbar.debug_state_changed(window, state)
        if debugging and last_state[0] == "idle":  # a session starts: its panels come to the front
            window_layout.show_debug_panels(window)
        elif not debugging and last_state[0] != "idle" and "Run" in window.docks:
            window.docks["Run"].raise_()  # it ended: its result is in the Run panel
        last_state[0] = state

    controller.state_changed.connect(state_changed)
    controller.message.connect(lambda text: window.statusBar().showMessage(text, 8000))
    window.tabs.currentChanged.connect(lambda _i: controller.hook_editors())
    controller.hook_editors()
    state_changed("idle")
    return controller
