"""The main window: project tree, one editor tab per script, dock panels, menus and status bar.

It wires views to engine objects and keeps no domain logic of its own. Heavy modules (jedi,
SQLAlchemy, the runner) are never imported here: they load on worker threads when first needed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

# Not `Qt`: its first use builds ~100 enums (~10 ms); it is imported where used, after the first paint.
from PySide6.QtCore import QEvent, QFileSystemWatcher, QObject, QSettings, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.findings import Finding
from app.domain.project import Project, ProjectError, load_project
from app.ui import recovery, theme, toolbar, view_menu, window_layout
from app.ui.documents import ScriptDocument
from app.ui.panels.findings_panel import FindingsPanel
from app.ui.panels.output_panel import OutputPanel
from app.ui.panels.schema_panel import SchemaPanel
from app.ui.panels.sql_panel import SqlPanel
from app.ui.project_tree import ProjectTree
from app.ui.run_controller import RunController, create_runner
from app.ui.urls import display_url, needs_password
from app.ui.workers import relay, run_in_background

if TYPE_CHECKING:
    from PySide6.QtCore import Qt

    from app.ui.panels.run_panel import RunPanel

MAX_RECENT = 8
BANNER_STYLE = "background:{banner_bg}; color:{banner_fg}; border-bottom:1px solid {banner_border}; padding:6px;"


def _keychain_problem() -> str | None:
    from app.engine.secrets import keychain_problem

    return keychain_problem()
LOUD = "color:{badge_text}; background:{badge_error}; font-weight: bold; padding: 0 6px;"


def add_recent(folder: Path) -> None:
    settings = QSettings()
    recent = [str(Path(folder).resolve())]
    recent += [p for p in (settings.value("recent", []) or []) if p != recent[0]]
    settings.setValue("recent", recent[:MAX_RECENT])


def recent_projects() -> list[str]:
    value = QSettings().value("recent", []) or []
    return [value] if isinstance(value, str) else list(value)


class _FirstPaintHook(QObject):
    """Runs each `(delay_ms, fn)` once, that long after the watched widget's first paint. Start-up
    work on threads (runner warm-up, lint of every script) competes for the GIL, and docks that are
    not on screen cost time, so they wait for the window."""

    def __init__(self, parent: QObject, *steps: tuple[int, object]):
        super().__init__(parent)
        self._steps = steps

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint and self._steps:
            steps, self._steps = self._steps, ()
            obj.removeEventFilter(self)
            for delay, fn in steps:
                QTimer.singleShot(delay, self.parent(), fn)
        return False


class _Docks(dict):
    """The window's docks by title. Asking for one that is built after the first paint (Flow,
    Traces, the debugger's) builds those first, so callers never see them missing."""

    def __init__(self, window: MainWindow):
        super().__init__()
        self._window = window

    def __missing__(self, title: str) -> QDockWidget:
        if self._window._deferred is None:
            self._window.install_deferred()
            if title in self:
                return self[title]
        raise KeyError(title)


class MainWindow(QMainWindow):
    open_windows: list[MainWindow] = []  # every window this process shows (File > Open adds one)
    project_opened = Signal(object)  # the new MainWindow, when File > Open/New succeeds
    first_painted = Signal()  # once, right after the first paint (the late panels exist by then)

    def __init__(self, project: Project, runner_factory=None):
        super().__init__()
        relay()  # the cross-thread relay must live on the GUI thread
        self.project = project
        self.docs: dict[str, ScriptDocument] = {}
        self._runtime_findings: dict[str, list[Finding]] = {}
        self._static_findings: dict[str, list[Finding]] = {}
        self._deferred: dict[str, object] | None = None  # install_deferred(): after the first paint
        self._saved_state = None  # the dock layout read at start-up, applied again to the late docks
        self.setWindowTitle(f"Custom DB Studio — {project.name}[*]")
        self.setObjectName("MainWindow")
        self.setDockNestingEnabled(True)

        self.controller = RunController(project, runner_factory or create_runner, parent=self)
        self.tree = ProjectTree(project)
        self.tree.open_requested.connect(self.open_script)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.tabs.currentChanged.connect(self._tab_changed)
        splitter = QSplitter()
        splitter.addWidget(self.tree)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([min(290, max(170, self.tree.needed_width())), 960])  # script names uncut
        self.splitter = splitter
        self.keychain_banner = QLabel()
        self.keychain_banner.setObjectName("keychainBanner")
        self.keychain_banner.setWordWrap(True)
        theme.styled(self.keychain_banner, BANNER_STYLE)
        self.keychain_banner.hide()
        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(self.keychain_banner)
        central_layout.addWidget(splitter, 1)
        self.banner_column = central_layout  # banners go above the editors (reproduction adds one)
        self.setCentralWidget(central)

        self._run_panel: RunPanel | None = None  # built right after the first paint (or on first use)
        self.output_panel = OutputPanel()
        self.sql_panel = SqlPanel()
        self.findings_panel = FindingsPanel(order=self.project.platform.order)
        self.schema_panel = SchemaPanel(self.database_url)
        self.docks: dict[str, QDockWidget] = _Docks(self)
        for title, widget in (("Run", QWidget()), ("Output", self.output_panel), ("SQL", self.sql_panel),
                              ("Findings", self.findings_panel), ("Schema", self.schema_panel)):
            self._new_dock(title, widget)  # placed by _restore_layout (app/ui/window_layout.py)
        self.docks["Schema"].visibilityChanged.connect(self._schema_visible)

        self.findings_panel.activated.connect(self.goto_finding)
        self.findings_panel.fix_requested.connect(self.quick_fix_finding)
        self.schema_panel.insert_requested.connect(self.insert_in_editor)
        self.controller.started.connect(self._run_started)
        self.controller.event.connect(self._run_event)
        self.controller.finished.connect(self._run_finished)
        self.controller.failed.connect(self._run_failed)
        self.controller.state_changed.connect(self._run_state_changed)
        self.controller.container_changed.connect(self._container_changed)

        self._build_status_bar()
        self._build_menus()

        self.watcher = QFileSystemWatcher(self)
        self.watcher.fileChanged.connect(self._file_changed)
        self._asking_about: set[str] = set()
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(recovery.AUTOSAVE_INTERVAL_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()

        window_layout.fit_to_screen(self)  # a 1366×768 laptop: not taller than the screen
        self._restore_layout()
        first = "login" if "login" in project.script_keys() else next(iter(project.script_keys()), None)
        if first:
            self.open_script(first)
        MainWindow.open_windows.append(self)
        self._first_paint = _FirstPaintHook(self, (0, self._right_after_first_paint), (50, self._after_first_paint))
        (self.current_doc().editor.viewport() if self.current_doc() else self).installEventFilter(self._first_paint)

    # -- panels built after the first paint -----------------------------------------------------
    def install_deferred(self) -> None:
        """Build what is not on screen at start-up: the Debug menu and the debugger's docks, the Flow
        dock, the traces/Reproduce docks with bundles and the restricted-mode banner. Runs right
        after the first paint, or earlier when something asks for them (`debugger`, `flows`,
        `reproduction`, `docks[title]`); their modules are imported only here."""
        if self._deferred is not None:
            return
        self._deferred = {}
        before = set(self.docks)
        from PySide6.QtCore import Qt

        from app.ui.debug_controller import install_debugger
        from app.ui.panels.flow_panel import install_flow_tools
        from app.ui.reproduction import install_reproduction

        self._deferred["debugger"] = install_debugger(self)  # Debug menu, F5/F9/F10/F11, debugger docks
        self._deferred["flows"] = install_flow_tools(self)  # Flow dock, Run → Rehearse migration…
        self._deferred["reproduction"] = install_reproduction(self)  # traces, bundles, banner, Reproduce
        for title, dock in self.docks.items():  # docks added to a shown window show one turn later: now
            if title not in before and not dock.testAttribute(Qt.WidgetAttribute.WA_WState_ExplicitShowHide):
                dock.show()
        window_layout.place_late(self)  # the late docks into their tab groups
        window_layout.give_room(self)  # Flow, Traces, SQL: taller while in front
        view_menu.fill(self)  # every panel, the debugger's too
        if self._saved_state is not None:  # again, now that every dock exists: the late ones go back too
            self.restoreState(self._saved_state, window_layout.LAYOUT_VERSION)
            self._deferred["reproduction"].layout_restored()
        else:  # docks placed by hand: the late docks' size hints must not push the editor into a strip
            QTimer.singleShot(0, self, lambda: window_layout.default_sizes(self))

    @property
    def panels_installed(self) -> bool:
        """True once `install_deferred` has run (the Debug menu's shortcuts work from then on)."""
        return self._deferred is not None

    @property
    def debugger(self):
        """The window's `DebugController` (built on first use if the first paint has not come yet)."""
        self.install_deferred()
        return self._deferred.get("debugger")

    @property
    def flows(self):
        """The window's `FlowPanel`."""
        self.install_deferred()
        return self._deferred.get("flows")

    @property
    def reproduction(self):
        """The window's `Reproduction` (trace viewer, bundles, restricted-mode banner, Reproduce)."""
        self.install_deferred()
        return self._deferred.get("reproduction")

    @property
    def run_panel(self) -> RunPanel:
        """The Run dock's form and result view. Built right after the first paint (the window shows
        the editor ~10 ms sooner without it), or earlier on first use."""
        if self._run_panel is None:
            from app.ui.panels.run_panel import RunPanel  # its form module too: not before the paint

            panel = self._run_panel = RunPanel(self.project, self.controller)
            panel.source_for = lambda key: self.docs[key].text() if key in self.docs else None
            panel.before_run = self._before_run
            panel.commit_box.toggled.connect(self._commit_changed)
            panel.case_saved.connect(lambda text: self.statusBar().showMessage(text, 8000))
            doc = self.current_doc()
            if doc is not None:
                panel.select_script(doc.key)
            self.docks["Run"].setWidget(panel)
        return self._run_panel

    # -- construction helpers ------------------------------------------------------------------
    def _new_dock(self, title: str, widget: QWidget) -> QDockWidget:
        """A dock in `docks`, not yet placed (a restored layout or `_add_dock` places it)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower()}")  # how a saved layout names it
        dock.setWidget(widget)
        self.docks[title] = dock
        return dock

    def _add_dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> None:
        self.addDockWidget(area, self._new_dock(title, widget))

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.db_label = QLabel(f"database: {display_url(self.project.database_url)}")
        self.mode_label = QLabel(f"mode: {self.project.mode}")
        self.writes_label = QLabel()
        self.container_label = QLabel("container: not started")
        self.run_state_label = QLabel("run: idle")
        for w in (self.db_label, self.mode_label, self.writes_label, self.container_label, self.run_state_label):
            bar.addPermanentWidget(w)
        self._commit_changed(False)

    def _action(self, menu, text: str, slot, shortcut=None, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            keys = [k for s in (shortcut if isinstance(shortcut, list) else [shortcut])
                    for k in (QKeySequence.keyBindings(s) if isinstance(s, QKeySequence.StandardKey)
                              else [QKeySequence(s)])]
            # setShortcuts() would build the `Qt` namespace before the first paint (~10 ms): the
            # first binding goes in as the `shortcut` property now, the platform's others right after
            if keys:
                action.setProperty("shortcut", keys[0])
            if len(keys) > 1:
                self._more_shortcuts.append((action, keys))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        self._more_shortcuts: list[tuple[QAction, list[QKeySequence]]] = []  # set after the first paint
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "&New project…", self.new_project, QKeySequence.StandardKey.New)
        self._action(file, "&Open project…", self.open_project_dialog, QKeySequence.StandardKey.Open)
        samples = file.addMenu("New &sample project")
        self._action(samples, "&Python", lambda: self.open_sample("python"))
        self._action(samples, "&JavaScript", lambda: self.open_sample("javascript"))
        self.recent_menu = file.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file.addSeparator()
        self.save_action = self._action(file, "&Save", self.save_current, QKeySequence.StandardKey.Save)
        self._action(file, "Save &all", self.save_all, "Ctrl+Shift+S")
        self._action(file, "&Close tab", self.close_current_tab, ["Ctrl+W", "Ctrl+F4"])
        self._action(file, "&Go to script…", self.go_to_script, "Ctrl+P")
        file.addSeparator()
        self._action(file, "Database &connection…", self.edit_connection)
        self._action(file, "Con&figuration && secrets…", self.edit_configuration)
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        edit = bar.addMenu("&Edit")
        self._action(edit, "&Undo", lambda: self._editor_call("undo"), QKeySequence.StandardKey.Undo)
        self._action(edit, "&Redo", lambda: self._editor_call("redo"), QKeySequence.StandardKey.Redo)
        edit.addSeparator()
        self._action(edit, "&Find…", lambda: self._editor_call("show_find"), "Ctrl+F")
        self._action(edit, "R&eplace…", lambda: self._editor_call("show_replace"), "Ctrl+H")
        self._action(edit, "&Go to line…", lambda: self._editor_call("goto_line"), "Ctrl+G")
        self._action(edit, "Toggle &comment", lambda: self._editor_call("toggle_comment"), "Ctrl+/")
        self._action(edit, "&Quick fix", lambda: self._editor_call("quick_fix"), "Ctrl+.")

        run = bar.addMenu("&Run")
        self.run_action = self._action(run, "&Run script", lambda: self.run_panel.run(), "Ctrl+F5")  # F5: Debug menu
        self.stop_action = self._action(run, "&Stop", self.controller.stop, "Shift+F5")
        self.stop_action.setEnabled(False)
        self.recycle_action = self._action(run, "Re&cycle container", self.controller.recycle)
        run.addSeparator()
        self.commit_action = self._action(run, "Commit &writes", lambda on: self.run_panel.set_commit(on),
                                          checkable=True)
        run.addSeparator()
        self.cases_action = self._action(run, "Run &all cases", lambda: self.run_panel.run_all_cases())

        self.view = bar.addMenu("&View")
        view_menu.build(self)  # panels, Reset layout, Theme, Zoom
        self.debug_menu = bar.addMenu("&Debug")  # filled with the debugger, right after the first paint
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About Custom DB Studio", self.about)
        toolbar.build(self)  # Run / Debug / Stop (and stepping while debugging)

    # -- settings ------------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        splitter = settings.value("window/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        self._saved_state = window_layout.restore(self, settings.value("window/state"))
        if self._saved_state is None:  # placed by hand: sizes only apply once shown
            QTimer.singleShot(0, self, lambda: window_layout.default_sizes(self))

    def save_layout(self) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState(window_layout.LAYOUT_VERSION))
        settings.setValue("window/splitter", self.splitter.saveState())
        settings.sync()

    # -- start-up work that must not delay the first paint --------------------------------------
    def _right_after_first_paint(self) -> None:
        for action, keys in self._more_shortcuts:
            action.setShortcuts(keys)
        _ = self.run_panel
        self.install_deferred()
        add_recent(self.project.root)  # a settings file write
        self.first_painted.emit()

    def _after_first_paint(self) -> None:
        self.controller.warm_up()
        self._lint_all_scripts()
        if self.project.secret_keys() or needs_password(self.project.database_url):
            run_in_background(_keychain_problem, self._show_keychain_banner)

    def _show_keychain_banner(self, problem: str | None) -> None:
        """Without a usable keychain, say so once, where the user looks (not only in a dialog)."""
        self.keychain_banner.setText(f"No keychain: {problem}." if problem else "")
        self.keychain_banner.setVisible(bool(problem))

    def _lint_all_scripts(self) -> None:
        """Findings counts for every script, open or not (and required scripts that are missing)."""
        project = self.project

        def work() -> dict[str, list[Finding]]:
            from app.domain.lint import lint_project

            found: dict[str, list[Finding]] = {key: [] for key in project.platform.kinds}
            for f in lint_project(project):
                found.setdefault(f.script or "", []).append(f)
            return found

        run_in_background(work, self._initial_findings)

    def _initial_findings(self, found: dict[str, list[Finding]]) -> None:
        for key, findings in found.items():
            if key in self.project.platform.kinds and key not in self.docs:  # an open editor reports its own, newer ones
                self._set_static_findings(key, findings)

    # -- scripts and tabs ----------------------------------------------------------------------
    def open_script(self, key: str) -> ScriptDocument | None:
        """Open (or focus) the editor tab of a script; creates an empty file for a missing one."""
        if key not in self.project.platform.kinds:
            return None
        doc = self.docs.get(key)
        if doc is None:
            doc = ScriptDocument(self.project, key, self)
            doc.findings_changed.connect(self._set_static_findings)
            doc.modified_changed.connect(self._modified_changed)
            self.docs[key] = doc
            view_menu.apply_zoom(self, doc.editor)
            self.tabs.addTab(doc.editor, self.project.script_file_name(key))
            if doc.path.exists():
                self.watcher.addPath(str(doc.path))
        self.tabs.setCurrentWidget(doc.editor)
        doc.editor.setFocus()
        return doc

    def current_doc(self) -> ScriptDocument | None:
        widget = self.tabs.currentWidget()
        return next((d for d in self.docs.values() if d.editor is widget), None)

    def _tab_changed(self, _index: int) -> None:
        doc = self.current_doc()
        if doc is not None and self._run_panel is not None:  # a new panel starts on the current script
            self._run_panel.select_script(doc.key)

    def close_tab(self, index: int) -> bool:
        widget = self.tabs.widget(index)
        doc = next((d for d in self.docs.values() if d.editor is widget), None)
        if doc is None:
            return False
        if doc.modified:
            answer = QMessageBox.question(
                self, "Unsaved changes", f"Save the changes to {self.project.script_file_name(doc.key)} before closing it?",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
            if answer == QMessageBox.StandardButton.Cancel:
                return False
            if answer == QMessageBox.StandardButton.Save:
                self.save_doc(doc)
        recovery.discard(self.project.root, doc.key)
        self.watcher.removePath(str(doc.path))
        self.tabs.removeTab(index)
        del self.docs[doc.key]
        doc.close()
        self._modified_changed(doc.key, False)
        return True

    def close_current_tab(self) -> bool:
        """File → Close tab (Ctrl+W): closes the current editor tab, asking about unsaved changes."""
        index = self.tabs.currentIndex()
        return index >= 0 and self.close_tab(index)

    def go_to_script(self) -> None:
        """File → Go to script… (Ctrl+P): a quick picker over the project's scripts."""
        from app.ui.quick_open import QuickOpen

        QuickOpen(self).popup()

    def _editor_call(self, name: str) -> None:
        doc = self.current_doc()
        if doc is None:
            return
        fn = getattr(doc.editor, name, None)
        if callable(fn):
            fn()
        else:
            self.statusBar().showMessage(f"{name.replace('_', ' ')} is not available in this editor", 3000)

    def insert_in_editor(self, text: str) -> None:
        doc = self.current_doc()
        if doc is not None:
            doc.editor.insertPlainText(text)
            doc.editor.setFocus()

    def goto_finding(self, key: str, line: int) -> None:
        doc = self.open_script(key)
        if doc is not None and line:
            doc.editor.goto_line(line)

    def quick_fix_finding(self, key: str, line: int) -> None:
        """The Findings panel's quick fix: apply it in the script's editor."""
        doc = self.open_script(key)
        if doc is not None:
            doc.editor.quick_fix_at(line or 1)

    # -- findings ------------------------------------------------------------------------------
    def _set_static_findings(self, key: str, findings: list[Finding]) -> None:
        self._static_findings[key] = list(findings)
        self.findings_panel.set_static(key, findings)
        self.tree.set_findings(key, self._static_findings[key] + self._runtime_findings.get(key, []))

    def _set_runtime_findings(self, key: str, findings: list[Finding]) -> None:
        self._runtime_findings[key] = list(findings)
        self.findings_panel.set_runtime(key, findings)
        self.tree.set_findings(key, self._static_findings.get(key, []) + self._runtime_findings[key])

    # -- saving --------------------------------------------------------------------------------
    def save_doc(self, doc: ScriptDocument) -> bool:
        try:
            doc.save()
        except OSError as e:
            QMessageBox.critical(self, "Cannot save", f"{doc.path}: {e.strerror or e}")
            return False
        recovery.discard(self.project.root, doc.key)
        self.statusBar().showMessage(f"Saved {doc.path.name}", 3000)
        return True

    def save_current(self) -> None:
        doc = self.current_doc()
        if doc is not None:
            self.save_doc(doc)

    def save_all(self) -> bool:
        return all(self.save_doc(doc) for doc in list(self.docs.values()) if doc.modified)

    def _modified_changed(self, key: str, modified: bool) -> None:
        doc = self.docs.get(key)
        if doc is not None:
            index = self.tabs.indexOf(doc.editor)
            self.tabs.setTabText(index, self.project.script_file_name(key) + (" •" if modified else ""))
        self.setWindowModified(any(d.modified for d in self.docs.values()))

    def autosave(self) -> None:
        """Keep every unsaved buffer in the data folder, so a crash of the IDE loses nothing."""
        for doc in self.docs.values():
            if doc.modified:
                recovery.store(self.project.root, doc.key, doc.text())
            else:
                recovery.discard(self.project.root, doc.key)

    def offer_recovery(self) -> int:
        """Offer each autosaved buffer left by a crash; returns how many were recovered."""
        recovered = 0
        for buffer in recovery.pending(self.project.root, self.project.language.suffix):
            if buffer.script not in self.project.platform.kinds:
                continue
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(buffer.saved_at))
            answer = QMessageBox.question(
                self, "Recover unsaved changes",
                f"{self.project.script_file_name(buffer.script)} has unsaved changes from {when} that were not saved before the IDE "
                "closed unexpectedly. Recover them?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Discard,
                QMessageBox.StandardButton.Yes)
            if answer == QMessageBox.StandardButton.Yes:
                doc = self.open_script(buffer.script)
                self.debugger.hook_editors()  # breakpoints on the saved text first: they follow the recovered edits
                doc.recover_text(buffer.text)
                recovered += 1
            else:
                recovery.discard(self.project.root, buffer.script)
        return recovered

    # -- files changed on disk -------------------------------------------------------------------
    def _file_changed(self, path: str) -> None:
        # An atomic replace removes the watched inode: look again once the writer is done.
        QTimer.singleShot(150, self, lambda: self._check_disk(path))

    def _check_disk(self, path: str) -> None:
        doc = next((d for d in self.docs.values() if str(d.path) == path), None)
        if doc is None or path in self._asking_about:
            return
        if Path(path).exists() and path not in self.watcher.files():
            self.watcher.addPath(path)
        if not doc.disk_differs():
            return  # our own save, or a touch
        if not doc.modified:
            doc.load_from_disk()
            self.statusBar().showMessage(f"{doc.path.name} changed on disk and was reloaded", 5000)
            return
        self._asking_about.add(path)
        try:
            answer = QMessageBox.question(
                self, "File changed on disk",
                f"{doc.path.name} was changed by another program, and you have unsaved changes.\n"
                "Reload it from disk (your changes are lost) or keep your version?",
                QMessageBox.StandardButton.Reset | QMessageBox.StandardButton.Ignore,
                QMessageBox.StandardButton.Ignore)
        finally:
            self._asking_about.discard(path)
        if answer == QMessageBox.StandardButton.Reset:
            doc.load_from_disk()

    # -- running -------------------------------------------------------------------------------
    def _commit_changed(self, on: bool) -> None:
        if hasattr(self, "commit_action") and self.commit_action.isChecked() != on:
            self.commit_action.setChecked(on)
        self.writes_label.setText("WRITES COMMITTED" if on else "dry run")
        theme.styled(self.writes_label, LOUD if on else "")
        self.writes_label.setToolTip("Runs commit their writes to the legacy database" if on
                                     else "Every run is rolled back")

    def _run_failed(self, message: str) -> None:
        self.output_panel.note(f"run failed: {message}")

    def _container_changed(self, state: str) -> None:
        self.container_label.setText(f"container: {state}")

    def _run_state_changed(self, state: str) -> None:
        idle = state == "idle"
        self.run_state_label.setText(f"run: {state}")
        self.run_action.setEnabled(idle)
        self.cases_action.setEnabled(idle)
        self.recycle_action.setEnabled(idle)
        self.stop_action.setEnabled(state == "running")

    def _before_run(self) -> bool:
        """Secrets the run needs but nobody stored (those the scripts read, the database password)
        are asked now (once per session without a keychain)."""
        from app.ui.dialogs.secrets_prompt import ask_missing_secrets

        return ask_missing_secrets(self.project, self)

    def _run_started(self, key: str, _input: dict) -> None:
        self.sql_panel.clear()
        self.output_panel.begin_run(f"{self.project.platform.kind(key).title} — {time.strftime('%H:%M:%S')}")
        self.docks["Output"].raise_()

    def _run_event(self, event: object) -> None:
        kind = event.get("type") or event.get("kind") or event.get("event") if isinstance(event, dict) else "log"
        if kind == "sql":
            self.sql_panel.add(event.get("entry", event))
        elif kind == "log":
            self.output_panel.append(event.get("entry", event) if isinstance(event, dict) else event)

    def _run_finished(self, result: dict) -> None:
        if self.output_panel.lines_this_run == 0:
            for line in result.get("logs") or []:
                self.output_panel.append(line)
        if self.sql_panel.table.rowCount() == 0:
            for entry in result.get("sql") or []:
                self.sql_panel.add(entry)
        key = result.get("script") or self.run_panel.script
        findings = [f if isinstance(f, Finding) else Finding.from_dict(f) for f in result.get("findings") or []]
        self._set_runtime_findings(key, [f for f in findings if f.script in (None, key)])
        from app.ui.panels.run_panel import is_user_stop

        outcome = "stopped" if is_user_stop(result) else result.get("outcome")
        self.output_panel.note(f"── {outcome} in {float(result.get('duration_ms') or 0):.0f} ms ──")

    # -- database ------------------------------------------------------------------------------
    def database_url(self) -> str:
        """The URL the IDE connects with (password from the keychain, never shown)."""
        from app.engine.database import database_url

        return database_url(self.project)

    def _schema_visible(self, visible: bool) -> None:
        if visible and self.schema_panel.tree.topLevelItemCount() == 0 and not self.schema_panel.loading:
            self.schema_panel.reload()

    # -- dialogs -------------------------------------------------------------------------------
    def edit_connection(self) -> None:
        from app.ui.dialogs.connection import ConnectionDialog

        dialog = ConnectionDialog(self.project, self, unsaved={k: d.text() for k, d in self.docs.items() if d.modified})
        if dialog.exec():
            for key in dialog.replaced_scripts:  # the new dialect's template, one undo step in its editor
                if key in self.docs:
                    self.docs[key].replace_with_saved_text()
            self.db_label.setText(f"database: {display_url(self.project.database_url)}")
            self.schema_panel.tree.clear()
            if self.docks["Schema"].isVisible():
                self.schema_panel.reload()

    def edit_configuration(self) -> None:
        from app.ui.dialogs.configuration import ConfigurationDialog

        ConfigurationDialog(self.project, self).exec()

    def new_project(self) -> None:
        from app.ui.dialogs.new_project import NewProjectDialog

        dialog = NewProjectDialog(self)
        if dialog.exec() and dialog.created is not None:
            self.open_project_folder(dialog.created)

    def open_sample(self, language: str) -> None:
        """Open the sample project (Acme Corp's users) in this language, made on first use; the
        JavaScript one runs on the embedded sample database."""
        from app.engine.sample import ensure_sample_project

        try:
            folder = ensure_sample_project(language)
        except Exception as e:  # noqa: BLE001 - a disk or template problem: say it, keep this window
            QMessageBox.critical(self, "Cannot create the sample project", str(e))
            return
        self.open_project_folder(folder)

    def open_project_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a connection project", str(self.project.root.parent))
        if folder:
            self.open_project_folder(Path(folder))

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in recent_projects():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.open_project_folder(Path(p)))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none)").setEnabled(False)

    def open_project_folder(self, folder: Path) -> MainWindow | None:
        """Open another project in a new window; a project that fails to load opens nothing."""
        try:
            project = load_project(folder)
        except ProjectError as e:
            QMessageBox.critical(self, "Cannot open the project", str(e))
            return None
        if project.root.resolve() == self.project.root.resolve():
            return self
        window = MainWindow(project)
        window.show()
        window.offer_recovery()
        self.project_opened.emit(window)
        self.close()
        return window

    def about(self) -> None:
        from app import __version__

        QMessageBox.about(self, "About Custom DB Studio",
                          f"<b>Custom DB Studio</b> {__version__}<br>Edit, run and debug the action scripts "
                          "of custom database connections locally, with the hosted platform's rules enforced.")

    # -- closing -------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        unsaved = [d for d in self.docs.values() if d.modified]
        if unsaved:
            names = ", ".join(self.project.script_file_name(d.key) for d in unsaved)
            answer = QMessageBox.question(
                self, "Unsaved changes", f"Save the changes to {names} before closing?",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
            if answer == QMessageBox.StandardButton.Cancel or (
                    answer == QMessageBox.StandardButton.Save and not self.save_all()):
                event.ignore()
                return
        for doc in self.docs.values():
            recovery.discard(self.project.root, doc.key)
        self.autosave_timer.stop()
        self.save_layout()
        self.controller.shutdown()
        self._stop_sample_database()
        if self in MainWindow.open_windows:
            MainWindow.open_windows.remove(self)
        event.accept()

    def _stop_sample_database(self) -> None:
        """The project's embedded sample database stops with its window (off the GUI thread: it
        flushes its data first)."""
        from app.engine import sampledb

        if sampledb.is_embedded(self.project):
            import threading

            threading.Thread(target=sampledb.stop, args=(self.project,), name="customdb-sampledb-stop").start()
