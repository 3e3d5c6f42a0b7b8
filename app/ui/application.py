"""GUI entry: `customdb-studio [DIR]`. With no folder it opens the bundled sample project."""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app.domain.project import ProjectError, load_project
    from app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName("Custom DB Studio")
    app.setOrganizationName("CustomDBStudio")
    if argv and not argv[0].startswith("-"):
        folder = Path(argv[0])
    else:
        from app.engine.sample import ensure_sample_project

        folder = ensure_sample_project()
    try:
        project = load_project(folder)
    except ProjectError as e:
        QMessageBox.critical(None, "Custom DB Studio", f"Cannot open the project:\n{e}")
        return 2
    window = MainWindow(project)
    window.show()
    return app.exec()
