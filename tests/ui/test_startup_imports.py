"""The start-up rule: opening the window never imports jedi, SQLAlchemy, keyring or the runner.
They load on worker threads after the first paint (or at the first Run), which is what keeps the
IDE's start-up and idle memory close to a bare window's (tests/benchmarks/bench_startup.py)."""

from __future__ import annotations

import os
import subprocess
import sys

HEAVY = ("jedi", "sqlalchemy", "keyring", "app.engine.runner", "app.engine.database", "app.engine.completion")


def test_importing_the_gui_and_building_the_window_stays_light(project_dir, tmp_path):
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from app.domain.project import load_project\n"
        "from app.ui.main_window import MainWindow\n"
        f"window = MainWindow(load_project({str(project_dir)!r}))\n"
        "window.show()\n"
        "app.processEvents()\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CUSTOMDB_DATA_DIR=str(tmp_path / "data"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
