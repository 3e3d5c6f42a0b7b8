"""Start-up time and idle memory of the IDE against a bare PySide6 window, both in subprocesses.

Start-up: process start → first paint of a visible window. The app opens a new project (`customdb
new`, SQLite, legacy mode: Login open and highlighted) and quits at its first paint
(`CUSTOMDB_EXIT_AFTER_PAINT=1`); the baseline is a QMainWindow with one QPlainTextEdit showing the
same text, quitting at its first paint. Measured on two platforms, side by side, rounds interleaved
(bare, app, bare, app… on each), medians compared, target ≤ 1.5× on each:
- offscreen: Qt's headless platform (no display server, no fonts from the desktop, no GL);
- xcb under Xvfb: what a user's X11 desktop costs (the xcb plugin, the X connection, fontconfig,
  GLX probing, window mapping). The benchmark starts its own `Xvfb :N -screen 0 1366x768x24` when
  Xvfb is installed (and says it skipped xcb when not).

Memory: the app's RSS once jedi's background warm-up is done (`CUSTOMDB_REPORT_RSS=1`), against
the bare window's RSS after its first paint (target ≤ 2×), offscreen. jedi runs in a child process
and so does the script runner: the figure is the GUI process, and the children are reported beside it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

from tests.benchmarks import report

ROUNDS = int(os.environ.get("BENCH_STARTUP_ROUNDS", "7"))
SCREEN = "1366x768x24"

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
    area = app.primaryScreen().availableGeometry()  # sized as the IDE sizes its first window
    window.resize(min(1280, area.width() - 16), min(800, area.height() - 40))
    spy = FirstPaint()
    editor.viewport().installEventFilter(spy)
    window.show()
    app.exec()
""")


def _env(data_dir: str, platform: str = "offscreen", display: str | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # Users start from compiled bytecode (pip compiles at install time); a shell that forbids
    # writing .pyc files would make every start re-compile the app's sources and time the compiler.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update({"QT_QPA_PLATFORM": platform, "CUSTOMDB_DATA_DIR": data_dir,
                "CUSTOMDB_CACHE_DIR": str(Path(data_dir) / "cache"),
                "XDG_CONFIG_HOME": str(Path(data_dir) / "config"),
                "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}, **extra)
    if display is not None:
        env["DISPLAY"] = display
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


@contextlib.contextmanager
def xvfb() -> Iterator[str | None]:
    """A private Xvfb display (":N") for the duration, or None when Xvfb is not installed."""
    binary = shutil.which("Xvfb")
    if binary is None:
        yield None
        return
    number = next(n for n in range(91, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists()
                  and not Path(f"/tmp/.X{n}-lock").exists())
    # -noreset: Xvfb otherwise resets when its last client leaves, and the next start races it
    server = subprocess.Popen([binary, f":{number}", "-screen", "0", SCREEN, "-noreset", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        socket = Path(f"/tmp/.X11-unix/X{number}")
        deadline = time.time() + 10
        while not socket.exists() and time.time() < deadline and server.poll() is None:
            time.sleep(0.05)
        yield f":{number}" if socket.exists() else None
    finally:
        server.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(5)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as data_dir, xvfb() as display:
        project = Path(data_dir) / "new-project"
        subprocess.run([sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main())", "new",
                        str(project), "--name", "Bench"],
                       env=_env(data_dir), check=True, capture_output=True, timeout=120)
        app_cmd = [sys.executable, "-m", "app", str(project)]
        # first start: fills the caches a second start finds (jedi's, the lexer's); not measured
        _rss(app_cmd, _env(data_dir, CUSTOMDB_REPORT_RSS="1"))
        bare_file = Path(data_dir) / "bare.py"
        bare_file.write_text(BARE, encoding="utf-8")
        bare_cmd = [sys.executable, str(bare_file), str(project / "scripts" / "login.py")]

        platforms = [("offscreen", None)] + ([("xcb", display)] if display else [])
        times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name, _ in platforms}
        for _ in range(ROUNDS):  # interleaved, so drift hits both alike
            for name, disp in platforms:
                app_times, bare_times = times[name]
                bare_times.append(_painted_after(bare_cmd, _env(data_dir, name, disp)))
                app_times.append(_painted_after(app_cmd, _env(data_dir, name, disp, CUSTOMDB_EXIT_AFTER_PAINT="1")))
        for name, _ in platforms:
            app_times, bare_times = times[name]
            label = "offscreen" if name == "offscreen" else f"xcb under Xvfb {SCREEN}"
            report(f"start-up to a visible window, new project ({label})", statistics.median(app_times),
                   statistics.median(bare_times), 1.5, baseline_name="bare QMainWindow+QPlainTextEdit")
        if display is None:
            print("start-up under xcb: skipped (Xvfb is not installed)", flush=True)

        bare_rss = statistics.median(_rss(bare_cmd, _env(data_dir, BARE_RSS="1"))[0] for _ in range(3))
        samples = [_rss(app_cmd, _env(data_dir, CUSTOMDB_REPORT_RSS="1")) for _ in range(3)]
        app_rss = statistics.median(s[0] for s in samples)
        children = statistics.median(s[1] for s in samples)
        ratio = app_rss / bare_rss
        print(f"idle RSS after jedi warm-up: {app_rss / 2**20:.1f} MiB vs bare window {bare_rss / 2**20:.1f} MiB "
              f"= {ratio:.2f}x (target <= 2x){'  OK' if ratio <= 2 else '  OVER TARGET'}; "
              f"child processes (jedi, runner) {children / 2**20:.1f} MiB more", flush=True)
        from tests.benchmarks import RESULTS

        RESULTS.append(("idle RSS after jedi warm-up", app_rss, bare_rss, 2.0))


if __name__ == "__main__":
    main()
