"""Configuration & secrets: the `configuration` mapping scripts read.

Plain values are saved in customdb.toml; secret values go to the OS keychain (or, without one, to
this session only) and are shown as ••••. customdb.toml only ever marks a key as secret.
"""

from __future__ import annotations

import contextlib
import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.project import ConfigEntry, Project, ProjectError
from app.ui import theme
from app.ui.dialogs.secrets_prompt import store_secret

SECRET_PLACEHOLDER = "••••  (stored; type to replace)"  # noqa: S105 - the placeholder shown for a stored secret, not a secret
BANNER_STYLE = "background:{banner_bg}; color:{banner_fg}; border:1px solid {banner_border}; padding:6px;"
_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def keychain_banner_text() -> str | None:
    from app.engine.secrets import keychain_problem

    problem = keychain_problem()
    return None if problem is None else f"No keychain: {problem}."


class ConfigurationDialog(QDialog):
    def __init__(self, project: Project, parent: QWidget | None = None):
        super().__init__(parent)
        from app.engine.secrets import secret_source

        self.project = project
        self.setWindowTitle("Configuration & secrets")
        self.resize(640, 420)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        theme.styled(self.banner, BANNER_STYLE)
        text = keychain_banner_text()
        self.banner.setText(text or "")
        self.banner.setVisible(bool(text))

        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Key", "Value", "Secret"])
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self._original_secrets = set(project.secret_keys())
        for entry in project.configuration.values():
            stored = entry.secret and secret_source(project, entry.key)[1] != "missing"
            self.add_row(entry.key, entry.value or "", entry.secret, stored)

        add = QPushButton("Add")
        add.clicked.connect(lambda: self.add_row("", "", False, False))
        remove = QPushButton("Remove")
        remove.clicked.connect(self.remove_selected)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(QLabel("Scripts read these as configuration[\"KEY\"]. Secret values never go "
                                "into customdb.toml."))
        layout.addWidget(self.table)
        layout.addLayout(row)
        layout.addWidget(buttons)

    def add_row(self, key: str, value: str, secret: bool, stored: bool) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        key_edit = QLineEdit(key)
        key_edit.setPlaceholderText("KEY")
        value_edit = QLineEdit("" if secret else value)
        secret_box = QCheckBox()
        secret_box.setChecked(secret)
        value_edit.setProperty("stored_secret", stored)

        def secret_toggled(on: bool) -> None:
            value_edit.setEchoMode(QLineEdit.EchoMode.Password if on else QLineEdit.EchoMode.Normal)
            value_edit.setPlaceholderText(SECRET_PLACEHOLDER if on and value_edit.property("stored_secret") else "")

        secret_box.toggled.connect(secret_toggled)
        secret_toggled(secret)
        holder = QWidget()
        box_layout = QHBoxLayout(holder)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box_layout.addWidget(secret_box)
        self.table.setCellWidget(row, 0, key_edit)
        self.table.setCellWidget(row, 1, value_edit)
        self.table.setCellWidget(row, 2, holder)
        holder.setProperty("box", secret_box)
        return row

    def row(self, index: int) -> tuple[QLineEdit, QLineEdit, QCheckBox]:
        return (self.table.cellWidget(index, 0), self.table.cellWidget(index, 1),
                self.table.cellWidget(index, 2).property("box"))

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()} or {self.table.currentRow()}, reverse=True)
        for r in rows:
            if r >= 0:
                self.table.removeRow(r)

    def save(self) -> None:
        from app.engine.secrets import KeychainUnavailable, delete_secret

        entries: dict[str, ConfigEntry] = {}
        secret_values: dict[str, str] = {}
        for i in range(self.table.rowCount()):
            key_edit, value_edit, secret_box = self.row(i)
            key = key_edit.text().strip()
            if not key and not value_edit.text():
                continue
            if not _KEY_RE.match(key):
                QMessageBox.warning(self, "Configuration", f"{key or '(empty)'!s} is not a valid key: use letters, "
                                    "digits and _ (not starting with a digit).")
                return
            if key in entries:
                QMessageBox.warning(self, "Configuration", f"The key {key} appears twice.")
                return
            if secret_box.isChecked():
                entries[key] = ConfigEntry(key, None, True)
                if value_edit.text():
                    secret_values[key] = value_edit.text()
            else:
                entries[key] = ConfigEntry(key, value_edit.text(), False)
        previous = self.project.configuration
        self.project.configuration = entries
        try:
            self.project.save()
        except (ProjectError, OSError) as e:
            self.project.configuration = previous
            QMessageBox.critical(self, "Configuration", f"Cannot save: {e}")
            return
        session_only = [key for key, value in secret_values.items()
                        if store_secret(self.project, key, value) == "session"]
        for key in self._original_secrets - set(self.project.secret_keys()):
            with contextlib.suppress(KeychainUnavailable):
                delete_secret(self.project, key)
        if session_only:
            QMessageBox.information(self, "Configuration", "There is no keychain on this machine: "
                                    f"{', '.join(session_only)} will be remembered until the IDE closes.")
        self.accept()
