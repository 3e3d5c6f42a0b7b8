"""The processes a script starts (subprocess, os.fork, a daemon) end with its run.

The runner child is started in a session and process group of its own (app/engine/child.py) and,
on Linux, is a child subreaper (`PR_SET_CHILD_SUBREAPER`): a descendant whose parent exits (the
first half of a double fork) is re-parented to the runner child instead of init, so it stays a
descendant, wherever its session or group went (`setsid`, `start_new_session=True`).

- After every command (run, debug, rehearsal batch) the child ends all its descendants
  (`end_children`); a command that started none costs one `waitpid` call.
- When the parent kills the child (time limit, Stop, recycle, exit), it freezes the whole tree with
  SIGSTOP (a stopped process cannot fork), collects it again until nothing new appears, then
  SIGKILLs it and the child's process group (`kill_tree`), so nothing escapes while it is killed.
- Windows: the parent puts the child in a job object that is terminated with it (child.py); the
  end of an ok run ends nothing there (the job ends with the container).

- When the runner child died on its own (os._exit, a segfault, a kill from outside), what it
  started has been re-parented to init: those processes are found by the container's mark, a
  random `CUSTOMDB_CONTAINER` value in the child's start-up environment, which every fork and every
  program it runs inherits (`kill_marked`, Linux).

What is not covered: a process started with an environment of its own (`env=...` without the
mark) outside the child's process group, once the runner child died abruptly. Other POSIX systems
(macOS) have no /proc and no subreaper: there only the child's process group is killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

_LINUX = sys.platform.startswith("linux")
_PR_SET_CHILD_SUBREAPER = 36
_FREEZE_ROUNDS = 20
_REAP_S = 2.0


def become_subreaper() -> bool:
    """Make orphaned descendants of this process its children (Linux only); True when it worked."""
    if not _LINUX:
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process this user can see (Linux /proc)."""
    table: dict[int, int] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:  # gone meanwhile
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ")"
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 1 and fields[0] != b"Z":
            table[int(name)] = int(fields[1])
    return table


def descendants(pid: int) -> list[int]:
    """The living descendants of `pid` (Linux), parents before their children."""
    if not _LINUX:
        return []
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child != pid and child not in found:
                found.append(child)
                todo.append(child)
    return found


def _signal(pids: list[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, sig)


def _freeze(root: int, include_root: bool) -> list[int]:
    """SIGSTOP every descendant of `root` (and `root` itself when asked) until no new one appears."""
    stopped: list[int] = []
    if include_root:
        _signal([root], signal.SIGSTOP)
        stopped.append(root)
    for _ in range(_FREEZE_ROUNDS):
        new = [p for p in descendants(root) if p not in stopped]
        if not new:
            break
        _signal(new, signal.SIGSTOP)
        stopped.extend(new)
    return stopped


def kill_tree(pid: int, pgid: int | None = None) -> None:
    """The parent's kill: `pid`, every descendant (frozen first, so none forks away while it is
    killed) and the process group `pgid`. POSIX only; safe to call for a process already gone."""
    if os.name != "posix":
        return
    frozen = _freeze(pid, include_root=True) if _LINUX else [pid]
    _signal(frozen, signal.SIGKILL)
    if pgid is not None:
        with contextlib.suppress(OSError):
            os.killpg(pgid, signal.SIGKILL)
    _signal(frozen, signal.SIGCONT)  # a SIGKILL is delivered to a stopped process anyway; harmless


CONTAINER_MARK_ENV = "CUSTOMDB_CONTAINER"


def kill_marked(mark: str) -> int:
    """SIGKILL every process whose start-up environment holds CUSTOMDB_CONTAINER=<mark> (Linux);
    returns how many. The mark is random per container, so it names no other process."""
    if not _LINUX or not mark:
        return 0
    needle = f"{CONTAINER_MARK_ENV}={mark}".encode()
    me = os.getpid()
    killed = 0
    try:
        names = os.listdir("/proc")
    except OSError:
        return 0
    for name in names:
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                environ = f.read()
        except OSError:  # gone, or another user's
            continue
        if needle in environ.split(b"\0"):
            with contextlib.suppress(OSError):
                os.kill(int(name), signal.SIGKILL)
                killed += 1
    return killed


def end_children() -> int:
    """In the runner child, after a command: end every process the script started and reap them.
    Returns how many were ended."""
    if os.name != "posix" or not _has_children():
        return 0
    frozen = _freeze(os.getpid(), include_root=False) if _LINUX else []
    _signal(frozen, signal.SIGKILL)
    _reap()
    return len(frozen)


def _has_children() -> bool:
    """True when a child process of ours is still running (zombies are reaped on the way)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        except OSError:
            return True
        if pid == 0:
            return True


def _reap() -> None:
    """Collect the killed children (and the orphans re-parented to us as they died)."""
    deadline = time.monotonic() + _REAP_S
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.005)
