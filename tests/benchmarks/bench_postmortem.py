"""What the post-mortem costs a failed run: a warm run whose helper raises with a dozen locals in each
of three script frames (one of them a 5,000-row list) and a `raise ... from` chain, through a warm
container, vs the same script answering `callback(None, ...)` where it would raise (same work, same
locals, no failure, so no capture) — target <= 1.3x: capture must not make failures feel slower."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.benchmarks import measure, report

SCRIPT = '''
def deepest(rows, email):
    wanted = email.lower()
    matches = [r for r in rows if r["email"] == wanted]
    a, b, c, d, e, f = 1, 2.5, "three", [4], {"five": 5}, (6,)
    if FAIL:
        raise KeyError(wanted)
    return matches

def middle(rows, email):
    count = len(rows)
    sample = rows[:3]
    try:
        return deepest(rows, email)
    except KeyError as e:
        raise LookupError(f"no user {email}") from e

def get_user(email, callback):
    rows = [{"id": i, "email": f"user{i}@example.com"} for i in range(5000)]
    headers = {"X-Trace": "abc", "X-Count": str(len(rows))}
    found = middle(rows, email)
    return callback(None, {"user_id": "legacy|1", "email": email, "n": len(found)})
'''


def main() -> None:
    from app.engine.runner import RunnerClient
    from tests.runner_support import make_project

    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp) / "p", {"get_user": "def get_user(email, callback):\n    callback(None)\n"})
        failing, passing = SCRIPT.replace("if FAIL:", "if True:"), SCRIPT.replace("if FAIL:", "if False:")
        with RunnerClient(project) as client:
            r = client.run("get_user", {"email": "nobody@example.com"}, source=failing)
            assert r.outcome == "error" and r.error["chain"] and r.error["traceback"][-1]["locals"], r.error
            assert client.run("get_user", {"email": "x@example.com"}, source=passing).outcome == "ok"
            failed = measure(lambda: client.run("get_user", {"email": "nobody@example.com"}, source=failing),
                             repeat=15, number=3)
            ok = measure(lambda: client.run("get_user", {"email": "x@example.com"}, source=passing),
                         repeat=15, number=3)
    report("failed run with post-mortem (3 frames, chain)", failed, ok, 1.3, "the same run succeeding")


if __name__ == "__main__":
    main()
