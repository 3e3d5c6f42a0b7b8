"""The rehearsal's speed figure (issue 8): rehearsing 100,000 legacy users in SQLite must reach at
least half the throughput of calling the same Get User function in a plain Python loop in one
process on the same database — i.e. take at most 2x the loop's time.

The rehearsal is timed as `customdb rehearse` does it (child start, identifier query, two calls per
user with a rollback after any call that wrote, profile checks, streaming, the parent's tally). The
baseline execs the same script with the runtime's injected names (plain `text`) and calls the entry
once per e-mail on one connection, after fetching the e-mails. Both the legacy (read-only) and the
migration (marks users migrated) Get User templates are measured; best of 2 alternating rounds.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

from tests.benchmarks import report

USERS = 100_000


def _plain_loop(project) -> float:
    from sqlalchemy import text

    from app.runtime.namespace import injected, make_engine, module_globals

    engine = make_engine(project.resolved_database_url())
    source = project.read_script("get_user")
    code = compile(source, str(project.script_path("get_user")), "exec")
    with engine.connect() as db:
        emails = [row[0] for row in db.execute(text("SELECT email FROM users"))]
        db.rollback()
        g = module_globals(injected({}, {}, db, logging.getLogger("bench")), "get_user.py", "get_user")
        exec(code, g)
        get_user = g["get_user"]
        answers = []
        callback = lambda *args: answers.append(args)  # noqa: E731
        started = time.perf_counter()
        with db.begin():
            for email in emails:
                get_user(email, callback)
            elapsed = time.perf_counter() - started
            db.rollback()
    engine.dispose()
    assert len(answers) == len(emails) == USERS
    return elapsed


def _rehearsal(project) -> float:
    from app.engine.rehearsal import Rehearsal

    started = time.perf_counter()
    result = Rehearsal(project).run()
    elapsed = time.perf_counter() - started
    assert result.users == USERS and result.failed == 0, result.to_dict()
    return elapsed


def main() -> None:
    from app.engine.sample import generate_legacy_db
    from app.engine.scaffold import create_project

    with tempfile.TemporaryDirectory() as tmp:
        database = generate_legacy_db(Path(tmp) / "legacy.db", users=USERS)  # bcrypt hashes shared by pool
        for mode in ("legacy", "migration"):
            project = create_project(Path(tmp) / mode, mode=mode)
            (project.root / "legacy.db").unlink()
            (project.root / "legacy.db").symlink_to(database)
            loop_s, rehearse_s = [], []
            for _ in range(2):
                loop_s.append(_plain_loop(project))
                rehearse_s.append(_rehearsal(project))
            best_loop, best_rehearsal = min(loop_s), min(rehearse_s)
            print(f"{mode}: rehearsal {USERS / best_rehearsal:,.0f} users/s, plain loop {USERS / best_loop:,.0f} "
                  f"calls/s (throughput ratio {best_loop / best_rehearsal:.2f}, target >= 0.5)")
            report(f"rehearsal of {USERS:,} users ({mode} Get User)", best_rehearsal, best_loop, 2.0,
                   baseline_name="plain Python loop")


if __name__ == "__main__":
    main()
