"""The Node runner's three speed figures (issue 14 item 9), each against a baseline measured in the
same run:

1. a warm run of a JavaScript Login (SQLite through node:sqlite, bcrypt cost 4 served by bcryptjs)
   through a warm Node container vs the same function called in-process in Node on the same
   database (tests/benchmarks/js_in_process.js) — target <= 1.5x;
2. the first run of a JavaScript project while a spare Node child is ready vs the same first run
   with a cold start — target <= 0.1x;
3. starting a Node child with nothing pre-started (until it is ready) vs `node -e "require('pg')"`
   — target <= 1.3x.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import bcrypt

from tests.benchmarks import measure, report

ALICE = {"email": "alice@example.com", "password": "wonderland-42"}
ROOT = Path(__file__).resolve().parent.parent.parent
STORE = ROOT / "app" / "runtime" / "js" / "store" / "node_modules"

LOGIN = r"""
function login(email, password, callback) {
  const { DatabaseSync } = require('node:sqlite');
  const bcrypt = require('bcrypt');
  const db = global.db || (global.db = new DatabaseSync(configuration.DB_PATH));
  const row = db.prepare('SELECT id, email, password_hash FROM users WHERE email = ?').get(email);
  if (!row) return callback(new WrongUsernameOrPasswordError(email));
  bcrypt.compare(password, row.password_hash, (err, ok) => {
    if (err) return callback(err);
    if (!ok) return callback(new WrongUsernameOrPasswordError(email));
    callback(null, { user_id: 'legacy|' + row.id, email: row.email });
  });
}
"""


def _project(folder: Path):
    from tests.node_host_support import make_js_project

    root = folder / "bench"
    root.mkdir(parents=True)
    db = root / "legacy.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, password_hash TEXT)")
    con.execute("INSERT INTO users VALUES (1, ?, ?)",
                (ALICE["email"], bcrypt.hashpw(ALICE["password"].encode(), bcrypt.gensalt(4)).decode()))
    con.commit()
    con.close()
    return make_js_project(root, {"login": LOGIN})


def bench_warm_run(project) -> None:
    from app.engine.node import find_node
    from app.engine.runner import RunnerClient

    script = project.root / "scripts" / "login.js"
    spec = {"file": str(script), "script": "login", "args": [ALICE["email"], ALICE["password"]],
            "configuration": {"DB_PATH": str(project.root / "legacy.db")}}
    baseline = subprocess.Popen([find_node().path, str(Path(__file__).with_name("js_in_process.js")), json.dumps(spec)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def direct(n: int) -> float:
        baseline.stdin.write(f"{n}\n")
        baseline.stdin.flush()
        return float(baseline.stdout.readline())

    try:
        direct(20)
        with RunnerClient(project, use_spare=False) as client:
            result = client.run("login", ALICE)
            assert result.outcome == "ok", result.error
            warm, base = [], []
            for _ in range(15):  # interleaved, so machine noise hits both alike
                warm.append(measure(lambda: client.run("login", ALICE), repeat=1, number=20))
                base.append(direct(20))
    finally:
        baseline.kill()
        baseline.wait()
    report("warm run of a JavaScript Login through a warm Node container", statistics.median(warm),
           statistics.median(base), 1.5, "the same function called in-process in Node")


def _first_run(project, use_spare: bool) -> float:
    from app.engine.runner import RunnerClient

    client = RunnerClient(project, use_spare=use_spare)
    try:
        t0 = time.perf_counter()
        result = client.run("login", ALICE)
        elapsed = time.perf_counter() - t0
        assert result.outcome == "ok", result.error
        return elapsed
    finally:
        client.close()


def bench_first_run(project) -> None:
    from app.engine.node import find_node
    from app.engine.node_runner import node_spare_pool

    pool = node_spare_pool(find_node())
    spare, cold = [], []
    for _ in range(5):
        pool.wait_ready()
        spare.append(_first_run(project, use_spare=True))
        cold.append(_first_run(project, use_spare=False))
    pool.close()
    report("first run of a JavaScript project while a spare Node child is ready", statistics.median(spare),
           statistics.median(cold), 0.1, "the same first run with a cold start")


def bench_cold_start() -> None:
    from app.engine.node import find_node
    from app.engine.node_child import NodeChild

    runtime = find_node()
    env = {**os.environ, "NODE_PATH": str(STORE)}

    def start_child() -> None:
        NodeChild.start(runtime, wait_ready=True).close()

    def bare_require() -> None:
        subprocess.run([runtime.path, "-e", "require('pg')"], check=True, env=env)

    starts, bases = [], []
    for _ in range(7):
        starts.append(measure(start_child, repeat=1))
        bases.append(measure(bare_require, repeat=1))
    report("cold start of a Node runner child (until ready)", statistics.median(starts), statistics.median(bases),
           1.3, "node -e \"require('pg')\"")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = _project(Path(tmp))
        bench_warm_run(project)
        bench_first_run(project)
        bench_cold_start()


if __name__ == "__main__":
    main()
