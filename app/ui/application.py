"""GUI entry: `customdb-studio [DIR]`. With no folder it opens the bundled sample project.

Hidden switches for tooling (environment variables, so they never clash with a folder name):
`CUSTOMDB_EXIT_AFTER_PAINT=1` prints `painted <epoch>` at the first paint and quits (start-up
benchmark); `CUSTOMDB_SCREENSHOT=PNG` (+ `CUSTOMDB_SCREENSHOT_INPUT=JSON`) runs Login, grabs the
window when the result is shown and quits (README screenshot); `CUSTOMDB_REPORT_RSS=1` prints the
idle RSS once the background warm-up is done and quits (memory benchmark).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ORGANIZATION = "CustomDBStudio"
APPLICATION = "Custom DB Studio"


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


def main(argv: list[str]) -> int:
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app.domain.project import ProjectError, load_project
    from app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    try:
        project = load_project(_project_folder(argv))
    except ProjectError as e:
        # Nothing opens half-way: the error (file:line: problem) and exit code 2.
        print(f"customdb-studio: {e}", file=sys.stderr)
        QMessageBox.critical(None, APPLICATION, f"Cannot open the project:\n\n{e}")
        return 2
    window = MainWindow(project)
    window.show()
    probing = any(os.environ.get(v) for v in ("CUSTOMDB_EXIT_AFTER_PAINT", "CUSTOMDB_SCREENSHOT",
                                              "CUSTOMDB_REPORT_RSS"))
    if probing:
        from app.ui import probes

        probes.install(window)
    else:
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, window.offer_recovery)
    return app.exec()
