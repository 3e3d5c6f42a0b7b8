"""Start, talk to and end one Node runner child (`node app/runtime/js/host.js`).

The channel is wire protocol v1 (docs/protocol.md): the parent listens on an AF_UNIX socket in a
fresh 0700 folder (TCP on 127.0.0.1 on Windows), writes one JSON line with the address and a
token on the child's stdin and closes it; the child connects, says `hello` (checked in constant
time, one connection only), then `ready`. Frames are a 4-byte big-endian length and UTF-8 JSON.
The child runs in its own process group, so a kill also ends what a script spawned. Its fds 1
and 2 are drained by threads (the last 16 kB kept for a crash message), so a flood never blocks it.
"""

from __future__ import annotations

import collections
import contextlib
import hmac
import json
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from app.engine.child import ChildStartError
from app.engine.node import NodeRuntime, parse_version

HOST_JS = Path(__file__).resolve().parent.parent / "runtime" / "js" / "host.js"
PROTOCOL = 1
MAX_FRAME = 16 * 1024 * 1024
START_TIMEOUT_S = 60.0
_TAIL = 16 * 1024
_IS_WIN = sys.platform == "win32"


class NodeStartError(ChildStartError):
    """The Node child could not be started or did not connect (a ChildStartError like the Python
    child's, so the container reports it the same way)."""


class ChannelBroken(RuntimeError):
    """The child sent something the protocol forbids; str() says what."""


def host_script() -> Path:
    """host.js of this installation (in the frozen app: beside the bundled Python runtime)."""
    base = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and base:
        return Path(base) / "app" / "runtime" / "js" / "host.js"
    return HOST_JS


def node_environment() -> dict[str, str]:
    """The IDE's environment without secret overrides and without Node switches a user's shell may
    carry (NODE_OPTIONS could preload code or open an inspector port). In the frozen app, the
    library path is the user's again: the bundle's own libraries are not node's."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CUSTOMDB_CONFIG_") and k != "CUSTOMDB_DATABASE_PASSWORD"
           and k not in ("NODE_OPTIONS", "NODE_PATH", "NODE_REPL_EXTERNAL_MODULE")}
    if getattr(sys, "frozen", False):
        for name in ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH"):
            original = env.pop(f"{name}_ORIG", None)  # what PyInstaller's bootloader replaced
            if original is not None:
                env[name] = original
            else:
                env.pop(name, None)
    return env


class NodeChild:
    """One Node process and its channel. Not thread-safe except `kill()` and `alive`."""

    def __init__(self, runtime: NodeRuntime):
        self.runtime = runtime
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.pid: int | None = None
        self.version: str = ""  # "node v22.20.0", from the hello
        self.ready = threading.Event()
        self.started_at = time.monotonic()
        self._buf = bytearray()
        self._tail: collections.deque[bytes] = collections.deque()
        self._tail_size = 0
        self._tail_lock = threading.Lock()
        self._drains: list[threading.Thread] = []
        self._killed = False

    # -- start -------------------------------------------------------------------------------------
    @classmethod
    def start(cls, runtime: NodeRuntime, wait_ready: bool = False) -> NodeChild:
        child = cls(runtime)
        folder = None
        if _IS_WIN:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.bind(("127.0.0.1", 0))
            address = f"127.0.0.1:{listener.getsockname()[1]}"
        else:
            folder = tempfile.mkdtemp(prefix="customdb-js-")  # 0700: only this user reaches the socket
            address = os.path.join(folder, "c")
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(address)
        listener.listen(1)
        token = secrets.token_hex(32)
        try:
            try:
                child.proc = subprocess.Popen(
                    [runtime.path, str(host_script())], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, env=node_environment(), close_fds=True,
                    start_new_session=not _IS_WIN,
                    creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0)
                    | getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0))
            except OSError as e:
                raise NodeStartError(f"cannot start Node ({runtime.path}: {e.strerror or e})") from None
            child.pid = child.proc.pid
            for stream in (child.proc.stdout, child.proc.stderr):
                t = threading.Thread(target=child._drain, args=(stream,), daemon=True,
                                     name=f"customdb-node-drain-{child.pid}")
                t.start()
                child._drains.append(t)
            line = json.dumps({"address": address, "token": token, "protocol": PROTOCOL}) + "\n"
            with contextlib.suppress(OSError):
                child.proc.stdin.write(line.encode())
                child.proc.stdin.close()  # a script reading stdin sees end of file
            child._accept(listener, token)
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

    def _accept(self, listener: socket.socket, token: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        listener.settimeout(0.05)
        while True:
            if self.proc.poll() is not None:
                raise NodeStartError(f"Node exited before connecting{self._hint()}")
            if time.monotonic() > deadline:
                raise NodeStartError("Node did not connect in time")
            try:
                conn, _ = listener.accept()
                break
            except TimeoutError:
                continue
        conn.settimeout(None)
        if not _IS_WIN:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        else:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = conn
        try:
            hello = self.receive(max(0.0, deadline - time.monotonic()))
        except (EOFError, OSError, ChannelBroken) as e:
            raise NodeStartError(f"Node broke the handshake ({e or type(e).__name__}){self._hint()}") from None
        if hello is None:
            raise NodeStartError("Node did not say hello in time")
        if hello.get("type") != "hello" or not hmac.compare_digest(str(hello.get("token", "")), token):
            raise NodeStartError("the process that connected is not our Node child (bad hello)")
        self.version = str(hello.get("runtime") or "")

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        if self.ready.is_set():
            return
        try:
            message = self.receive(timeout)
        except (EOFError, OSError, ChannelBroken):
            raise NodeStartError(f"Node died while starting{self._hint()}") from None
        if message is None:
            raise NodeStartError("Node did not get ready in time")
        if message.get("type") != "ready":
            raise NodeStartError(f"Node said {message.get('type')!r} instead of ready")
        self.ready.set()

    @property
    def major(self) -> int | None:
        version = parse_version(self.version)
        return version[0] if version else None

    # -- talk --------------------------------------------------------------------------------------
    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
        self.sock.sendall(len(body).to_bytes(4, "big") + body)

    def receive(self, timeout: float | None) -> dict[str, Any] | None:
        """The next message, or None when `timeout` passed (a partial frame waits too). Raises
        EOFError when the child is gone and ChannelBroken on a frame the protocol forbids."""
        deadline = None if timeout is None else time.monotonic() + max(timeout, 0)
        while True:
            message = self._frame()
            if message is not None:
                return message
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                return None
            try:
                readable, _, _ = select.select([self.sock], [], [], wait)
            except (ValueError, OSError):
                raise EOFError from None
            if not readable:
                return None
            try:
                chunk = self.sock.recv(1 << 18)
            except OSError:
                raise EOFError from None
            if not chunk:
                raise EOFError
            self._buf += chunk

    def _frame(self) -> dict[str, Any] | None:
        buf = self._buf
        if len(buf) < 4:
            return None
        n = int.from_bytes(buf[:4], "big")
        if n == 0 or n > MAX_FRAME:
            raise ChannelBroken(f"a frame header announced {n} bytes (limit {MAX_FRAME})")
        if len(buf) < 4 + n:
            return None
        body = bytes(buf[4:4 + n])
        del buf[:4 + n]
        try:
            message = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise ChannelBroken("a frame that is not UTF-8") from None
        except ValueError:
            raise ChannelBroken("a frame that is not JSON") from None
        if not isinstance(message, dict):
            raise ChannelBroken("a frame that is not a JSON object")
        if not isinstance(message.get("type"), str):
            raise ChannelBroken("a message without a string \"type\"")
        return message

    # -- end ---------------------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and not self._killed

    def kill(self) -> None:
        """End the process and everything it started (its process group), now; idempotent."""
        self._killed = True
        proc = self.proc
        if proc is None:
            return
        if not _IS_WIN:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)  # the group outlives its leader: kill it anyway
        if proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.kill()

    def close(self) -> None:
        self.kill()
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
        self.wait_exit(2)

    def wait_exit(self, timeout: float) -> int | None:
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    # -- crash report ------------------------------------------------------------------------------
    def _drain(self, stream: Any) -> None:
        try:
            while chunk := (stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)):
                with self._tail_lock:
                    self._tail.append(chunk)
                    self._tail_size += len(chunk)
                    while self._tail_size > _TAIL and len(self._tail) > 1:
                        self._tail_size -= len(self._tail.popleft())
        except (OSError, ValueError):
            pass
        with contextlib.suppress(OSError):
            stream.close()

    def stderr_text(self, wait: float = 1.0) -> str:
        """The Python child's name for output_tail(): what a crash message quotes."""
        return self.output_tail(wait)

    def output_tail(self, wait: float = 1.0) -> str:
        """What the process wrote to its own fds 1 and 2 (a fatal error report, usually)."""
        end = time.monotonic() + wait
        for t in self._drains:
            t.join(max(0.0, end - time.monotonic()))
        with self._tail_lock:
            return b"".join(self._tail)[-_TAIL:].decode("utf-8", "replace")

    def _hint(self) -> str:
        text = self.output_tail(0.5).strip()
        return f": {text.splitlines()[-1]}" if text else ""

    def death_description(self) -> str:
        code = self.wait_exit(5)
        if code is None:
            return "the Node child stopped answering"
        if code < 0:
            try:
                sig = signal.Signals(-code)
                name = f"{sig.name} ({signal.strsignal(sig) or sig.name})"
            except (ValueError, AttributeError):
                name = f"signal {-code}"
            return f"the Node child was killed by {name}"
        return f"the Node child exited with code {code}"
