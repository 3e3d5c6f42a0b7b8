"""The wire protocol's framing over a real socket pair: what a reader does with good frames, bad
frames and frames that never complete (docs/protocol.md, "Framing" and "Violations")."""

from __future__ import annotations

import socket
import struct
import threading
import time

import pytest

from app.runtime.protocol import (
    CHILD_TYPES,
    HEADER_SIZE,
    MAX_FRAME,
    PARENT_TYPES,
    Connection,
    ProtocolError,
    decode,
    frame,
)


def _framed(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    parent, child = Connection(a, CHILD_TYPES), Connection(b, PARENT_TYPES)
    yield parent, child, b
    parent.close()
    child.close()


def test_messages_round_trip_in_order_with_unicode_and_large_payloads(pair):
    parent, child, _ = pair
    big = "é" * 3_000_000  # several reads
    sender = threading.Thread(target=lambda: (
        child.send({"type": "log", "run": 1, "stream": "stdout", "text": "héllo ✓"}),
        child.send({"type": "done", "run": 1, "returned": big})))
    sender.start()
    assert parent.recv(5) == {"type": "log", "run": 1, "stream": "stdout", "text": "héllo ✓"}
    assert parent.recv(5)["returned"] == big
    sender.join()


def test_frame_is_a_big_endian_length_then_utf8_json():
    data = frame({"type": "ping"})
    assert data[:HEADER_SIZE] == struct.pack(">I", len(data) - HEADER_SIZE)
    assert data[HEADER_SIZE:] == b'{"type":"ping"}'


def test_an_oversized_message_is_cut_to_fit_with_a_notice():
    data = frame({"type": "done", "run": 3, "committed": False, "returned": {"blob": "r" * (MAX_FRAME + 10)}})
    assert len(data) - HEADER_SIZE <= MAX_FRAME
    message = decode(data[HEADER_SIZE:], CHILD_TYPES)
    assert message["run"] == 3 and message["committed"] is False
    assert "frame limit" in message["returned"]["blob"] and len(message["returned"]["blob"]) < MAX_FRAME


@pytest.mark.parametrize(("raw", "what"), [
    (b"\x7f\xff\xff\xf0{\"type\": ", "header announced 2147483632 bytes"),
    (b"\x00\x00\x00\x00", "header announced 0 bytes"),
    (b"\x00\x00\x00\x05garbage", "not JSON"),
    (b"\x00\x00\x00\x02\xff\xfe", "not UTF-8"),
    (b"\x00\x00\x00\x02[]", "not an object"),
    (b"\x00\x00\x00\x02{}", "no string \"type\""),
    (_framed(b'{"type":"boom"}'), "unknown message type 'boom'"),
    (_framed(b'{"type":"batch","events":[{"a":1}]}'), "no string \"type\""),
    (_framed(b'{"type":"batch","events":[{"type":"ready"}]}'), "unknown message type 'ready'"),
])
def test_violations_raise_protocol_error_saying_what_is_wrong(pair, raw, what):
    parent, _, raw_end = pair
    raw_end.sendall(raw)
    with pytest.raises(ProtocolError, match=what.replace("(", r"\(")):
        parent.recv(5)


def test_a_partial_frame_that_never_completes_returns_at_the_deadline(pair):
    parent, _, raw_end = pair
    raw_end.sendall(struct.pack(">I", 1000) + b'{"type": "log", "te')
    started = time.monotonic()
    assert parent.recv(0.5) is None
    assert 0.4 < time.monotonic() - started < 3
    raw_end.sendall(b"x" * 10)  # still not complete: the reader keeps what it has and waits again
    assert parent.recv(0.2) is None


def test_the_peer_closing_is_end_of_file(pair):
    parent, child, _ = pair
    child.close()
    with pytest.raises(EOFError):
        parent.recv(5)
