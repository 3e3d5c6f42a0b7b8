"""Start, talk to and end one runner child process.

The channel: a `multiprocessing.connection.Listener` on a private address (an AF_UNIX socket in a
0700 temp dir on POSIX, a named pipe on Windows) with a random authkey; the address and key reach
the child on its stdin, never in argv or the environment. The child's original stderr stays a pipe
to us: a segfault's faulthandler report arrives there and is kept (last 16 kB) for the crash message.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, Listener
from typing import Any

from app.engine.winjob import create_job_for, terminate_job
from app.runtime.processes import CONTAINER_MARK_ENV, kill_marked, kill_tree
from app.runtime.protocol import CHILD_FLAG, decode, encode

_HAS_POLL = sys.platform != "win32" and hasattr(select, "poll")  # Windows pipes cannot be polled
START_TIMEOUT_S = 60.0
_STDERR_TAIL = 16 * 1024


class ChildStartError(RuntimeError):
    """The child process could not be started or did not connect."""


def child_command() -> list[str]:
    """How to start a child: the frozen app itself, or this interpreter with `-m app`."""
    if getattr(sys, "frozen", False):
        return [sys.executable, CHILD_FLAG]
    return [sys.executable, "-m", "app", CHILD_FLAG]


def child_environment() -> dict[str, str]:
    """The IDE's environment without secret overrides: a script gets secrets only as `configuration`
    (masked in every output), never by reading os.environ. The debug console's jedi shares the
    editor's cache folder, which the editor has usually filled, so its first `db.` is quick."""
    from app.engine.userdata import app_cache_dir
    from app.runtime.jedi_cache import CACHE_DIR_ENV

    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CUSTOMDB_CONFIG_") and k != "CUSTOMDB_DATABASE_PASSWORD"}
    env.setdefault(CACHE_DIR_ENV, str(app_cache_dir() / "jedi"))
    return env


def _channel_address() -> tuple[str, str, str | None]:
    """(address, family, private dir to remove afterwards)."""
    if sys.platform == "win32":
        return rf"\\.\pipe\customdb-{os.getpid()}-{secrets.token_hex(8)}", "AF_PIPE", None
    folder = tempfile.mkdtemp(prefix="customdb-")  # mode 0700: only this user can reach the socket
    return os.path.join(folder, "c"), "AF_UNIX", folder


class Child:
    """One child process and its channel. Not thread-safe except `kill()` and `alive`."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.conn: Connection | None = None
        self.pid: int | None = None
        self.ready = threading.Event()
        self.started_at = time.monotonic()
        self._stderr_tail: collections.deque[bytes] = collections.deque()
        self._stderr_size = 0
        self._stderr_thread: threading.Thread | None = None
        self._killed = False
        self._poller: Any = None
        self._job: Any = None  # Windows: the job object holding the child and what it starts
        self._group_killed = False
        self._tree_killed = False  # its whole tree was killed while it lived
        self._mark = secrets.token_hex(12)  # in the child's environment: what it starts inherits it

    # -- start -------------------------------------------------------------------------------------
    @classmethod
    def start(cls, env: dict[str, str] | None = None, wait_ready: bool = False) -> Child:
        """Spawn a child and connect to it; with wait_ready, also wait until its imports are done."""
        child = cls()
        address, family, folder = _channel_address()
        authkey = secrets.token_bytes(32)
        listener = Listener(address, family=family, authkey=authkey)
        try:
            creation = getattr(subprocess, "CREATE_NO_WINDOW", 0)
            try:
                # a session (and process group) of its own: what the script starts is ended with it
                child.proc = subprocess.Popen(
                    child_command(), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                    env={**(child_environment() if env is None else env), CONTAINER_MARK_ENV: child._mark},
                    close_fds=True, creationflags=creation,
                    start_new_session=os.name == "posix")
            except OSError as e:
                raise ChildStartError(f"cannot start the runner child ({e.strerror or e})") from None
            child.pid = child.proc.pid
            child._job = create_job_for(child.pid)
            child._stderr_thread = threading.Thread(target=child._read_stderr, daemon=True,
                                                    name=f"customdb-child-stderr-{child.pid}")
            child._stderr_thread.start()
            hello = json.dumps({"address": address, "family": family, "authkey": authkey.hex()})
            with contextlib.suppress(OSError):  # stdin stays open: the child exits when it closes
                child.proc.stdin.write(hello.encode() + b"\n")
                child.proc.stdin.flush()
            child.conn = child._accept(listener, address, family, authkey)
        except BaseException:
            child.kill()
            raise
        finally:
            listener.close()
            if folder:
                shutil.rmtree(folder, ignore_errors=True)
        if wait_ready:
            child.wait_ready()
        return child

    def _accept(self, listener: Listener, address: str, family: str, authkey: bytes) -> Connection:
        """listener.accept() has no timeout: a watcher unblocks it if the child dies first."""
        accepted = threading.Event()
        gave_up: list[str] = []

        def watch() -> None:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not accepted.wait(0.05):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    gave_up.append("exited" if self.proc.poll() is not None else "timed out")
                    with contextlib.suppress(OSError):
                        Client(address, family=family, authkey=authkey).close()
                    return

        watcher = threading.Thread(target=watch, daemon=True, name="customdb-child-accept")
        watcher.start()
        try:
            conn = listener.accept()
        except (AuthenticationError, OSError, EOFError) as e:  # someone else knocked, or the child died mid-handshake
            self.kill()
            raise ChildStartError(f"the runner child could not connect ({type(e).__name__})") from None
        finally:
            accepted.set()
        if gave_up:
            conn.close()
            self.kill()
            raise ChildStartError(f"the runner child {gave_up[0]} before connecting{self._stderr_hint()}")
        return conn

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        """Read the child's `ready` event (its imports are done)."""
        if self.ready.is_set():
            return
        try:
            if not self.conn.poll(timeout):
                raise ChildStartError("the runner child did not get ready in time")
            message = decode(self.conn.recv_bytes())
        except (EOFError, OSError):
            self.wait_exit(2)
            raise ChildStartError(f"the runner child died while starting{self._stderr_hint()}") from None
        if message.get("ev") != "ready":
            raise ChildStartError(f"the runner child said {message.get('ev')!r} instead of ready")
        self.ready.set()

    # -- talk --------------------------------------------------------------------------------------
    def send(self, message: dict[str, Any]) -> None:
        self.conn.send_bytes(encode(message))

    def receive(self, timeout: float | None) -> dict[str, Any] | None:
        """The next event, or None when `timeout` passed. Raises EOFError when the child is gone."""
        if timeout is not None and not self._readable(max(timeout, 0)):
            return None
        return decode(self.conn.recv_bytes())

    def _readable(self, timeout: float) -> bool:
        if not _HAS_POLL:
            return self.conn.poll(timeout)
        if self._poller is None:  # one poll object: Connection.poll builds a selector per call
            self._poller = select.poll()
            self._poller.register(self.conn.fileno(), select.POLLIN)
        try:
            return bool(self._poller.poll(max(0, int(timeout * 1000 + 0.999))))
        except (ValueError, OSError):  # closed meanwhile
            raise EOFError from None

    # -- end ---------------------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and not self._killed

    def kill(self) -> None:
        """End the process now, with every process it started (its descendants, frozen first so
        none escapes meanwhile, and its process group; on Windows its job object). Safe from any
        thread, idempotent."""
        self._killed = True
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            kill_tree(proc.pid)  # POSIX; its pid is not reaped yet, so it cannot name another process
            self._tree_killed = True
            with contextlib.suppress(OSError):
                proc.kill()
        self._kill_group()
        job, self._job = self._job, None
        terminate_job(job)

    def _kill_group(self) -> None:
        """SIGKILL what is left in the child's process group (forks, subprocesses), also after the
        child itself died: the group's id stays taken while a member lives. A child that died on
        its own left its other descendants to init: they are found by the container's mark."""
        if os.name != "posix" or self.proc is None or self._group_killed:
            return
        self._group_killed = True
        died_alone = self.proc.poll() is not None and not self._tree_killed
        with contextlib.suppress(OSError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        if died_alone:
            kill_marked(self._mark)

    def close(self) -> None:
        """Kill the process and release the channel."""
        self.kill()
        if self.proc is not None and self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        if self.conn is not None:
            with contextlib.suppress(OSError):
                self.conn.close()
        self.wait_exit(2)

    def wait_exit(self, timeout: float) -> int | None:
        """Wait for the child's end (it is dying or was killed): what it started goes with it."""
        if self.proc is None:
            return None
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            code = None
        self._kill_group()
        return code

    # -- crash report ------------------------------------------------------------------------------
    def _read_stderr(self) -> None:
        stream = self.proc.stderr
        while True:
            chunk = stream.read1(8192) if hasattr(stream, "read1") else stream.read(8192)
            if not chunk:
                break
            self._stderr_tail.append(chunk)
            self._stderr_size += len(chunk)
            while self._stderr_size > _STDERR_TAIL and len(self._stderr_tail) > 1:
                self._stderr_size -= len(self._stderr_tail.popleft())
        stream.close()

    def stderr_text(self, wait: float = 1.0) -> str:
        """What the child wrote to its original stderr (a fatal error report, usually)."""
        if self._stderr_thread is not None:
            self._stderr_thread.join(wait)
        return b"".join(self._stderr_tail)[-_STDERR_TAIL:].decode("utf-8", "replace")

    def _stderr_hint(self) -> str:
        text = self.stderr_text(0.5).strip()
        return f": {text.splitlines()[-1]}" if text else ""

    def death_description(self) -> str:
        """How the process ended, in words: exit code or signal."""
        code = self.wait_exit(5)
        if code is None:
            return "the child process stopped answering"
        if code < 0:
            try:
                sig = signal.Signals(-code)
                name = f"{sig.name} ({signal.strsignal(sig) or sig.name})"
            except (ValueError, AttributeError):
                name = f"signal {-code}"
            return f"the child process was killed by {name}"
        return f"the child process exited with code {code}"
