"""A secret given in the environment (CUSTOMDB_CONFIG_<KEY>, CUSTOMDB_DATABASE_PASSWORD) reaches the
script as `configuration` only: it is not in the child's environment, nor readable from the CLI's
own /proc/<pid>/environ, which the script (the same user) could open (RELIABILITY-REVIEW D13)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.runner_support import make_project

SECRET = "env-secret-value-99"

PEEK = '''
import os
def get_user(email, callback):
    with open(f"/proc/{os.getppid()}/environ", "rb") as f:
        parent = f.read().decode("latin-1")
    seen = "SEEN" if configuration["API_KEY"] in parent else "hidden"
    child = "SEEN" if "CUSTOMDB_CONFIG_API_KEY" in os.environ else "hidden"
    callback(None, {"user_id": f"{seen}|{child}|{len(configuration['API_KEY'])}", "email": email})
'''


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/<pid>/environ")
def test_the_script_cannot_read_an_environment_secret_from_the_cli_process(tmp_path):
    project = make_project(tmp_path / "proj", {"get_user": PEEK}, configuration="API_KEY = { secret = true }\n")
    env = {**os.environ, "CUSTOMDB_CONFIG_API_KEY": SECRET, "HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-m", "app", "run", str(project.root), "get_user",
                           "--input", '{"email": "a@b.c"}', "--json"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["result"]["user_id"] == f"hidden|hidden|{len(SECRET)}", result
    assert SECRET not in done.stdout
