"""The main window: a project tree of the seven scripts and an editor area."""

from __future__ import annotations

from PySide6.QtWidgets import QMainWindow, QTreeWidget, QTreeWidgetItem

from app.domain.project import Project
from app.domain.scripts import SCRIPT_KINDS


class MainWindow(QMainWindow):
    def __init__(self, project: Project):
        super().__init__()
        self.project = project
        self.setWindowTitle(f"Custom DB Studio — {project.name}")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Script", "Status"])
        present = set(project.script_keys())
        for kind in SCRIPT_KINDS.values():
            status = ("required" if kind.required(project.mode) else "optional") if kind.used_in(project.mode) \
                else "not used in this mode"
            item = QTreeWidgetItem([kind.title, status if kind.key in present else f"{status} (missing)"])
            self.tree.addTopLevelItem(item)
        self.setCentralWidget(self.tree)
        self.resize(1000, 700)
