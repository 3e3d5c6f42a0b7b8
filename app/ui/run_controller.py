"""The GUI side of running a script: a small state machine over the engine's blocking runner.

idle → running → (stopping →) idle. A run only starts from idle (no double runs), the blocking
`runner.run` call happens on a worker thread (the GUI never waits on a script), Stop is always
available while running and calls `runner.stop()` from the GUI thread, and every event the runner
reports (log lines, SQL statements) is relayed to the GUI thread as a signal. Thonny's runner
works the same way: commands are accepted only in the "waiting for a command" state.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.domain.project import Project
from app.ui.workers import post, run_in_background, run_in_thread


class RunState(StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    STOPPING = "stopping"


@dataclass
class CaseOutcome:
    name: str
    script: str
    passed: bool
    expected: dict
    actual: dict
    detail: str = ""


def create_runner(project: Project, on_state: Callable[[str], None] | None = None) -> Any:
    """The engine's container for a project (imported here, lazily: it pulls in the child machinery)."""
    from app.engine.runner import RunnerClient

    return RunnerClient(project, on_state=on_state)


class RunController(QObject):
    state_changed = Signal(str)
    container_changed = Signal(str)
    started = Signal(str, object)  # script key, input
    event = Signal(object)  # one runner event (dict), on the GUI thread
    finished = Signal(object)  # RunResult.to_dict()
    failed = Signal(str)  # the run could not happen at all (runner crashed, bad project...)
    case_finished = Signal(object)  # CaseOutcome
    cases_finished = Signal(object)  # list[CaseOutcome]

    def __init__(self, project: Project, runner_factory: Callable[..., Any] = create_runner,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.project = project
        self._factory = runner_factory
        self._runner: Any = None
        self._runner_lock = threading.Lock()
        self.state = RunState.IDLE
        self.commit = False

    # -- runner lifetime ---------------------------------------------------------------------
    def _get_runner(self) -> Any:
        with self._runner_lock:
            if self._runner is None:
                self._runner = self._factory(self.project, on_state=lambda s: post(self._set_container, s))
            return self._runner

    def warm_up(self) -> None:
        """Have a runner child ready in the background so the first Run does not wait for one.

        Only the child starts here: the parent side of the runner (SQLAlchemy for the URL, keyring)
        loads on the first Run, so an IDE that is only used for editing stays small.
        """
        def work() -> str:
            if self._runner is not None:
                return self._container_state(self._runner)
            from app.engine.spare import spare_pool

            pool = spare_pool()
            pool.wait_ready()
            return "ready" if pool.ready else "not started"

        run_in_thread(work, self._set_container, lambda msg: self._set_container(f"unavailable ({msg})"),
                      name="runner-warm-up")

    @staticmethod
    def _container_state(runner: Any) -> str:
        state = getattr(runner, "state", "ready")
        state = state() if callable(state) else state
        return str(getattr(state, "value", state))

    def _set_container(self, state: str) -> None:
        self.container_changed.emit(state)

    def _set_state(self, state: RunState) -> None:
        self.state = state
        self.state_changed.emit(str(state))

    # -- commands ----------------------------------------------------------------------------
    def run(self, key: str, inputs: dict, source: str | None = None) -> bool:
        """Start a run (of `source`, the editor's buffer, when given); False unless idle."""
        if self.state is not RunState.IDLE:
            return False
        self._set_state(RunState.RUNNING)
        self.started.emit(key, inputs)
        commit = self.commit

        def work() -> dict:
            runner = self._get_runner()
            result = runner.run(key, inputs, commit=commit, timeout=self.project.timeout_s,
                                on_event=lambda ev: post(self.event.emit, ev), source=source)
            return result.to_dict() if hasattr(result, "to_dict") else dict(result)

        run_in_thread(work, self._on_done, self._on_error, name=f"run-{key}")
        return True

    def run_cases(self, cases: list[tuple[str, dict]]) -> bool:
        """Run saved cases one after the other; each gets a pass/fail against its expectation."""
        if self.state is not RunState.IDLE or not cases:
            return False
        self._set_state(RunState.RUNNING)

        def work() -> list[CaseOutcome]:
            runner = self._get_runner()
            outcomes = []
            for name, case in cases:
                if self.state is RunState.STOPPING:
                    break
                script = case.get("script", "")
                try:
                    result = runner.run(script, case.get("input", {}), commit=False,
                                        timeout=self.project.timeout_s)
                    actual = result.to_dict() if hasattr(result, "to_dict") else dict(result)
                    outcome = compare_case(name, case, actual)
                except Exception as e:  # noqa: BLE001 - one broken case must not stop the list
                    outcome = CaseOutcome(name, script, False, case.get("expect", {}), {}, _message(e))
                outcomes.append(outcome)
                post(self.case_finished.emit, outcome)
            return outcomes

        run_in_thread(work, self._on_cases_done, self._on_error, name="run-cases")
        return True

    def stop(self) -> bool:
        """Ask the runner to stop the current run; always accepted while running."""
        if self.state is not RunState.RUNNING:
            return False
        self._set_state(RunState.STOPPING)
        runner = self._runner
        if runner is not None:
            threading.Thread(target=runner.stop, name="run-stop", daemon=True).start()
        return True

    def recycle(self) -> None:
        """Throw the container (and its `global_`) away; refused while a script runs."""
        if self.state is not RunState.IDLE:
            return
        self._set_container("recycling")
        run_in_background(lambda: (self._get_runner().recycle(), self._container_state(self._runner))[1],
                          self._set_container, self.failed.emit)

    def shutdown(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        if self.state is not RunState.IDLE:
            with contextlib.suppress(Exception):  # closing the IDE must never fail on this
                runner.stop()
        for name in ("close", "shutdown"):
            fn = getattr(runner, name, None)
            if callable(fn):
                with contextlib.suppress(Exception):
                    fn()
                break

    # -- completion --------------------------------------------------------------------------
    def _back_to_idle(self) -> None:
        self._set_state(RunState.IDLE)
        if self._runner is not None:
            self._set_container(self._container_state(self._runner))

    def _on_done(self, result: dict) -> None:
        self._back_to_idle()
        self.finished.emit(result)

    def _on_cases_done(self, outcomes: list[CaseOutcome]) -> None:
        self._back_to_idle()
        self.cases_finished.emit(outcomes)

    def _on_error(self, message: str) -> None:
        self._back_to_idle()
        self.failed.emit(message)


def compare_case(name: str, case: dict, actual: dict) -> CaseOutcome:
    """Pass/fail exactly as `customdb test` judges (app.engine.cases.judge)."""
    from app.engine.cases import judge

    report = judge(name, case, actual)
    return CaseOutcome(name, case.get("script", ""), report.passed, case.get("expect") or {}, actual, report.message)


def _message(error: Exception) -> str:
    return str(error) or type(error).__name__
