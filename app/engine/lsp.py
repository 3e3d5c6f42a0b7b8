"""A small Language Server Protocol client: one server process on stdio, no Qt.

Just what the editor's JavaScript service needs: requests with a timeout, notifications, answers to
the server's own requests, and the last diagnostics published per document. A reader thread owns
stdout; any thread may send (a lock keeps frames whole). A dead or silent server raises `LspError`,
never hangs the caller.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MAX_MESSAGE = 64 * 1024 * 1024  # a frame larger than this means the stream is broken


class LspError(RuntimeError):
    """The server could not answer: it died, timed out, or replied with an error."""


class LspClient:
    def __init__(self, argv: Sequence[str], cwd: Path | str | None = None, env: dict[str, str] | None = None):
        try:
            self.proc = subprocess.Popen(list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, cwd=cwd, env=env)
        except OSError as e:
            raise LspError(f"cannot start the language server {argv[0]}: {e.strerror or e}") from None
        self._ids = itertools.count(1)
        self._send_lock = threading.Lock()
        self._pending: dict[int, list] = {}  # id -> [event, reply]
        self._pending_lock = threading.Lock()
        self.diagnostics: dict[str, list[dict]] = {}  # uri -> last published diagnostics
        self._dead: str | None = None
        self._reader = threading.Thread(target=self._read_loop, name="lsp-reader", daemon=True)
        self._reader.start()

    # -- sending ---------------------------------------------------------------------------------
    def _write(self, message: dict) -> None:
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        with self._send_lock:
            if self._dead:
                raise LspError(self._dead)
            try:
                self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
                self.proc.stdin.flush()
            except (OSError, ValueError):
                self._die("the language server stopped")
                raise LspError(self._dead) from None

    def notify(self, method: str, params: Any) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 10.0) -> Any:
        """The result of one request; LspError on an error reply, a dead server or a timeout."""
        rid = next(self._ids)
        slot = [threading.Event(), None]
        with self._pending_lock:
            self._pending[rid] = slot
        try:
            self._write({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
            if not slot[0].wait(timeout):
                raise LspError(self._dead or f"the language server did not answer {method} within {timeout:g} s")
        finally:
            with self._pending_lock:
                self._pending.pop(rid, None)
        reply = slot[1]
        if reply is None:
            raise LspError(self._dead or "the language server stopped")
        if "error" in reply:
            error = reply["error"] or {}
            raise LspError(f"{method}: {error.get('message', 'error')}")
        return reply.get("result")

    # -- receiving -------------------------------------------------------------------------------
    def _read_loop(self) -> None:
        out = self.proc.stdout
        try:
            while True:
                length = None
                while True:
                    line = out.readline()
                    if not line:
                        raise EOFError
                    if line in (b"\r\n", b"\n"):
                        break
                    name, _, value = line.decode("ascii", "replace").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                if length is None or not 0 <= length <= MAX_MESSAGE:
                    raise ValueError("bad frame header")
                body = out.read(length)
                if len(body) < length:
                    raise EOFError
                self._dispatch(json.loads(body))
        except (EOFError, OSError, ValueError):
            self._die("the language server stopped")

    def _dispatch(self, message: dict) -> None:
        if "method" in message:
            if "id" in message:  # the server asks us something: answer so it never waits
                result = [None] * len(message.get("params", {}).get("items", [])) \
                    if message["method"] == "workspace/configuration" else None
                self._write({"jsonrpc": "2.0", "id": message["id"], "result": result})
            elif message["method"] == "textDocument/publishDiagnostics":
                params = message.get("params") or {}
                self.diagnostics[params.get("uri", "")] = params.get("diagnostics") or []
            return
        with self._pending_lock:
            slot = self._pending.get(message.get("id"))
        if slot is not None:
            slot[1] = message
            slot[0].set()

    def _die(self, why: str) -> None:
        if self._dead is None:
            self._dead = why
        with self._pending_lock:
            for slot in self._pending.values():
                slot[0].set()

    @property
    def alive(self) -> bool:
        return self._dead is None and self.proc.poll() is None

    def close(self, wait: bool = True) -> None:
        """Ask the server to exit (when `wait`), then make sure it is gone."""
        if self.alive and wait:
            try:
                self.request("shutdown", None, timeout=2)
                self.notify("exit", None)
                self.proc.wait(timeout=2)
            except (LspError, subprocess.TimeoutExpired):
                pass
        self._die("the language server was closed")
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                stream.close()
