"""`customdb-studio --smoke-test`: one line per check, exit 0 only if all pass, never hangs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app import smoke

ROOT = Path(__file__).resolve().parent.parent


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
               HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("CUSTOMDB_DATA_DIR", None)
    return env


@pytest.mark.slow
def test_smoke_test_of_the_source_tree_passes_every_check(tmp_path):
    """The real pieces: window on the sample, jedi `db.`, alice's Login in a runner child."""
    report = tmp_path / "report.txt"
    proc = subprocess.run([sys.executable, "-m", "app", "--smoke-test", "--report", str(report)],
                          cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    lines = proc.stdout.splitlines()
    checks = [line for line in lines if line.startswith(("ok ", "FAIL"))]
    assert [c.split(":")[0].split()[-1] for c in checks] == ["window", "completion", "runner", "javascript",
                                                             "js-completion", "keychain", "drivers"], proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert all(c.startswith("ok   ") for c in checks)
    assert "alice@example.com -> ok" in proc.stdout
    assert "JavaScript sample Login alice@example.com -> ok" in proc.stdout  # Node, the store, the embedded db
    assert "`configuration.` -> DB_URL, SMOKE_KEY" in proc.stdout  # the bundled TypeScript server
    assert lines[-1] == "smoke test: 7 passed, 0 failed"
    assert report.read_text().splitlines() == lines  # the report file carries the same lines
    # it worked on a temporary copy: nothing was written to the user's data folder
    assert not (tmp_path / "data" / "customdb-studio").exists()


def test_failures_are_reported_one_line_each_and_fail_the_run(monkeypatch, tmp_path):
    def missing(self):
        raise smoke.MissingPiece("app.engine.runner is missing (not built yet, or not in the bundle)")

    def broken(self):
        raise ValueError("no\nnewlines   please")

    monkeypatch.setattr(smoke.Smoke, "check_window", lambda self: "fine")
    monkeypatch.setattr(smoke.Smoke, "check_completion", broken)
    monkeypatch.setattr(smoke.Smoke, "check_runner", missing)
    monkeypatch.setattr(smoke.Smoke, "check_javascript", lambda self: "node")
    monkeypatch.setattr(smoke.Smoke, "check_js_completion", lambda self: "tsc")
    monkeypatch.setattr(smoke.Smoke, "check_keychain", lambda self: "keyring.backends.null.Keyring")
    monkeypatch.setattr(smoke.Smoke, "check_drivers", lambda self: "sqlite")
    # run_smoke points these at its folder; monkeypatch restores them after the test
    monkeypatch.setenv("CUSTOMDB_DATA_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("CUSTOMDB_CACHE_DIR", str(tmp_path / "cache"))
    report = smoke.Report()
    status = smoke.run_smoke(report, tmp_path)
    assert status == 1
    assert report.lines[1:] == [
        "ok   window: fine",
        "FAIL completion: ValueError: no newlines please",
        "FAIL runner: app.engine.runner is missing (not built yet, or not in the bundle)",
        "ok   javascript: node",
        "ok   js-completion: tsc",
        "ok   keychain: keyring.backends.null.Keyring",
        "ok   drivers: sqlite",
        "smoke test: 5 passed, 2 failed",
    ]


def test_missing_module_becomes_a_missing_piece_but_other_import_errors_do_not():
    with pytest.raises(smoke.MissingPiece, match="app.engine.nothing_here is missing"):
        smoke._import("app.engine.nothing_here")
    with pytest.raises(smoke.MissingPiece, match="has no NoSuchName"):
        smoke._import("app.smoke", "NoSuchName")


def test_a_hung_check_fails_instead_of_hanging(tmp_path):
    script = textwrap.dedent("""
        import sys, time
        from pathlib import Path
        from app import smoke
        smoke.TIMEOUTS["window"] = 0.5
        smoke.Smoke.check_window = lambda self: time.sleep(60)
        sys.exit(smoke.run_smoke(smoke.Report(out=sys.stdout), Path(sys.argv[1])))
    """)
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    assert "FAIL window: no answer within 0.5 s (hung?)" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "smoke test: 0 passed, 1 failed"


def test_a_bundle_without_the_default_window_layout_fails_the_window_check(tmp_path):
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from app import smoke
        from app.ui import window_layout
        window_layout.DEFAULT_STATE = Path(sys.argv[1]) / "left-out.bin"
        for name in ("completion", "runner", "javascript", "js_completion", "keychain", "drivers"):
            setattr(smoke.Smoke, f"check_{name}", lambda self: "skipped here")
        sys.exit(smoke.run_smoke(smoke.Report(out=sys.stdout), Path(sys.argv[1])))
    """)
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL window: the default window layout is not in the bundle" in proc.stdout


def test_unknown_argument_is_a_usage_error(capsys):
    assert smoke.main(["--bogus"]) == 2
    assert "usage: customdb-studio --smoke-test" in capsys.readouterr().err
