"""File → Open Deploy CLI export… and File → Export for Deploy CLI…: the GUI of app/engine/deploy.py."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from app.domain.deploy import DeployError
from app.domain.deploy.model import sanitize
from app.domain.project import ProjectError

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


def open_export_dialog(window: MainWindow) -> MainWindow | None:
    folder = QFileDialog.getExistingDirectory(window, "Open a Deploy CLI export (the folder holding "
                                              "database-connections/ or tenant.yaml)", str(window.project.root.parent))
    return open_export(window, Path(folder)) if folder else None


def open_export(window: MainWindow, export: Path, connection: str | None = None,
                target: Path | None = None) -> MainWindow | None:
    """Import one connection of the export into a new folder beside it and open it in a new window."""
    from app.domain.deploy import read_export
    from app.engine.deploy import import_export

    try:
        names = [c.name for c in read_export(export)]
    except DeployError as e:
        QMessageBox.warning(window, "Cannot open the export", str(e))
        return None
    if not names:
        QMessageBox.warning(window, "Cannot open the export", f"{export} holds no custom database connection.")
        return None
    if connection is None:
        if len(names) == 1:
            connection = names[0]
        else:
            connection, ok = QInputDialog.getItem(window, "Open Deploy CLI export",
                                                  "The export holds several connections. Open:", names, 0, False)
            if not ok:
                return None
    target = target or _new_folder(export.parent if export.is_dir() else export.parent.parent, connection)
    try:
        report = import_export(export, target, connection)
    except DeployError as e:
        QMessageBox.warning(window, "Cannot open the export", str(e))
        return None
    opened = window.open_project_folder(report.project.root)
    if opened is not None:
        missing = f"; set the values of {', '.join(report.secrets)} (Configuration & secrets…)" if report.secrets else ""
        opened.statusBar().showMessage(f"Imported {connection!r} into {report.project.root}{missing}", 15000)
    return opened


def export_dialog(window: MainWindow) -> list[Path]:
    folder = QFileDialog.getExistingDirectory(window, "Export for Deploy CLI: choose the export folder",
                                              str(window.project.root.parent))
    return export_to(window, Path(folder)) if folder else []


def export_to(window: MainWindow, folder: Path) -> list[Path]:
    """Save the open scripts, then write the project in the Deploy CLI's layout (no secret values)."""
    from app.engine.deploy import export_project

    if any(doc.modified for doc in window.docs.values()) and not window.save_all():
        return []
    try:
        written = export_project(window.project.root, folder)
    except (DeployError, ProjectError) as e:
        QMessageBox.warning(window, "Cannot export", str(e))
        return []
    except OSError as e:
        QMessageBox.warning(window, "Cannot export", f"{folder}: {e.strerror or e}")
        return []
    window.statusBar().showMessage(f"{len(written)} files written to {folder} (secrets as ##KEY## placeholders, "
                                   "for the Deploy CLI's AUTH0_KEYWORD_REPLACE_MAPPINGS)", 15000)
    return written


def _new_folder(parent: Path, name: str) -> Path:
    """`<parent>/<name>-project`, numbered when it exists: the app makes the folder, not the user."""
    base = parent / f"{sanitize(name)}-project"
    candidate, n = base, 2
    while candidate.exists():
        candidate, n = parent / f"{base.name}-{n}", n + 1
    return candidate
