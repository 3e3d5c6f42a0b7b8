"""GUI entry: `customdb-studio [DIR | BUNDLE]`. With no argument it opens the bundled sample project;
a reproduction bundle (`.cdbbundle` or `.zip`) is unpacked into a folder the user confirms and
opened restricted.

Hidden switches for tooling (environment variables, so they never clash with a folder name):
`CUSTOMDB_EXIT_AFTER_PAINT=1` prints `painted <epoch>` at the first paint and quits (start-up
benchmark); `CUSTOMDB_SCREENSHOT=PNG` (+ `CUSTOMDB_SCREENSHOT_INPUT=JSON`) runs Login, grabs the
window when the result is shown and quits (README screenshot; `CUSTOMDB_SCREENSHOT_BREAKPOINT=N`
debugs to line N instead); `CUSTOMDB_REPORT_RSS=1` prints the idle RSS once the background warm-up
is done and quits (memory benchmark); `CUSTOMDB_THEME=light|dark` overrides View → Theme for the
session (app/ui/theme.py).
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

# Before PySide6: it then checks this module along with those already loaded, not on its own.
from app.ui import pyside_hook

ORGANIZATION = "CustomDBStudio"
APPLICATION = "Custom DB Studio"
BUNDLE_SUFFIXES = (".cdbbundle", ".zip")  # reproduction bundles (packaging/build_info.py BUNDLE_EXTENSION)


def _project_folder(argv: list[str]) -> Path:
    folders = [a for a in argv if not a.startswith("-")]
    if folders:
        return Path(folders[0])
    from app.engine.userdata import user_data_dir

    sample = user_data_dir() / "sample"
    if (sample / "customdb.toml").is_file() and (sample / "legacy.db").is_file():
        return sample  # the common case; skips importing the generator (bcrypt, templates)
    from app.engine.sample import ensure_sample_project

    return ensure_sample_project()


def bundle_argument(argv: list[str]) -> Path | None:
    """The reproduction bundle given on the command line (the installers' file association passes
    a `.cdbbundle`, or a `.zip` through "Open with"), or None when the argument is a folder."""
    args = [a for a in argv if not a.startswith("-")]
    if args and Path(args[0]).suffix.lower() in BUNDLE_SUFFIXES and Path(args[0]).is_file():
        return Path(args[0])
    return None


def default_unpack_folder(bundle: Path) -> Path:
    """A new folder beside the bundle, named after it: `acme.cdbbundle` → `acme/` (`acme-2/`… if taken)."""
    base = bundle.with_suffix("")
    candidate, n = base, 2
    while candidate.exists():
        candidate, n = base.with_name(f"{base.name}-{n}"), n + 1
    return candidate


def choose_unpack_folder(bundle: Path) -> Path | None:
    """Ask where to unpack the bundle: the default sibling folder, or one the user picks (a non-empty
    pick gets a new subfolder). None when the user cancels."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    default = default_unpack_folder(bundle)
    box = QMessageBox(QMessageBox.Icon.Question, APPLICATION,
                      f"Unpack the reproduction bundle {bundle.name} into a new folder?\n\n{default}\n\n"
                      "It opens in restricted mode: read its scripts before you trust it.")
    here = box.addButton("Unpack here", QMessageBox.ButtonRole.AcceptRole)
    choose = box.addButton("Choose folder…", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(here)
    box.exec()
    if box.clickedButton() is here:
        return default
    if box.clickedButton() is choose:
        folder = QFileDialog.getExistingDirectory(None, "Unpack into a folder", str(bundle.parent))
        if folder:
            folder_path = Path(folder)
            return folder_path if not any(folder_path.iterdir()) else default_unpack_folder(folder_path / bundle.name)
    return None


def open_window(argv: list[str]):
    """The main window for the command line (shown), or an exit code: 2 when the project or
    bundle cannot be opened (the error printed and shown; nothing opens half-way), 0 when the
    user cancelled unpacking a bundle."""
    from PySide6.QtWidgets import QMessageBox

    from app.domain.project import ProjectError, load_project
    from app.ui.main_window import MainWindow

    bundle = bundle_argument(argv)
    try:
        if bundle is not None:
            from app.engine.bundles import BundleError, import_bundle

            target = choose_unpack_folder(bundle)
            if target is None:
                return 0
            try:
                project = import_bundle(bundle, target)  # marked restricted: nothing runs until trusted
            except BundleError as e:
                raise ProjectError(bundle, str(e)) from None
        else:
            project = load_project(_project_folder(argv))
    except ProjectError as e:
        print(f"customdb-studio: {e}", file=sys.stderr)
        QMessageBox.critical(None, APPLICATION, f"Cannot open the project:\n\n{e}")
        return 2
    window = MainWindow(project)
    window.show()
    return window


def main(argv: list[str]) -> int:
    # Start-up allocates a great many objects and little garbage: without the cyclic collector
    # walking them again and again the window paints ~5% sooner. On again once it has painted.
    gc.disable()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    pyside_hook.install()  # before the app's modules load: ~7 ms sooner to the first paint
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    from app.ui import theme

    theme.apply(ask_os=False)  # the saved choice; "system" asks the OS right after the first paint
    window = open_window(argv)
    if isinstance(window, int):
        gc.enable()
        return window
    window.first_painted.connect(gc.enable)
    window.first_painted.connect(theme.follow_os)
    QTimer.singleShot(5000, gc.enable)  # a window that never paints (started minimised) still collects
    probing = any(os.environ.get(v) for v in ("CUSTOMDB_EXIT_AFTER_PAINT", "CUSTOMDB_SCREENSHOT",
                                              "CUSTOMDB_REPORT_RSS"))
    if probing:
        from app.ui import probes

        probes.install(window)
    else:
        QTimer.singleShot(0, window.offer_recovery)
    return app.exec()
