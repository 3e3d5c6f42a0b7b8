"""The step debugger's speed figures (issue 6), each against a baseline measured in the same run
through the same warm container:

1. a debug session of the sample Login with no breakpoints vs the same run without the debugger
   (wall time, parent to parent) — target <= 1.3x;
2. a script calling a library function (json.dumps) 100,000 times in a loop, with a breakpoint in
   another function, vs the same run without the debugger (time inside the entry, measured by the
   child) — target <= 3x: frames that cannot stop run untraced;
3. step round trip (step over -> the new line with its variables arrives): p95 vs the 30 ms target,
   and for information vs an inline evaluate round trip (the channel's own cost);
4. the same through the IDE (offscreen): the Step over action (F10) triggered -> the editor marks
   the new line and the Variables panel shows the new values, p95 vs the 30 ms target.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from tests.benchmarks import report

ALICE = {"email": "alice@example.com", "password": "wonderland-42"}

LOOP = '''
import json

def mark(total):
    done = total
    return done

def get_user(email, callback):
    total = 0
    for i in range(100000):
        total += len(json.dumps(i))
    mark(total)
    return callback(None, {"user_id": "legacy|1", "email": email, "total": total})
'''

STEPPER = '''
def get_user(email, callback):
    total = 0
    for i in range(100000):
        total += i
        total -= 1
    return callback(None, {"user_id": "legacy|1", "email": email})
'''


def _debug_once(client, key, data, breakpoints=()):
    from app.engine.debug_session import DebugSession, Finished

    session = DebugSession(client)
    session.start(key, data, breakpoints)
    while True:
        outcome = session.wait_stop()
        if isinstance(outcome, Finished):
            return outcome.result
        session.continue_()


def _interleaved(baseline, subject, rounds: int = 80) -> tuple[float, float]:
    """Median seconds of each, measured alternately so a busy neighbour slows both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for fn, out in ((baseline, times[0]), (subject, times[1])):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return statistics.median(times[0]), statistics.median(times[1])


def _ide_step_p95(project, steps: int = 200) -> float:
    """Step over (F10's action) → editor line marked and Variables panel refreshed, in a real
    MainWindow (offscreen)."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["CUSTOMDB_DATA_DIR"] = str(project.root / ".bench-data")  # autosaves, recent list: not the user's
    os.environ["CUSTOMDB_CACHE_DIR"] = str(project.root / ".bench-cache")
    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.engine.runner import RunnerClient
    from app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    QCoreApplication.setOrganizationName("CustomDBStudioBench")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(project.root / ".settings"))
    window = MainWindow(project, runner_factory=lambda p, **kw: RunnerClient(p, use_spare=False, **kw))
    window.show()
    debugger = window.debugger

    def wait(predicate, limit: float = 30.0) -> None:
        end = time.perf_counter() + limit
        while not predicate():
            if time.perf_counter() > end:
                raise TimeoutError(f"the IDE did not get there in time ({window.statusBar().currentMessage()})")
            app.processEvents()

    try:
        window.open_script("get_user")
        editor = window.docs["get_user"].editor
        debugger.set_breakpoint("get_user", 5)
        window.run_panel.form("get_user").set_value({"email": "a@b.c"})
        QTest.qWaitForWindowExposed(window)
        debugger.actions["start"].trigger()  # what F5 triggers
        wait(lambda: debugger.state == "paused")
        variables = debugger.panels["Variables"]
        times = []
        for _ in range(steps):
            previous = debugger.last_stop

            def shown(previous=previous) -> bool:
                stop = debugger.last_stop  # set, line marked and variables shown in one GUI-thread call
                return (debugger.state == "paused" and stop is not previous and editor.debug_line == stop.line
                        and "total" in variables.values())

            t0 = time.perf_counter()
            debugger.actions["over"].trigger()  # what F10 triggers
            wait(shown)
            times.append(time.perf_counter() - t0)
        return statistics.quantiles(times, n=20)[-1]
    finally:
        debugger.shutdown()
        window.controller.shutdown()
        window.close()


def main() -> None:
    from app.engine.debug_session import DebugSession
    from app.engine.runner import RunnerClient
    from app.engine.scaffold import create_project

    with tempfile.TemporaryDirectory() as tmp:
        project = create_project(Path(tmp) / "bench", database="sqlite")
        client = RunnerClient(project, use_spare=False)
        try:
            client.warm()
            assert client.run("login", ALICE).outcome == "ok"
            assert _debug_once(client, "login", ALICE).outcome == "ok"
            plain, debugged = _interleaved(lambda: client.run("login", ALICE),
                                           lambda: _debug_once(client, "login", ALICE))
            report("debug session of the sample Login, no breakpoints", debugged, plain, 1.3,
                   baseline_name="the same run without the debugger")

            project.script_path("get_user").write_text(LOOP, encoding="utf-8")
            bp = [5]  # inside mark(), called once after the loop
            plain_ms, debug_ms = [], []
            for _ in range(5):
                plain_ms.append(client.run("get_user", {"email": "a@b.c"}).duration_ms)
                result = _debug_once(client, "get_user", {"email": "a@b.c"}, bp)
                assert result.outcome == "ok", result.error
                debug_ms.append(result.duration_ms)
            report("100,000 library calls with a breakpoint elsewhere", statistics.median(debug_ms) / 1000,
                   statistics.median(plain_ms) / 1000, 3.0, baseline_name="without the debugger")

            project.script_path("get_user").write_text(STEPPER, encoding="utf-8")
            session = DebugSession(client)
            session.start("get_user", {"email": "a@b.c"}, [5])
            session.wait_stop()
            steps, evals = [], []
            for _ in range(300):
                t0 = time.perf_counter()
                session.step_over()
                stop = session.wait_stop()
                steps.append(time.perf_counter() - t0)
                assert stop.line in (5, 6, 4) and stop.variables
                t0 = time.perf_counter()
                session.evaluate("total")
                evals.append(time.perf_counter() - t0)
            session.close()
            p95 = statistics.quantiles(steps, n=20)[-1]
            report("step round trip p95", p95, 0.030, 1.0, baseline_name="the 30 ms target")
            report("step round trip p95 (information)", p95, statistics.quantiles(evals, n=20)[-1],
                   baseline_name="an inline evaluate round trip")
        finally:
            client.close()
        try:
            ide = _ide_step_p95(project)
            report("IDE step round trip p95 (F10 to line and variables shown)", ide, 0.030, 1.0,
                   baseline_name="the 30 ms target")
        finally:
            client.close()


if __name__ == "__main__":
    main()
