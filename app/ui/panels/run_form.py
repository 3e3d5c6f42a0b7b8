"""The input form of a script kind, generated from its parameters.

Password parameters are masked, `user` (Create) and `context` are JSON with a template,
`verified` is a checkbox; everything else is a line of text, where Enter runs the form.
"""

from __future__ import annotations

import json

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLineEdit, QPlainTextEdit, QWidget

from app.domain.scripts import ScriptKind

USER_TEMPLATE = {
    "email": "new.user@example.com",
    "password": "choose-a-password",
    "username": None,
    "email_verified": False,
    "user_metadata": {},
}
CONTEXT_TEMPLATE = {"organization": {"id": "org_123", "name": "acme", "display_name": "Acme", "metadata": {}}}
_PLACEHOLDERS = {"email": "alice@example.com", "new_email": "alice.new@example.com", "user_id": "42"}


class InputError(ValueError):
    """A field holds something the script cannot be given (e.g. invalid JSON)."""


def is_secret_param(name: str) -> bool:
    return "password" in name


class RunForm(QWidget):
    submitted = Signal()  # Enter in a one-line field: run with this input

    def __init__(self, kind: ScriptKind, context: bool, parent=None):
        super().__init__(parent)
        self.kind = kind
        self.fields: dict[str, QWidget] = {}
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for name in kind.python_signature(context=context)[:-1]:  # everything but callback
            widget = self._field(name)
            widget.setObjectName(f"input_{name}")
            self.fields[name] = widget
            layout.addRow(name, widget)

    def _field(self, name: str) -> QWidget:
        if name == "verified":
            return QCheckBox("verified")
        if name in ("user", "context"):
            edit = QPlainTextEdit()
            template = USER_TEMPLATE if name == "user" else CONTEXT_TEMPLATE
            if name == "context" and self.kind.always_empty_context:
                template = {}
            edit.setPlainText(json.dumps(template, indent=2))
            edit.setMinimumHeight(90)
            edit.setTabChangesFocus(True)
            return edit
        edit = QLineEdit()
        edit.returnPressed.connect(self.submitted)
        edit.setPlaceholderText(_PLACEHOLDERS.get(name, ""))
        if is_secret_param(name):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        return edit

    def value(self) -> dict:
        """The input as the runner takes it: {parameter: value}. Raises InputError on bad JSON."""
        out: dict = {}
        for name, widget in self.fields.items():
            if isinstance(widget, QCheckBox):
                out[name] = widget.isChecked()
            elif isinstance(widget, QPlainTextEdit):
                try:
                    out[name] = json.loads(widget.toPlainText() or "null")
                except ValueError as e:
                    raise InputError(f"{name}: not valid JSON ({e})") from None
            else:
                out[name] = widget.text()
        return out

    def set_value(self, values: dict) -> None:
        for name, widget in self.fields.items():
            if name not in values:
                continue
            value = values[name]
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QPlainTextEdit):
                widget.setPlainText(json.dumps(value, indent=2, ensure_ascii=False))
            else:
                widget.setText("" if value is None else str(value))
