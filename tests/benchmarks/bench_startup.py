"""Start-up time and idle memory of the IDE against a bare PySide6 window, both in subprocesses.

Start-up: process start → first paint of the editor. The app opens the sample project with Login
open and highlighted (`CUSTOMDB_EXIT_AFTER_PAINT=1`); the baseline is a QMainWindow with a
QPlainTextEdit showing the same text, quitting at its first paint. Runs are interleaved and the
medians compared (target ≤ 1.5×).

Memory: the app's RSS once jedi's background warm-up is done (`CUSTOMDB_REPORT_RSS=1`), against
the bare window's RSS after its first paint (target ≤ 2×). jedi runs in a child process and so does
the script runner: the figure is the GUI process, and the children are reported beside it.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from tests.benchmarks import report

ROUNDS = int(os.environ.get("BENCH_STARTUP_ROUNDS", "7"))

BARE = textwrap.dedent("""
    import os, sys, time
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow, QPlainTextEdit

    class FirstPaint(QObject):
        done = False
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and not self.done:
                self.done = True
                QTimer.singleShot(0, self.report)
            return False
        def report(self):
            if os.environ.get("BARE_RSS"):
                with open("/proc/self/statm") as f:
                    print("rss", int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE"), flush=True)
            else:
                print(f"painted {time.time():.6f}", flush=True)
            os._exit(0)

    app = QApplication(sys.argv)
    window = QMainWindow()
    editor = QPlainTextEdit()
    editor.setPlainText(open(sys.argv[1], encoding="utf-8").read())
    window.setCentralWidget(editor)
    window.resize(1280, 800)
    spy = FirstPaint()
    editor.viewport().installEventFilter(spy)
    window.show()
    app.exec()
""")


def _env(data_dir: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # Users start from compiled bytecode (pip compiles at install time); a shell that forbids
    # writing .pyc files would make every start re-compile the app's sources and time the compiler.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update({"QT_QPA_PLATFORM": env.get("QT_QPA_PLATFORM", "offscreen"), "CUSTOMDB_DATA_DIR": data_dir,
                "CUSTOMDB_CACHE_DIR": str(Path(data_dir) / "cache")}, **extra)
    return env


def _painted_after(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.time()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120).stdout
    for line in out.splitlines():
        if line.startswith("painted "):
            return float(line.split()[1]) - t0
    raise RuntimeError(f"no paint reported by {cmd}: {out!r}")


def _rss(cmd: list[str], env: dict[str, str]) -> tuple[int, int]:
    """(RSS of the process, RSS of its children) in bytes, as the process reports it."""
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300).stdout
    own = children = 0
    for line in out.splitlines():
        if line.startswith("rss "):
            own = int(line.split()[1])
        elif line.startswith("children-rss "):
            children = int(line.split()[1])
    if not own:
        raise RuntimeError(f"no RSS reported by {cmd}: {out!r}")
    return own, children


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as data_dir:
        app_cmd = [sys.executable, "-m", "app"]
        # first start: creates the sample project and fills jedi's disk cache (not measured)
        _rss(app_cmd, _env(data_dir, CUSTOMDB_REPORT_RSS="1"))
        login = Path(data_dir) / "sample" / "scripts" / "login.py"
        bare_file = Path(data_dir) / "bare.py"
        bare_file.write_text(BARE, encoding="utf-8")
        bare_cmd = [sys.executable, str(bare_file), str(login)]

        app_times, bare_times = [], []
        for _ in range(ROUNDS):  # interleaved, so drift hits both alike
            bare_times.append(_painted_after(bare_cmd, _env(data_dir)))
            app_times.append(_painted_after(app_cmd, _env(data_dir, CUSTOMDB_EXIT_AFTER_PAINT="1")))
        report("start-up to first paint (sample, Login highlighted)", statistics.median(app_times),
               statistics.median(bare_times), 1.5, baseline_name="bare QMainWindow+QPlainTextEdit")

        bare_rss = statistics.median(_rss(bare_cmd, _env(data_dir, BARE_RSS="1"))[0] for _ in range(3))
        samples = [_rss(app_cmd, _env(data_dir, CUSTOMDB_REPORT_RSS="1")) for _ in range(3)]
        app_rss = statistics.median(s[0] for s in samples)
        children = statistics.median(s[1] for s in samples)
        # report() prints seconds as ms; pass MiB / 1000 so the printed number reads as MiB
        ratio = app_rss / bare_rss
        print(f"idle RSS after jedi warm-up: {app_rss / 2**20:.1f} MiB vs bare window {bare_rss / 2**20:.1f} MiB "
              f"= {ratio:.2f}x (target <= 2x){'  OK' if ratio <= 2 else '  OVER TARGET'}; "
              f"child processes (jedi, runner) {children / 2**20:.1f} MiB more", flush=True)
        from tests.benchmarks import RESULTS

        RESULTS.append(("idle RSS after jedi warm-up", app_rss, bare_rss, 2.0))


if __name__ == "__main__":
    main()
