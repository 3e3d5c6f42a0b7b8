"""Start, talk to and end one runner child process.

The channel (docs/protocol.md): the parent listens on a private address (an AF_UNIX socket in a
0700 temp dir on POSIX, TCP on 127.0.0.1 with port 0 on Windows), writes the address and a random
token as one JSON line on the child's stdin (never argv or the environment) and closes it; the
child connects and proves itself with the token in its `hello`. Exactly one connection is accepted.
The child's original stderr stays a pipe to us: a segfault's faulthandler report arrives there and
is kept (last 16 kB) for the crash message.
"""

from __future__ import annotations

import collections
import contextlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from app.engine.winjob import create_job_for, terminate_job
from app.runtime.processes import CONTAINER_MARK_ENV, kill_marked, kill_tree
from app.runtime.protocol import (
    CHILD_FLAG,
    CHILD_TYPES,
    PROTOCOL_VERSION,
    TOKEN_BYTES,
    Connection,
    ProtocolError,
)

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


def _listen() -> tuple[socket.socket, str, str | None]:
    """(listening socket, the address the child is told, private dir to remove afterwards)."""
    if sys.platform == "win32" or not hasattr(socket, "AF_UNIX"):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))  # port 0: the system picks a free port, never a fixed one
        listener.listen(1)
        return listener, f"127.0.0.1:{listener.getsockname()[1]}", None
    folder = tempfile.mkdtemp(prefix="customdb-")  # mode 0700: only this user can reach the socket
    path = os.path.join(folder, "c")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(path)
        listener.listen(1)
    except OSError:
        listener.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return listener, path, folder


class Child:
    """One child process and its channel. Not thread-safe except `kill()` and `alive`."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.conn: Connection | None = None
        self.pid: int | None = None
        self.hello: dict[str, Any] = {}
        self.ready = threading.Event()
        self.started_at = time.monotonic()
        self._stderr_tail: collections.deque[bytes] = collections.deque()
        self._stderr_size = 0
        self._stderr_thread: threading.Thread | None = None
        self._killed = False
        self._job: Any = None  # Windows: the job object holding the child and what it starts
        self._group_killed = False
        self._tree_killed = False  # its whole tree was killed while it lived
        self._mark = secrets.token_hex(12)  # in the child's environment: what it starts inherits it

    # -- start -------------------------------------------------------------------------------------
    @classmethod
    def start(cls, env: dict[str, str] | None = None, wait_ready: bool = False) -> Child:
        """Spawn a child and take its `hello`; with wait_ready, also wait until its imports are done."""
        child = cls()
        token = secrets.token_hex(TOKEN_BYTES)
        try:
            listener, address, folder = _listen()
        except OSError as e:
            raise ChildStartError(f"cannot open the runner channel ({e.strerror or e})") from None
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
            line = json.dumps({"address": address, "token": token, "protocol": PROTOCOL_VERSION})
            with contextlib.suppress(OSError):  # a child that died already is reported by the accept
                child.proc.stdin.write(line.encode() + b"\n")
                child.proc.stdin.close()  # a script reading stdin sees end of file
            child.conn = child._accept(listener, token)
        except BaseException:
            child.kill()
            raise
        finally:
            listener.close()  # exactly one connection: nobody else can knock afterwards
            if folder:
                shutil.rmtree(folder, ignore_errors=True)
        if wait_ready:
            child.wait_ready()
        return child

    def _accept(self, listener: socket.socket, token: str) -> Connection:
        """Accept one connection and its `hello`, giving up when the child dies or takes too long."""
        deadline = time.monotonic() + START_TIMEOUT_S
        listener.settimeout(0.05)
        while True:
            try:
                sock, _ = listener.accept()
                break
            except TimeoutError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    how = "exited" if self.proc.poll() is not None else "timed out"
                    self.kill()
                    raise ChildStartError(f"the runner child {how} before connecting{self._stderr_hint()}") from None
            except OSError as e:
                self.kill()
                raise ChildStartError(f"the runner child could not connect ({e.strerror or e})") from None
        sock.setblocking(True)
        if sock.family == socket.AF_INET:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = Connection(sock, CHILD_TYPES)
        try:
            hello = conn.recv(max(deadline - time.monotonic(), 1.0))
        except (EOFError, ProtocolError):
            hello = None
        if (hello is None or hello.get("type") != "hello" or not isinstance(hello.get("token"), str)
                or not hmac.compare_digest(hello["token"].encode(), token.encode())):
            conn.close()
            self.kill()
            raise ChildStartError("the runner child did not identify itself on the channel "
                                  f"(no hello with the right token){self._stderr_hint()}")
        if hello.get("protocol") != PROTOCOL_VERSION:
            conn.close()
            self.kill()
            raise ChildStartError(f"the runner child speaks protocol {hello.get('protocol')!r}, "
                                  f"not {PROTOCOL_VERSION}")
        self.hello = {k: v for k, v in hello.items() if k != "token"}
        return conn

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        """Read the child's `ready` event (its imports are done)."""
        if self.ready.is_set():
            return
        try:
            message = self.conn.recv(timeout)
        except (EOFError, ProtocolError):
            self.wait_exit(2)
            raise ChildStartError(f"the runner child died while starting{self._stderr_hint()}") from None
        if message is None:
            raise ChildStartError("the runner child did not get ready in time")
        if message.get("type") != "ready":
            raise ChildStartError(f"the runner child said {message.get('type')!r} instead of ready")
        self.ready.set()

    # -- talk --------------------------------------------------------------------------------------
    def send(self, message: dict[str, Any]) -> None:
        self.conn.send(message)

    def receive(self, timeout: float | None) -> dict[str, Any] | None:
        """The next message, or None when `timeout` passed (also in the middle of a frame that never
        completes). Raises EOFError when the child is gone and ProtocolError when it broke the
        protocol (the caller kills it)."""
        message = self.conn.recv(timeout)
        if message is not None and message.get("type") == "ready":
            self.ready.set()
        return message

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
