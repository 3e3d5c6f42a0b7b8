"""The wire protocol between the IDE (the parent) and a runner child, in any language: docs/protocol.md.

A frame is a 4-byte unsigned big-endian length N, then N bytes of UTF-8 JSON holding one object
with a string field "type". Every read the parent makes is bounded by a deadline and every frame
by MAX_FRAME, so a child that writes garbage or a fake header onto the channel breaks its run
(`crashed`) instead of hanging the parent past the run's time limit. No pickle, nothing evaluated.
The engine imports this module; this module imports nothing from the engine.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import struct
import sys
import threading
import time
from typing import Any

PROTOCOL_VERSION = 1
MAX_FRAME = 16 * 1024 * 1024  # bytes of JSON in one frame; a sender cuts what it sends to fit
TOKEN_BYTES = 32  # the handshake token: 64 hex characters
CHILD_FLAG = "--runner-child"
DEFAULT_LOG_CAP = 1024 * 1024  # bytes of script output kept per run; the rest is dropped with a notice
MAX_SQL_ENTRIES = 5000  # statements traced per run; the rest are counted in one notice
TIMEOUT_MESSAGE = "Request to Webtask exceeded allowed execution time"

# The message types of each direction (docs/protocol.md describes their fields).
PARENT_TYPES = frozenset({
    "run", "batch", "batch_feed", "cancel", "ping", "exit",  # batch_feed: the rehearsal's users, dealt out
    # debug: resume commands, then the inline requests answered while paused
    "continue", "step_over", "step_into", "step_out", "run_to_cursor", "stop",
    "frame_vars", "expand", "evaluate", "complete", "watches",
})
CHILD_TYPES = frozenset({
    "hello", "ready", "log", "sql", "call", "finding", "done", "batch", "pong", "error",
    "paused", "reply",  # the debugger
    "batch_total", "batch_rows",  # the rehearsal's batch command
})
BATCHABLE = CHILD_TYPES - {"hello", "ready", "batch"}  # what a `batch` message may hold

_HEADER = struct.Struct(">I")
HEADER_SIZE = _HEADER.size  # the 4-byte big-endian length in front of every frame
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)  # built once, not per message
_CUT_STRING = 1024 * 1024  # an oversized message keeps at most this many characters of one string
_HAS_POLL = sys.platform != "win32" and hasattr(select, "poll")


class ProtocolError(ValueError):
    """The peer broke the channel protocol (bad length, not UTF-8 / JSON / an object, bad type)."""


def encode(message: dict[str, Any]) -> bytes:
    """One message as compact UTF-8 JSON; non-JSON values become their str()."""
    return _ENCODER.encode(message).encode("utf-8")


def frame(message: dict[str, Any]) -> bytes:
    """The frame of one message (header and payload), cut to fit MAX_FRAME when it is oversized."""
    payload = encode(message)
    if len(payload) > MAX_FRAME:
        payload = encode(_shrunk(message, len(payload)))
    return _HEADER.pack(len(payload)) + payload


def _shrunk(message: dict[str, Any], size: int) -> dict[str, Any]:
    """An oversized message made to fit: long strings are cut with a notice; if that is not enough,
    every nested value of the message is replaced by the notice (its scalar fields stay)."""
    notice = f"[cut: the message was {size} bytes, over the channel's {MAX_FRAME // (1024 * 1024)} MiB frame limit]"

    def cut(value: Any) -> Any:
        if isinstance(value, str) and len(value) > _CUT_STRING:
            return value[:_CUT_STRING] + " " + notice
        if isinstance(value, dict):
            return {k: cut(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [cut(v) for v in value]
        return value

    smaller = cut(message)
    if len(encode(smaller)) <= MAX_FRAME:
        return smaller
    return {k: (notice if isinstance(v, dict | list | tuple | str) and k != "type" else v)
            for k, v in message.items()}


def decode(payload: bytes, types: frozenset[str] | None = None) -> dict[str, Any]:
    """One frame's payload as a message; ProtocolError says what is wrong with it. With `types`,
    the message's type (and those of a `batch`'s events) must be one of them."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("a frame is not UTF-8") from None
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError(f"a frame is not JSON ({_preview(text)})") from None
    _check(message, types)
    if types is not None and message["type"] == "batch" and "batch" in types and "events" in message:
        events = message["events"]
        if not isinstance(events, list):
            raise ProtocolError("a batch's events are not a list")
        for event in events:
            _check(event, BATCHABLE if types is CHILD_TYPES else types - {"batch"})
    return message


def _check(message: Any, types: frozenset[str] | None) -> None:
    if not isinstance(message, dict):
        raise ProtocolError(f"a message is a JSON {type(message).__name__}, not an object")
    kind = message.get("type")
    if not isinstance(kind, str):
        raise ProtocolError("a message has no string \"type\"")
    if types is not None and kind not in types:
        raise ProtocolError(f"unknown message type {kind[:80]!r}")


def _preview(text: str) -> str:
    shown = text[:40]
    return repr(shown) + ("…" if len(text) > 40 else "")


class Connection:
    """One end of the channel: a connected stream socket that sends and receives whole messages.

    `send` is thread-safe. `recv(timeout)` never waits past its timeout, whatever the peer sends:
    it returns None when the time is up (a partial frame stays buffered), raises EOFError when the
    peer is gone and ProtocolError when it broke the protocol.
    """

    def __init__(self, sock: socket.socket, accept: frozenset[str] | None = None):
        self.sock = sock
        self.accept = accept
        self._buf = bytearray()
        self._lock = threading.Lock()
        self._poller: Any = None
        self._closed = False

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, message: dict[str, Any]) -> None:
        data = frame(message)
        with self._lock:
            self.sock.sendall(data)

    def recv(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next message; None when `timeout` seconds passed first (None: wait as long as it takes)."""
        deadline = None if timeout is None else time.monotonic() + max(timeout, 0.0)
        while True:
            message = self._take()
            if message is not None:
                return message
            if deadline is not None and not self._readable(max(deadline - time.monotonic(), 0.0)):
                return None  # time is up (a timeout of 0 still takes what has arrived)
            try:
                data = self.sock.recv(max(65536, self._missing()))
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                raise EOFError("the channel was closed") from None
            if not data:
                raise EOFError("the peer closed the channel")
            self._buf += data

    def _missing(self) -> int:
        """Bytes still needed for the frame being read (capped: big frames come in several reads)."""
        if len(self._buf) < _HEADER.size:
            return _HEADER.size
        return min(_HEADER.unpack_from(self._buf)[0] + _HEADER.size - len(self._buf), 4 * 1024 * 1024)

    def _take(self) -> dict[str, Any] | None:
        buf = self._buf
        if len(buf) < _HEADER.size:
            return None
        (size,) = _HEADER.unpack_from(buf)
        if size == 0 or size > MAX_FRAME:
            raise ProtocolError(f"a frame header announced {size} bytes (the limit is 1 to {MAX_FRAME})")
        end = _HEADER.size + size
        if len(buf) < end:
            return None
        payload = bytes(buf[_HEADER.size:end])
        del buf[:end]
        return decode(payload, self.accept)

    def _readable(self, timeout: float) -> bool:
        if self._closed:
            raise EOFError("the channel was closed")
        if not _HAS_POLL:
            try:
                return bool(select.select([self.sock], [], [], timeout)[0])
            except (ValueError, OSError):
                raise EOFError("the channel was closed") from None
        if self._poller is None:  # one poll object, not a selector per call
            self._poller = select.poll()
            self._poller.register(self.sock.fileno(), select.POLLIN)
        try:
            return bool(self._poller.poll(max(0, int(timeout * 1000 + 0.999))))
        except (ValueError, OSError):
            raise EOFError("the channel was closed") from None

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self.sock.close()


def parse_address(address: str) -> tuple[int, Any]:
    """(socket family, address) of the channel address the parent hands the child."""
    host, sep, port = address.rpartition(":")
    if sep and host == "127.0.0.1" and port.isdigit():
        return socket.AF_INET, (host, int(port))
    return socket.AF_UNIX, address


def connect(address: str) -> socket.socket:
    """The child's side of the channel."""
    family, target = parse_address(address)
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.connect(target)
    if family == socket.AF_INET:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock
