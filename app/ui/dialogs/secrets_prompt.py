"""Secret values the IDE needs but cannot find: asked before a run and kept in the keychain, or,
on a machine without one, in this session's memory only (never in a file), which the prompt says:
such a secret is asked again at the next start. Only what the run needs is asked: the secrets the
scripts read (`app.engine.secrets.needed_secret_keys`) and the database password when the
connection names a user."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

from app.domain.project import Project

SESSION_ONLY = "for this session only (this machine has no OS keychain): it is asked again at the next start"
IN_KEYCHAIN = "in the OS keychain"


def where_secrets_go() -> str:
    """How a secret typed now is kept, in the words the dialogs use."""
    from app.engine.secrets import keychain_available

    return IN_KEYCHAIN if keychain_available() else SESSION_ONLY


def missing_secrets(project: Project) -> list[str]:
    """Secrets the next run needs that have no value in the environment, session or keychain: the
    configuration secrets a script reads, then DATABASE_PASSWORD when the URL names a user."""
    from app.engine.secrets import DATABASE_PASSWORD, needed_secret_keys, secret_source
    from app.ui.urls import needs_password

    keys = needed_secret_keys(project)
    if needs_password(project.database_url):
        keys = [*keys, DATABASE_PASSWORD]
    return [key for key in keys if secret_source(project, key)[1] == "missing"]


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
    from app.engine.secrets import DATABASE_PASSWORD

    for key in missing_secrets(project):
        what = ("the password of the legacy database's user" if key == DATABASE_PASSWORD
                else f"the secret configuration entry {key}")
        value, ok = QInputDialog.getText(
            parent, "Secret needed", f"Value of {what}:\n(kept {where_secrets_go()})",
            QLineEdit.EchoMode.Password)
        if not ok:
            return False
        store_secret(project, key, value)
    return True
