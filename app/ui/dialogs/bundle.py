"""File → Export reproduction bundle: which script failed, with which input and trace, with or
without a (masked) data snapshot. The export itself is app.engine.bundles.export_bundle."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from app.engine.run_inputs import parse_input_object
from app.ui import theme


class ExportBundleDialog(QDialog):
    def __init__(self, project, trace_text: str = "", script: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export reproduction bundle")
        self.project = project
        self.script = QComboBox()
        self.script.addItem("(none)", None)
        for key in project.script_keys():
            self.script.addItem(key, key)
        if script is not None and self.script.findData(script) >= 0:
            self.script.setCurrentIndex(self.script.findData(script))
        self.input = QPlainTextEdit()
        self.input.setPlaceholderText('{"email": "user@example.com", "password": "..."}')
        self.input.setMaximumHeight(80)
        self.trace = QPlainTextEdit(trace_text)
        self.trace.setPlaceholderText("The stack trace or log lines from the hosted platform")
        self.data = QCheckBox("Add a snapshot of the legacy data")
        self.mask = QCheckBox("Mask e-mail addresses and password hashes")
        self.out = QLineEdit(str(project.root.parent / f"{project.root.name}-repro.zip"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out, 1)
        out_row.addWidget(browse)
        self.problem = QLabel()
        theme.styled(self.problem, "color:{error};")
        form = QFormLayout(self)
        form.addRow("Failing script", self.script)
        form.addRow("Input (JSON)", self.input)
        form.addRow("Trace", self.trace)
        form.addRow("", self.data)
        form.addRow("", self.mask)
        form.addRow("Bundle file", out_row)
        form.addRow(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Bundle file", self.out.text(), "Zip (*.zip)")
        if path:
            self.out.setText(path)

    def values(self) -> dict:
        """The export_bundle arguments; raises ValueError for an input that is not a JSON object."""
        raw = self.input.toPlainText().strip()
        data = parse_input_object(raw) if raw else None
        trace = self.trace.toPlainText()
        return {"out": self.out.text().strip(), "script": self.script.currentData(), "input": data,
                "trace": trace if trace.strip() else None, "data": self.data.isChecked(),
                "mask": self.mask.isChecked()}

    def _accept(self) -> None:
        try:
            values = self.values()
        except ValueError as e:
            self.problem.setText(str(e))
            return
        if not values["out"]:
            self.problem.setText("Choose where the bundle goes.")
            return
        self.accept()
