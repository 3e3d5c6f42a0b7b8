"""An open script: its editor, its file, whether it is saved, and lint-as-you-type.

Lint runs `delay` ms after the last keystroke on the thread pool; each request carries the
document revision and an answer for an older revision is dropped.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.domain.findings import Finding
from app.domain.project import Project
from app.ui.editor.code_editor import CodeEditor
from app.ui.workers import Debouncer, run_in_background

LINT_DELAY_MS = 300


def lint_text(project: Project, key: str, source: str) -> list[Finding]:
    """Static findings of one script's text in the project's language (the lint module loads on the
    worker, off the start-up path), with the language service's for JavaScript: undefined names,
    mistyped members, configuration keys the project lacks."""
    findings = list(project.language.lint(key, source, mode=project.mode, context=project.context_object))
    if project.language.completion == "typescript":
        from app.engine.js_completion import language_service_findings

        findings += language_service_findings(key, source, list(project.configuration))
    return findings


class ScriptDocument(QObject):
    findings_changed = Signal(str, object)  # key, list[Finding]
    modified_changed = Signal(str, bool)

    def __init__(self, project: Project, key: str, parent: QObject | None = None):
        super().__init__(parent)
        self.project = project
        self.key = key
        self.editor = CodeEditor()
        # completes `configuration[...]` keys as they are now (the Configuration dialog changes them);
        # colours, comments and indents as the project's language
        self.editor.configure(key, lambda: list(self.project.configuration), project.language)
        self.editor.setObjectName(f"editor_{key}")
        self.findings: list[Finding] = []
        self._lint = Debouncer(LINT_DELAY_MS, self.lint_now, self)
        self._linted_revision = -1
        self._load(lint_now=False)  # first findings come with the debounce: after the first paint
        doc = self.editor.document()
        doc.contentsChanged.connect(self._lint.poke)
        doc.modificationChanged.connect(lambda m: self.modified_changed.emit(self.key, m))

    @property
    def path(self) -> Path:
        return self.project.script_path(self.key)

    @property
    def modified(self) -> bool:
        return self.editor.document().isModified()

    def text(self) -> str:
        return self.editor.toPlainText()

    def load_from_disk(self) -> None:
        """Replace the buffer with the file's text (a new, unmodified document)."""
        self._load(lint_now=True)

    def _load(self, lint_now: bool) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        self.set_text(text, modified=False, lint_now=lint_now)

    def set_text(self, text: str, modified: bool, lint_now: bool = True) -> None:
        self.editor.setPlainText(text)
        self.editor.document().setModified(modified)
        if lint_now:
            self.lint_now()
        else:
            self._lint.poke()

    def recover_text(self, text: str) -> None:
        """A buffer recovered after a crash replaces the saved text as an edit (modified, one undo
        step), so breakpoints and marks set on the saved text follow their code to its new lines."""
        self.editor.apply_source_edit(text)
        self.lint_now()

    def replace_with_saved_text(self) -> None:
        """The file was replaced on purpose (a template): show it as one undoable edit, so Ctrl+Z
        brings the previous text back (the document is then modified again)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError:
            return
        self.editor.apply_source_edit(text)
        self.editor.document().setModified(False)
        self.lint_now()

    def disk_differs(self) -> bool:
        try:
            return self.path.read_text(encoding="utf-8") != self.text()
        except OSError:
            return True

    def save(self) -> None:
        self._lint.flush()
        self.project.write_script(self.key, self.text())
        self.editor.document().setModified(False)

    def lint_now(self) -> None:
        revision = self.editor.document().revision()
        source = self.text()
        run_in_background(lambda: (revision, lint_text(self.project, self.key, source)), self._linted)

    def close(self) -> None:
        """The tab is closing: no lint may fire on the editor once Qt has deleted it."""
        self._lint.cancel()
        self.editor.deleteLater()
        self.deleteLater()

    def flush_lint(self) -> None:
        self._lint.flush()

    def _linted(self, answer: tuple[int, list[Finding]]) -> None:
        revision, findings = answer
        try:
            current = self.editor.document().revision()
        except RuntimeError:
            return  # the tab was closed while lint ran
        if revision != current or revision < self._linted_revision:
            return  # stale: the text changed since this lint started
        self._linted_revision = revision
        self.findings = findings
        self.editor.set_findings(findings)
        self.findings_changed.emit(self.key, findings)
