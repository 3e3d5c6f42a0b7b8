"""Reproducing a customer's error in the IDE: the trace viewer dock, Edit → Paste trace
(Ctrl+Shift+V), File → Open log file / Export reproduction bundle / Open reproduction bundle, the
restricted-mode banner with its Trust button, and the side-by-side Reproduce dock.

`install_reproduction(window)` is the one hook the main window calls; everything else lives here so
main_window.py stays small. Engine work (export, import, replay) runs off the GUI thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QWidget,
)

from app.engine import trust
from app.ui import deploy_actions, theme
from app.ui.panels.reproduce_panel import ReproducePanel
from app.ui.panels.trace_panel import TracePanel
from app.ui.workers import run_in_background

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

BANNER_STYLE = ("QFrame#restricted_banner {{ background:{banner_bg}; border-bottom: 2px solid {banner_border}; }}"
                "QFrame#restricted_banner QLabel {{ color:{banner_fg}; }}")  # app/ui/theme.py


class RestrictedBanner(QFrame):
    """Shown while the project is restricted: its scripts may be read but not run."""

    trusted = Signal()

    def __init__(self, project, parent: QWidget | None = None):
        super().__init__(parent)
        self.project = project
        self.setObjectName("restricted_banner")
        theme.styled(self, BANNER_STYLE)
        self.label = QLabel("<b>Restricted mode.</b> This project came from a reproduction bundle and holds "
                            "someone else's code: read its scripts first. Running, debugging, simulating "
                            "and rehearsing are off until you trust it.")
        self.label.setWordWrap(True)
        self.trust_button = QPushButton("Trust this project")
        self.trust_button.clicked.connect(self.trust)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.label, 1)
        row.addWidget(self.trust_button)
        self.refresh()

    def refresh(self) -> None:
        self.setVisible(trust.is_restricted(self.project))

    def trust(self) -> None:
        trust.trust(self.project)
        self.refresh()
        self.trusted.emit()


def _menu(window: MainWindow, title: str) -> QMenu | None:
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text() == title:
            return action.menu()
    return None


class Reproduction(QObject):
    """The window's reproduction features; `install_reproduction` builds one per window."""

    exported = Signal(str)  # bundle path
    export_failed = Signal(str)
    imported = Signal(object)  # the new MainWindow (or None when it could not open)
    import_failed = Signal(str)

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.project = window.project
        self.trace_panel = TracePanel(window.project)
        self.reproduce_panel = ReproducePanel()
        self.banner = RestrictedBanner(window.project)
        self.actions: dict[str, QAction] = {}

        self.trace_panel.open_location.connect(self.open_location)
        self.trace_panel.apply_suggestion.connect(self.apply_suggestion)
        self.trace_panel.diagnoses_view.reproduce_requested.connect(self.run_from_log)
        self.trace_panel.diagnoses_view.save_case_requested.connect(self.case_from_log)
        self.reproduce_panel.reproduce_requested.connect(self.reproduce)
        self.banner.trusted.connect(lambda: window.statusBar().showMessage("Project trusted: its scripts may run", 5000))
        self.banner.trusted.connect(self.update_title)
        window.controller.finished.connect(self.trace_panel.show_run_result)

    # -- building --------------------------------------------------------------------------------
    def install(self) -> None:
        w = self.window
        # Into the window's banner column: this runs after the first paint, and re-parenting the
        # central widget then would drop the editor's focus and repaint everything.
        w.banner_column.insertWidget(0, self.banner)
        self.banner.refresh()  # re-parenting hid it: shown again when the project is restricted

        self.update_title()
        panel = w.run_panel
        allowed = panel.before_run
        panel.before_run = lambda: self._may_run() and allowed()

        w._add_dock("Traces", self.trace_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        w._add_dock("Reproduce", self.reproduce_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        if "Findings" in w.docks:
            w.tabifyDockWidget(w.docks["Findings"], w.docks["Traces"])
        w.tabifyDockWidget(w.docks["Traces"], w.docks["Reproduce"])
        if not self.has_case():
            w.docks["Reproduce"].hide()
        else:
            self.load_case()

        def add(menu: QMenu | None, name: str, text: str, slot, shortcut: str | None = None,
                before: QAction | None = None) -> None:
            action = QAction(text, w)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            if menu is not None:
                menu.insertAction(before, action) if before is not None else menu.addAction(action)
            else:
                w.addAction(action)
            self.actions[name] = action

        file_menu = _menu(w, "&File")
        quit_action = file_menu.actions()[-1] if file_menu and file_menu.actions() else None
        add(file_menu, "open_log", "Open &log file…", self.trace_panel.open_dialog, before=quit_action)
        add(file_menu, "export_bundle", "&Export reproduction bundle…", self.export_dialog, before=quit_action)
        add(file_menu, "open_bundle", "Open reproduction &bundle…", self.open_bundle_dialog, before=quit_action)
        add(file_menu, "open_deploy", "Open &Deploy CLI export…", lambda: deploy_actions.open_export_dialog(w),
            before=quit_action)
        add(file_menu, "export_deploy", "Export for Deploy C&LI…", lambda: deploy_actions.export_dialog(w),
            before=quit_action)
        if file_menu is not None and quit_action is not None:
            file_menu.insertSeparator(quit_action)
        edit_menu = _menu(w, "&Edit")
        if edit_menu is not None:
            edit_menu.addSeparator()
        add(edit_menu, "paste_trace", "Paste &trace", self.paste_trace, "Ctrl+Shift+V")
        run_menu = _menu(w, "&Run")
        if run_menu is not None:
            run_menu.addSeparator()
        add(run_menu, "reproduce", "Re&produce customer error", self.reproduce)
        view_menu = _menu(w, "&View")
        if view_menu is not None:
            for title in ("Traces", "Reproduce"):
                view_menu.addAction(w.docks[title].toggleViewAction())

    # -- traces ----------------------------------------------------------------------------------
    def paste_trace(self) -> int:
        found = self.trace_panel.paste()
        self.window.docks["Traces"].show()
        self.window.docks["Traces"].raise_()
        return found

    def _fill_run_form(self, key: str, values: dict) -> None:
        panel = self.window.run_panel
        panel.select_script(key)
        panel.form().set_value(values)
        dock = self.window.docks.get("Run")
        if dock is not None:
            dock.show()
            dock.raise_()

    def run_from_log(self, key: str, values: dict) -> bool:
        """Run the script a hosted log message is about with the log's input, as a dry run."""
        self._fill_run_form(key, values)
        self.window.run_panel.set_commit(False)
        return self.window.run_panel.run()

    def case_from_log(self, key: str, values: dict) -> None:
        """Save the log's input as a case of that script (named by the user)."""
        self._fill_run_form(key, values)
        self.window.run_panel.save_current_as_case()

    def open_location(self, key: str, line: int) -> None:
        self.window.goto_finding(key, line)

    def apply_suggestion(self, key: str, language: str = "python") -> bool:
        """Rename the script's entry to its recommended name in the editor: one undo step. A trace
        of another language than the project's is refused, saying so (its names are not ours)."""
        from app.domain.rename import RenameError

        project_language = str(getattr(self.project.language, "name", "python")).lower()
        if language.lower() != project_language:
            names = {"python": "Python", "javascript": "JavaScript"}
            self.window.statusBar().showMessage(
                f"Not applied: this trace is {names.get(language.lower(), language)}; "
                f"the project is {names.get(project_language, project_language)}", 8000)
            return False
        doc = self.window.open_script(key)
        if doc is None:
            return False
        try:
            new_text = self.project.language.rename_entry(doc.editor.toPlainText(), key)
        except RenameError as e:
            self.window.statusBar().showMessage(f"Cannot rename the {key} entry: {e}", 8000)
            return False
        if new_text == doc.editor.toPlainText():  # nothing to do: say so rather than claim a rename
            self.window.statusBar().showMessage(f"Not applied: the {key} entry already has its recommended name", 8000)
            return False
        doc.editor.apply_source_edit(new_text)
        self.window.statusBar().showMessage(f"Renamed the {key} entry; save to keep it (Ctrl+Z undoes it)", 5000)
        return True

    # -- bundles ---------------------------------------------------------------------------------
    def export_dialog(self) -> None:
        from app.ui.dialogs.bundle import ExportBundleDialog

        doc = self.window.current_doc()
        dialog = ExportBundleDialog(self.project, self.trace_panel.last_text, doc.key if doc else None, self.window)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            values = dialog.values()
            self.export(values.pop("out"), **values)

    def export(self, out: str | Path, **options) -> None:
        """Write a bundle in the background; `exported(path)` or `export_failed(message)` follow."""
        from app.engine.bundles import export_bundle

        self.window.save_all()
        self.window.statusBar().showMessage("Exporting the reproduction bundle…")

        def done(summary) -> None:
            self.window.statusBar().showMessage(f"Wrote {summary.path}", 8000)
            self.exported.emit(str(summary.path))

        run_in_background(lambda: export_bundle(self.project, out, **options), done, self._export_failed)

    def _export_failed(self, message: str) -> None:
        message = message.removeprefix("BundleError: ")
        self.window.statusBar().showMessage(f"Export failed: {message}", 10000)
        self._tell("Export reproduction bundle", message)
        self.export_failed.emit(message)

    def open_bundle_dialog(self) -> None:
        """Pick a bundle; it unpacks into a new folder beside it (or one the user picks), which
        the app creates: no empty folder to make by hand."""
        from app.ui.application import choose_unpack_folder

        zip_path, _ = QFileDialog.getOpenFileName(self.window, "Open reproduction bundle", str(self.project.root.parent),
                                                  "Reproduction bundles (*.cdbbundle *.zip);;All files (*)")
        if not zip_path:
            return
        target = choose_unpack_folder(Path(zip_path))
        if target is not None:
            self.open_bundle(zip_path, target)

    def open_bundle(self, zip_path: str | Path, target: str | Path) -> None:
        """Unpack in the background, then open the new (restricted) project in a new window of
        its own; this window stays as it is."""
        from app.engine.bundles import import_bundle

        def done(project) -> None:
            from app.ui.main_window import MainWindow

            window = MainWindow(project)
            window.reproduction.update_title()  # "[Restricted]" and the folder from the start
            window.show()
            self.window.project_opened.emit(window)
            self.imported.emit(window)

        def failed(message: str) -> None:
            message = message.removeprefix("BundleError: ")
            self._tell("Open reproduction bundle", message)
            self.import_failed.emit(message)

        run_in_background(lambda: import_bundle(zip_path, target), done, failed)

    def update_title(self) -> None:
        """A restricted project says so in the title, with its folder: it must never look like
        one of the user's own projects."""
        if trust.is_restricted(self.project):
            self.window.setWindowTitle(f"Custom DB Studio — {self.project.name} [Restricted] — "
                                       f"{self.project.root}[*]")
        else:
            self.window.setWindowTitle(f"Custom DB Studio — {self.project.name}[*]")

    def _may_run(self) -> bool:
        """Run in a restricted project: point at the banner's Trust button, not at the terminal."""
        if not trust.is_restricted(self.project):
            return True
        panel = self.window.run_panel
        panel.badge.setText("not run")
        panel.error_label.setText("Restricted mode: this project's scripts do not run until you trust it. "
                                  "Read them, then press “Trust this project” in the banner above.")
        self.banner.show()
        self.banner.trust_button.setFocus()
        self.window.statusBar().showMessage("Restricted mode: use “Trust this project” in the banner to run", 8000)
        return False

    def load_case(self) -> None:
        """What the bundle carries, ready to use: its trace in Traces and its input in the Run
        form, also offered in the Case list as `repro: <who>`."""
        from app.engine.bundles import BundleError, read_repro

        try:
            script, repro_input, trace_text = read_repro(self.project)
        except BundleError as e:
            self.window.statusBar().showMessage(str(e), 8000)
            return
        if trace_text:
            self.trace_panel.show_text(trace_text, "the bundle's trace (repro/trace.txt)")
        panel = self.window.run_panel
        if script in self.project.script_keys():
            self.window.open_script(script)
            panel.select_script(script)
            if repro_input:
                who = next((str(v) for k, v in repro_input.items() if k in ("email", "user_id") and v), script)
                panel.add_offered_case(f"repro: {who}", {"script": script, "input": dict(repro_input)})
                panel.form(script).set_value(repro_input)

    def has_case(self) -> bool:
        """True when the project carries a reproduction case (`repro/repro.json`, from a bundle)."""
        return (self.project.root / "repro" / "repro.json").is_file()

    def layout_restored(self) -> None:
        """A restored layout (the user's, or the default one) may hide Reproduce; a project with a
        case shows it anyway, since the case is why the bundle was opened."""
        if self.has_case():
            self.window.docks["Reproduce"].show()

    # -- replay ----------------------------------------------------------------------------------
    def reproduce(self) -> None:
        from app.engine.replay import reproduce

        dock = self.window.docks["Reproduce"]
        dock.show()
        dock.raise_()
        if trust.is_restricted(self.project):
            self.reproduce_panel.show_error("Restricted mode: trust the project first (banner above).")
            return
        self.window.save_all()
        self.reproduce_panel.set_busy(True)
        run_in_background(lambda: reproduce(self.project).to_dict(), self.reproduce_panel.show_comparison,
                          self.reproduce_panel.show_error)

    def _tell(self, title: str, message: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self.window)
        box.open()  # not exec(): never a nested event loop


def install_reproduction(window: MainWindow) -> Reproduction:
    """Add the trace viewer, bundles, restricted-mode banner and Reproduce to one main window."""
    reproduction = Reproduction(window)
    reproduction.install()
    return reproduction
