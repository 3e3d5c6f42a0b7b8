"""`python -m app`: a verb runs the CLI, anything else the GUI; telling them apart imports nothing
(the GUI's start-up path asks too)."""

from __future__ import annotations

import subprocess
import sys


def test_the_verb_scan_imports_neither_the_cli_nor_argparse():
    code = ("import sys, app.__main__ as m\n"
            "verbs = m.cli_verbs()\n"
            "print(sorted(verbs), 'app.cli' in sys.modules, 'argparse' in sys.modules, 'pkgutil' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("False False False")
    import pkgutil

    import app.cli

    expected = sorted(m.name[len("verb_"):] for m in pkgutil.iter_modules(app.cli.__path__) if m.name.startswith("verb_"))
    assert out.stdout.startswith(str(expected))
    assert {"run", "new", "lint"} <= set(expected)
