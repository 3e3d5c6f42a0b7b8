"""What a script starts ends with its run (RELIABILITY-REVIEW D3): subprocesses (also in a session of
their own), os.fork copies and a double-forked setsid daemon are gone after an ok run of a warm
container, a timeout, Stop, a crash and a rehearsal. Linux: the processes are found by a marker in
their command line through /proc."""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import threading
import time

import pytest

from app.engine.rehearsal import Rehearsal
from app.engine.runner import RunnerClient
from tests.runner_support import GET_USER, LOGIN, make_project

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds processes through /proc")

ALICE = {"email": "alice@example.com", "password": "wonderland-42"}


def spawner(marker: str) -> str:
    """Statements that leave five sleepers behind, each with `marker` in its command line."""
    sleeper = f'[sys.executable, "-c", "import time; time.sleep(300)", "{marker}"]'
    return f'''
import os, subprocess, sys
subprocess.Popen({sleeper})
subprocess.Popen({sleeper}, start_new_session=True)
for _ in range(2):
    if os.fork() == 0:
        os.execv(sys.executable, {sleeper})
if os.fork() == 0:  # a daemon: fork, setsid, fork again, the middle one exits
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, {sleeper})
    os._exit(0)
'''


def marked(marker: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    cmdline = f.read()
                with open(f"/proc/{name}/stat", "rb") as f:
                    state = f.read().rsplit(b")", 1)[1].split()[0]
            except OSError:
                continue
            if marker.encode() in cmdline and state != b"Z":
                found.append(int(name))
    return found


def gone(marker: str, within: float = 15.0) -> bool:
    """True once no process carries the marker (the kill is asynchronous for a warm container)."""
    deadline = time.monotonic() + within
    while marked(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def started(marker: str, count: int = 5, within: float = 15.0) -> bool:
    deadline = time.monotonic() + within
    while len(marked(marker)) < count:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def login_with(prefix: str, tail: str = "") -> str:
    body = "".join(f"    {line}\n" for line in prefix.strip("\n").splitlines())
    return f"def login(email, password, callback):\n{body}{tail}    callback(None, {{'user_id': 'legacy|1', 'email': email}})\n"


@pytest.fixture
def marker():
    m = f"customdb-test-sleeper-{secrets.token_hex(6)}"
    yield m
    for pid in marked(m):  # never leave anything behind, whatever the test's verdict
        with contextlib.suppress(OSError):
            os.kill(pid, 9)


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj", {"login": LOGIN, "get_user": GET_USER}, timeout_s=20)


def test_processes_end_with_an_ok_run_while_the_container_stays(project, marker):
    with RunnerClient(project) as client:
        result = client.run("login", ALICE, source=login_with(spawner(marker)))
        assert result.outcome == "ok", result.error
        assert gone(marker), marked(marker)
        assert client.run("login", ALICE).outcome == "ok"  # the same container goes on


def test_processes_end_with_a_timeout(project, marker):
    with RunnerClient(project) as client:
        source = login_with(spawner(marker) + "\nwhile True:\n    pass\n")
        result = client.run("login", ALICE, source=source, timeout=4)
        assert result.outcome == "timeout"
        assert gone(marker), marked(marker)


def test_processes_end_with_stop(project, marker):
    with RunnerClient(project) as client:
        source = login_with(spawner(marker) + "\nimport time\ntime.sleep(120)\n")
        results = []
        worker = threading.Thread(target=lambda: results.append(client.run("login", ALICE, source=source)))
        worker.start()
        assert started(marker)
        client.stop()
        worker.join(30)
        assert results and results[0].outcome != "ok"
        assert gone(marker), marked(marker)


def test_processes_end_when_the_script_kills_its_own_container(project, marker):
    """The child dies on its own (os._exit): its process group is killed and what left the group
    (a new session, a daemon) is found by the container's mark in its environment."""
    with RunnerClient(project) as client:
        source = login_with(spawner(marker) + "\nimport time\ntime.sleep(1)\nos._exit(3)\n")
        result = client.run("login", ALICE, source=source)
        assert result.outcome == "crashed"
        assert gone(marker), marked(marker)
        assert client.run("login", ALICE).outcome == "ok"


def test_processes_end_with_a_rehearsal(project, marker):
    project.write_script("get_user", "def get_user(email, callback):\n"
                         + "".join(f"    {line}\n" for line in spawner(marker).strip("\n").splitlines())
                         + "    callback(None, {'user_id': email, 'email': email})\n")
    report = Rehearsal(project, limit=1).run()
    assert report.users == 1, report.to_dict()
    assert gone(marker), marked(marker)
