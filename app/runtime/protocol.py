"""The child's wire contract: JSON messages over an authenticated `multiprocessing.connection`.

Only `send_bytes`/`recv_bytes` are used (never `send`/`recv`, which pickle). The engine imports
this module; this module imports nothing from the engine.

Parent -> child commands (each carries all the state it needs, so a later `debug` command can be
added beside `run` without the child remembering anything between commands):
    {"cmd": "run", "run": N, "key", "filename", "source", "args": {...}, "context": {...} | None,
     "context_enabled": bool, "commit": bool, "configuration": {...}, "secrets": [...],
     "database_url": str, "log_cap": int, "timeout_s": float, "requires_username": bool}
    {"cmd": "ping"}            -> {"ev": "pong"}
    {"cmd": "exit"}            the child exits cleanly
Child -> parent events:
    {"ev": "ready", "pid": N}  imports done, waiting for the first command
    {"ev": "log", "run": N, "stream": "stdout" | "stderr" | "log", "text": str}
    {"ev": "sql", "run": N, "statement", "params", "duration_ms", "rows", "error"}
    {"ev": "done", "run": N, "outcome", "result", "error", "findings", "log_event",
     "duration_ms", "committed", "exit": bool}
    {"ev": "batch", "events": [...]}   log / sql events queued during a run (flushed every 20 ms),
                                       with the run's `done` last when it is sent with them
"""

from __future__ import annotations

import json
from typing import Any

CHILD_FLAG = "--runner-child"
DEFAULT_LOG_CAP = 1024 * 1024  # bytes of script output kept per run; the rest is dropped with a notice
MAX_SQL_ENTRIES = 5000  # statements traced per run; the rest are counted in one notice
TIMEOUT_MESSAGE = "Request to Webtask exceeded allowed execution time"


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)  # built once, not per message


def encode(message: dict[str, Any]) -> bytes:
    """One message as compact UTF-8 JSON; non-JSON values become their str()."""
    return _ENCODER.encode(message).encode("utf-8")


def decode(data: bytes) -> dict[str, Any]:
    message = json.loads(data.decode("utf-8"))
    if not isinstance(message, dict):
        raise ValueError("a protocol message must be a JSON object")
    return message
