"""`python -m app`: a verb runs the CLI, anything else the GUI; telling them apart imports nothing
(the GUI's start-up path asks too)."""

from __future__ import annotations

import os
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


def test_secret_overrides_are_still_adopted_and_keyring_stays_off_the_start_otherwise():
    from app import __main__ as entry
    from app.engine import secrets

    assert (entry.OVERRIDE_PREFIX, entry.OVERRIDE_PASSWORD) == (secrets.ENV_PREFIX, secrets.DATABASE_PASSWORD_ENV)
    code = ("import os, sys, app.__main__ as m\n"
            "m._adopt_secrets()\n"
            "print('keyring' in sys.modules, 'CUSTOMDB_CONFIG_API_KEY' in os.environ)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMDB_CONFIG_")
           and k != "CUSTOMDB_DATABASE_PASSWORD"}
    plain = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert plain.stdout.split() == ["False", "False"], plain.stderr
    with_override = subprocess.run([sys.executable, "-c", code], env=dict(env, CUSTOMDB_CONFIG_API_KEY="s3cret"),
                                   capture_output=True, text=True, timeout=60)
    assert with_override.stdout.split() == ["True", "False"], with_override.stderr  # moved out of the environment
