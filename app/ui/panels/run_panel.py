"""Run: pick a script, fill its input (or a saved case), Run / Stop / Recycle, read the result.

The panel is a view over RunController; it never calls the runner itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.findings import Finding
from app.domain.outcome import describe_log_event
from app.domain.project import Project
from app.ui import theme
from app.ui.cases import list_cases, save_case
from app.ui.panels.json_tree import JsonTree
from app.ui.panels.run_form import InputError, RunForm
from app.ui.run_controller import CaseOutcome, RunController, RunState

_OK_OUTCOMES = {"ok", "success"}
_NO_OUTCOMES = {"not_found", "refused", "wrong_credentials", "wrong_password", "unknown_user", "false",
                "user_exists", "unauthorized"}


def is_user_stop(result: dict) -> bool:
    """The run ended because the user pressed Stop: not a failure of the script."""
    error = result.get("error")
    return isinstance(error, dict) and error.get("type") == "Stopped"


def badge_style(outcome: str) -> str:
    """The outcome badge's style-sheet template (palette names: app/ui/theme.py); a Stop the user
    asked for is grey (`badge_idle`), never the red of an error."""
    if outcome == "stopped":
        return "background:{badge_idle}; color:{badge_text}; border-radius:4px; padding:2px 8px; font-weight:bold;"
    colour = "badge_ok" if outcome in _OK_OUTCOMES else ("badge_warn" if outcome in _NO_OUTCOMES else "badge_error")
    return f"background:{{{colour}}}; color:{{badge_text}}; border-radius:4px; padding:2px 8px; font-weight:bold;"


BUSY_STYLE = "background:{badge_idle}; color:{badge_text}; border-radius:4px; padding:2px 8px;"
COMMIT_ON_STYLE = "QCheckBox {{ color:{badge_text}; background:{badge_error}; font-weight: bold; padding: 2px 6px; }}"


class RunPanel(QWidget):
    result_shown = Signal(object)  # the run result dict, after the panel displayed it
    cases_shown = Signal(object)  # list[CaseOutcome]
    case_saved = Signal(str)  # a one-line confirmation once a case file is written

    def __init__(self, project: Project, controller: RunController, parent=None):
        super().__init__(parent)
        self.project = project
        self.controller = controller
        self.last_result: dict | None = None
        self.last_input: tuple[str, dict] | None = None
        self._pending_case: str | None = None
        self._offered: list[tuple[str, dict]] = []  # cases offered without a file (a bundle's input)
        # set by the window: the open editor's text of a script (run what the user sees, saved or
        # not), and a check before each run (asks for missing secrets); both optional
        self.source_for: Callable[[str], str | None] = lambda key: None
        self.before_run: Callable[[], bool] = lambda: True

        # what to run
        self.script_box = QComboBox()
        for k in project.platform.kinds.values():
            self.script_box.addItem(k.title, k.key)
        self.forms = QStackedWidget()
        self._forms: dict[str, RunForm] = {}
        for k in project.platform.kinds.values():
            form = RunForm(k, project.context_object)
            form.submitted.connect(self.run)  # Enter in a field runs, as Run does
            self._forms[k.key] = form
            self.forms.addWidget(form)
        self.script_box.currentIndexChanged.connect(self._script_changed)

        self.case_box = QComboBox()
        self.case_box.setToolTip("Saved cases of this script (cases/<name>.json)")
        self.case_box.activated.connect(self._case_picked)
        self.save_case_button = QPushButton("Save as case…")
        self.save_case_button.clicked.connect(self.save_current_as_case)
        self.run_cases_button = QPushButton("Run all cases")
        self.run_cases_button.clicked.connect(self.run_all_cases)

        # commands
        self.run_button = QPushButton("▶ Run")
        self.run_button.setToolTip("Run the script with this input (Ctrl+F5)")
        self.run_button.clicked.connect(self.run)
        self.stop_button = QPushButton("■ Stop")
        self.stop_button.setToolTip("Stop the running script (Shift+F5)")
        self.stop_button.clicked.connect(self.controller.stop)
        self.recycle_button = QPushButton("Recycle")
        self.recycle_button.setToolTip("Throw away the container and its global_ cache")
        self.recycle_button.clicked.connect(self.controller.recycle)
        self.commit_box = QCheckBox("Commit writes")
        self.commit_box.setToolTip("Off: every run is rolled back (dry run). On: writes reach the legacy database.")
        self.commit_box.toggled.connect(self.set_commit)
        self.state_label = QLabel()

        # result
        self.badge = QLabel("no run yet")
        self.badge.setObjectName("outcomeBadge")
        self.meta_label = QLabel()
        self.meta_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta_label.setWordWrap(True)  # a long log event wraps instead of widening the dock
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        theme.styled(self.error_label, "color:{error};")
        self.sql_error_label = QLabel()  # a failed statement's own error (the script may hide it)
        self.sql_error_label.setObjectName("sqlError")
        self.sql_error_label.setWordWrap(True)
        theme.styled(self.sql_error_label, "color:{error};")
        self.sql_error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sql_error_label.hide()
        self.result_tree = JsonTree()
        self.result_findings = QListWidget()
        self.result_findings.setMaximumHeight(80)
        self.result_findings.hide()  # shown when a run reports findings
        self.cases_list = QListWidget()
        self.cases_list.setMaximumHeight(110)
        self.cases_list.hide()

        self._build_layout()
        self.controller.state_changed.connect(self._state_changed)
        self.controller.finished.connect(self.show_result)
        self.controller.failed.connect(self._failed)
        self.controller.case_finished.connect(self._case_finished)
        self.controller.cases_finished.connect(self._cases_finished)
        self._script_changed()
        self._state_changed(str(controller.state))

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel("Script"))
        top.addWidget(self.script_box, 1)
        cases = QHBoxLayout()
        cases.addWidget(QLabel("Case"))
        cases.addWidget(self.case_box, 1)
        case_buttons = QHBoxLayout()  # a row of their own: the panel fits a ~340 px column
        case_buttons.addStretch(1)
        case_buttons.addWidget(self.save_case_button)
        case_buttons.addWidget(self.run_cases_button)
        buttons = QHBoxLayout()
        for w in (self.run_button, self.stop_button, self.recycle_button):
            buttons.addWidget(w)
        buttons.addStretch(1)
        state = QHBoxLayout()
        state.addWidget(self.commit_box)
        state.addStretch(1)
        state.addWidget(self.state_label)
        input_box = QGroupBox("Input")
        input_layout = QVBoxLayout(input_box)
        input_layout.addLayout(top)
        input_layout.addLayout(cases)
        input_layout.addLayout(case_buttons)
        input_layout.addWidget(self.forms)
        input_layout.addLayout(buttons)
        input_layout.addLayout(state)

        result_box = QGroupBox("Result")
        result_layout = QVBoxLayout(result_box)
        head = QHBoxLayout()
        head.addWidget(self.badge)
        head.addWidget(self.meta_label, 1)
        result_layout.addLayout(head)
        result_layout.addWidget(self.error_label)
        result_layout.addWidget(self.sql_error_label)
        result_layout.addWidget(self.result_tree, 1)
        result_layout.addWidget(self.result_findings)
        result_layout.addWidget(self.cases_list)

        content = QWidget()
        inner = QVBoxLayout(content)
        inner.setContentsMargins(4, 4, 4, 4)
        inner.addWidget(input_box, 0)  # as tall as the current script's form, no more
        inner.addWidget(result_box, 1)
        # In a scroll area: the panel's minimum size is then not the sum of its parts, so it
        # never raises the window's minimum height (its dock shares a column with Call stack)
        # nor widens with a long result line.
        scroll = QScrollArea()
        scroll.setObjectName("runScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

    # -- script and cases --------------------------------------------------------------------
    @property
    def script(self) -> str:
        return self.script_box.currentData()

    def form(self, key: str | None = None) -> RunForm:
        return self._forms[key or self.script]

    def select_script(self, key: str) -> None:
        index = self.script_box.findData(key)
        if index >= 0 and index != self.script_box.currentIndex():
            self.script_box.setCurrentIndex(index)

    def _script_changed(self) -> None:
        current = self._forms[self.script]
        for form in self._forms.values():  # the stack takes the height of the shown form only
            policy = QSizePolicy.Policy.Preferred if form is current else QSizePolicy.Policy.Ignored
            form.setSizePolicy(policy, policy)
        self.forms.setCurrentWidget(current)
        self.forms.adjustSize()
        self.reload_cases()

    def add_offered_case(self, name: str, case: dict) -> None:
        """A case offered without a file (a bundle's input): listed for its script, picked like one."""
        self._offered = [(n, c) for n, c in self._offered if n != name] + [(name, case)]
        self.reload_cases()
        if case.get("script") == self.script:
            self.case_box.setCurrentIndex(self.case_box.findText(name))

    def reload_cases(self) -> None:
        self.case_box.clear()
        self.case_box.addItem("(current input)", None)
        for name, case in self._offered:
            if case.get("script") == self.script:
                self.case_box.addItem(name, case)
        for name, case in list_cases(self.project, self.script):
            self.case_box.addItem(name, case)
        self.run_cases_button.setEnabled(bool(list_cases(self.project)))

    def _case_picked(self, index: int) -> None:
        case = self.case_box.itemData(index)
        if isinstance(case, dict):
            self.form().set_value(case.get("input", {}))

    def save_current_as_case(self) -> None:
        """Ask for a name (a default that says what the case is: `login-alice-ok`), confirm an
        overwrite, save; `case_saved` and the Case list say so at once."""
        from app.ui.cases import safe_case_name, suggest_case_name

        try:
            values = self.form().value()
        except InputError as e:
            QMessageBox.warning(self, "Save as case", str(e))
            return
        known = self.last_result if self.last_input == (self.script, values) and self.last_result else None
        default = suggest_case_name(self.project, self.script, values, known.get("outcome") if known else None)
        name, ok = QInputDialog.getText(self, "Save as case", "Case name (cases/<name>.json):", text=default)
        if not ok or not name.strip():
            return
        if (self.project.cases_dir / f"{safe_case_name(name)}.json").exists() and QMessageBox.question(
                self, "Save as case", f"A case named {safe_case_name(name)} exists. Replace it?") \
                != QMessageBox.StandardButton.Yes:
            return
        self.save_case_named(name.strip())

    def save_case_named(self, name: str) -> None:
        """Save the current input; its expectation is the outcome it gives now (run first if needed)."""
        try:
            values = self.form().value()
        except InputError as e:
            QMessageBox.warning(self, "Save as case", str(e))
            return
        if self.last_input == (self.script, values) and self.last_result is not None:
            self._write_case(name, self.script, values, self.last_result)
        elif self.controller.state is RunState.IDLE:
            self._pending_case = name
            self.run()

    def _write_case(self, name: str, script: str, values: dict, result: dict) -> None:
        path = save_case(self.project, name, script, values, result.get("outcome"), result.get("result"))
        self.reload_cases()
        index = self.case_box.findText(path.stem)  # the file's name: `alice ok` is saved as alice-ok
        if index >= 0:
            self.case_box.setCurrentIndex(index)
        self.case_saved.emit(f"Saved case {path.stem} (expects {result.get('outcome')}) in cases/{path.name}")

    def run_all_cases(self) -> None:
        cases = list_cases(self.project)
        self.cases_list.clear()
        self.cases_list.show()
        self.controller.run_cases(cases)

    # -- run ---------------------------------------------------------------------------------
    def set_commit(self, on: bool) -> None:
        self.controller.commit = on
        theme.styled(self.commit_box, COMMIT_ON_STYLE if on else "")
        self.commit_box.setText("COMMIT WRITES — ON" if on else "Commit writes")
        if self.commit_box.isChecked() != on:
            self.commit_box.setChecked(on)

    def run(self) -> bool:
        try:
            values = self.form().value()
        except InputError as e:
            self.error_label.setText(str(e))
            return False
        if self.controller.state is not RunState.IDLE or not self.before_run():
            return False
        started = self.controller.run(self.script, values, self.source_for(self.script))
        if started:
            self.last_input = (self.script, values)
            self.error_label.clear()
            self.badge.setText("running…")
            theme.styled(self.badge, BUSY_STYLE)
        return started

    def _state_changed(self, state: str) -> None:
        idle = state == str(RunState.IDLE)
        self.run_button.setEnabled(idle)
        self.run_cases_button.setEnabled(idle and bool(list_cases(self.project)))
        self.recycle_button.setEnabled(idle)
        self.stop_button.setEnabled(state == str(RunState.RUNNING))
        self.state_label.setText(f"Runner: {state}")

    def show_result(self, result: dict) -> None:
        self.last_result = result
        outcome = "stopped" if is_user_stop(result) else str(result.get("outcome", "?"))
        self.badge.setText(outcome)
        theme.styled(self.badge, badge_style(outcome))
        meta = []
        if result.get("duration_ms") is not None:
            meta.append(f"{float(result['duration_ms']):.0f} ms")
        if result.get("log_event"):
            meta.append(f"log event {describe_log_event(str(result['log_event']))}")
        meta.append("writes committed" if result.get("committed") else "rolled back")
        self.meta_label.setText(" · ".join(meta))
        error = result.get("error")
        if is_user_stop(result):
            error = None  # the badge says it; no error text for a Stop the user asked for
        if isinstance(error, dict):
            error = ": ".join(str(error.get(k)) for k in ("type", "message") if error.get(k))
        self.error_label.setText(str(error) if error else "")
        self.show_sql_errors(result.get("sql") or [])
        self.result_tree.set_value(result.get("result"))
        self.result_findings.clear()
        for f in result.get("findings") or []:
            f = f if isinstance(f, Finding) else Finding.from_dict(f)
            line = f" (line {f.line})" if f.line else ""
            self.result_findings.addItem(f"{f.severity}: {f.code}{line} — {f.message}")
        self.result_findings.setVisible(self.result_findings.count() > 0)
        if self._pending_case and self.last_input:
            name, self._pending_case = self._pending_case, None
            self._write_case(name, self.last_input[0], self.last_input[1], result)
        self.result_shown.emit(result)

    def show_sql_errors(self, entries: list) -> None:
        """Each failed statement's error under the result: a script that catches it and answers
        `callback(Exception("The user store could not be reached."))` no longer hides the cause."""
        failed = [e for e in entries if isinstance(e, dict) and e.get("error")]
        lines = []
        for entry in failed[:3]:
            statement = " ".join(str(entry.get("statement") or entry.get("sql") or "").split())
            short = statement if len(statement) <= 90 else statement[:89] + "…"
            lines.append(f"SQL error: {entry['error']}\n    in {short}")
        if len(failed) > 3:
            lines.append(f"… and {len(failed) - 3} more failed statement(s): see the SQL panel")
        self.sql_error_label.setText("\n".join(lines))
        self.sql_error_label.setVisible(bool(lines))

    def _failed(self, message: str) -> None:
        self._pending_case = None
        self.sql_error_label.hide()
        self.badge.setText("not run")
        theme.styled(self.badge, badge_style("error"))
        self.error_label.setText(message)

    def _case_finished(self, outcome: CaseOutcome) -> None:
        mark = "✔" if outcome.passed else "✘"
        text = f"{mark} {outcome.name} ({outcome.script})"
        if outcome.detail:
            text += f" — {outcome.detail}"
        item = QListWidgetItem(text)
        theme.tint(item, foreground="ok" if outcome.passed else "error")
        item.setToolTip(json.dumps(outcome.actual.get("result"), default=str))
        self.cases_list.addItem(item)

    def _cases_finished(self, outcomes: list[CaseOutcome]) -> None:
        passed = sum(o.passed for o in outcomes)
        self.badge.setText(f"{passed}/{len(outcomes)} cases pass")
        theme.styled(self.badge, badge_style("ok" if passed == len(outcomes) else "error"))
        self.cases_shown.emit(outcomes)
