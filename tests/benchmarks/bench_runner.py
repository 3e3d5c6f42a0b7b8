"""The runner's three speed figures (issue 3), each against a baseline measured in the same run:

1. a warm run of the sample Login (bcrypt cost 4) through a warm container vs calling the same entry
   in this process on the same database (a connection from a warm engine, a transaction per call
   rolled back afterwards, as a run does) — target <= 1.5x;
2. the first run of a project while a spare child is ready vs the same first run with a cold start —
   target <= 0.1x;
3. starting a child with nothing pre-started (until it is ready to run) vs
   `python -c "import sqlalchemy, bcrypt"` — target <= 1.3x.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks import measure, report

ALICE = {"email": "alice@example.com", "password": "wonderland-42"}


def _project(folder: Path):
    from app.engine.scaffold import create_project

    return create_project(folder / "bench", database="sqlite")


def _in_process_login(project):
    """The sample Login called directly: same source, same database, same injected names."""
    import logging

    from app.domain.entry import find_entry
    from app.domain.scripts import kind
    from app.runtime.namespace import injected, make_engine, module_globals

    source = project.read_script("login")
    import ast

    tree = ast.parse(source)
    entry = find_entry(tree, kind("login"))
    code = compile(tree, str(project.script_path("login")), "exec")
    engine = make_engine(project.resolved_database_url())
    log = logging.getLogger("bench")
    answers = []

    def once() -> None:
        with engine.connect() as db:
            db.begin()
            g = module_globals(injected({}, {}, db, log), str(project.script_path("login")), "login")
            exec(code, g)
            g[entry.name](ALICE["email"], ALICE["password"], lambda err=None, profile=None: answers.append(profile))
            db.rollback()

    once()
    assert answers[-1] and answers[-1]["user_id"], "the sample login did not log alice in"
    return once, engine


def bench_warm_run(project) -> None:
    from app.engine.runner import RunnerClient

    direct, engine = _in_process_login(project)
    with RunnerClient(project, use_spare=False) as client:
        result = client.run("login", ALICE)
        assert result.outcome == "ok", result.error
        # interleave the two so machine noise hits both alike
        warm, base = [], []
        for _ in range(15):
            warm.append(measure(lambda: client.run("login", ALICE), repeat=1, number=20))
            base.append(measure(direct, repeat=1, number=20))
    engine.dispose()
    report("warm run of the sample Login through a warm container", statistics.median(warm),
           statistics.median(base), 1.5, "the same entry called in-process")


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
    from app.engine.spare import spare_pool

    pool = spare_pool()
    spare, cold = [], []
    for _ in range(5):
        pool.wait_ready()
        spare.append(_first_run(project, use_spare=True))
        cold.append(_first_run(project, use_spare=False))
    pool.close()
    report("first run of a project while a spare is ready", statistics.median(spare), statistics.median(cold),
           0.1, "the same first run with a cold start")


def bench_cold_start() -> None:
    from app.engine.child import Child

    def start_child() -> None:
        child = Child.start(wait_ready=True)
        child.close()

    def bare_imports() -> None:
        subprocess.run([sys.executable, "-c", "import sqlalchemy, bcrypt"], check=True)

    starts, bases = [], []
    for _ in range(7):
        starts.append(measure(start_child, repeat=1))
        bases.append(measure(bare_imports, repeat=1))
    report("cold start of a runner child (until ready)", statistics.median(starts), statistics.median(bases),
           1.3, 'python -c "import sqlalchemy, bcrypt"')


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = _project(Path(tmp))
        bench_warm_run(project)
        bench_first_run(project)
        bench_cold_start()


if __name__ == "__main__":
    main()
