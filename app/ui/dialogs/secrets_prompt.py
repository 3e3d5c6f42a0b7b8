"""Secret values the IDE needs but cannot find: asked once and kept in the keychain, or, on a
machine without one, in this session's memory only (never in a file)."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

from app.domain.project import Project


def missing_secrets(project: Project) -> list[str]:
    """Secret configuration keys that have no value in the environment, session or keychain."""
    from app.engine.secrets import secret_source

    return [key for key in project.secret_keys() if secret_source(project, key)[1] == "missing"]


def store_secret(project: Project, key: str, value: str) -> str:
    """Keep a secret: the keychain when there is one, else this session. Returns where it went."""
    from app.engine.secrets import KeychainUnavailable, session_secrets, set_secret

    try:
        set_secret(project, key, value)
        return "keychain"
    except KeychainUnavailable:
        session_secrets.set(project, key, value)
        return "session"


def ask_missing_secrets(project: Project, parent: QWidget | None = None) -> bool:
    """Ask for each missing secret; False when the user cancels one."""
    for key in missing_secrets(project):
        value, ok = QInputDialog.getText(
            parent, "Secret needed", f"Value of the secret configuration entry {key}:\n"
            "(kept in the OS keychain, or for this session only when there is none)",
            QLineEdit.EchoMode.Password)
        if not ok:
            return False
        store_secret(project, key, value)
    return True
