"""New project: name, folder, database type and mode → the scaffold's templates."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from app.domain.scripts import Mode

DATABASES = (("sqlite", "SQLite (a file, no server)"), ("postgresql", "PostgreSQL"), ("mysql", "MySQL / MariaDB"),
             ("mssql", "SQL Server"))
MODES = ((Mode.LEGACY, "Legacy authentication — users stay in your database"),
         (Mode.MIGRATION, "Automatic migration — users move at their first login"))


def folder_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name.strip()).strip("-.").lower() or "connection"


class NewProjectDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, parent_folder: Path | None = None):
        super().__init__(parent)
        self.setWindowTitle("New connection project")
        self.created: Path | None = None
        self.name = QLineEdit()
        self.name.setPlaceholderText("Acme legacy users")
        self.location = QLineEdit(str(parent_folder or Path.home()))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        location_row = QHBoxLayout()
        location_row.addWidget(self.location, 1)
        location_row.addWidget(browse)
        self.database = QComboBox()
        for key, label in DATABASES:
            self.database.addItem(label, key)
        self.mode = QComboBox()
        for mode, label in MODES:
            self.mode.addItem(label, str(mode))
        self.target = QLabel()
        self.name.textChanged.connect(self._update_target)
        self.location.textChanged.connect(self._update_target)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        buttons.accepted.connect(self.create)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Name", self.name)
        form.addRow("Create in", location_row)
        form.addRow("", self.target)
        form.addRow("Database", self.database)
        form.addRow("Mode", self.mode)
        form.addRow(buttons)
        self._update_target()

    def folder(self) -> Path:
        return Path(self.location.text().strip() or ".") / folder_name(self.name.text() or "connection")

    def _update_target(self) -> None:
        self.target.setText(f"→ {self.folder()}")

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Create the project in", self.location.text())
        if folder:
            self.location.setText(folder)

    def create(self) -> None:
        name = self.name.text().strip()
        if not name:
            QMessageBox.warning(self, "New project", "Give the project a name.")
            return
        folder = self.folder()
        if folder.exists() and any(folder.iterdir()):
            QMessageBox.warning(self, "New project", f"{folder} already exists and is not empty.")
            return
        try:
            from app.engine.scaffold import create_project
        except ModuleNotFoundError:
            QMessageBox.critical(self, "New project", "Project templates are not installed in this build.")
            return
        try:
            create_project(folder, database=self.database.currentData(), mode=self.mode.currentData(), name=name)
        except (OSError, ValueError) as e:
            QMessageBox.critical(self, "New project", f"Cannot create the project: {e}")
            return
        self.created = folder
        self.accept()
