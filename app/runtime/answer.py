"""The `callback` a script receives, and how its arguments (and uncaught exceptions) become data.

Every call is reported to the parent as a `call` event (docs/protocol.md) the moment it is made:
its arguments turned into JSON-safe data then, so a script that mutates the profile afterwards
cannot change what was answered. The parent decides what the calls mean (app/domain/hosted.py):
this module counts nothing and classifies nothing.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import sys
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from app.runtime.errors import UnauthorizedError, ValidationError, WrongUsernameOrPasswordError
from app.runtime.masking import Masker

RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))
_HEAD_FRAMES = _TAIL_FRAMES = 50
_MAX_DEPTH = 32


STR_FAILED = "<exception str() failed>"


def safe_str(value: Any) -> str:
    """str(value), or what `traceback` shows when the object's __str__ raises: a script's exception
    class must never take the runner child down while its error is described."""
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - any failure of the script's __str__
        return STR_FAILED if isinstance(value, BaseException) else f"<{type(value).__name__} str() failed>"


def jsonable(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy: dicts with string keys, lists, scalars; dates as ISO text; the rest as str()."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if depth >= _MAX_DEPTH:
        return "…"
    if isinstance(value, dict):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v, depth + 1) for v in value]
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    return str(value)


def frames(tb: TracebackType | None, script_file: str) -> list[dict[str, Any]]:
    """Traceback frames of the user's script and libraries, from the entry down, without the runtime's
    own frames (nor the library frames the runtime called the entry through, e.g. asyncio's loop)."""
    out: list[dict[str, Any]] = []
    while tb is not None:
        code = tb.tb_frame.f_code
        path = code.co_filename
        if not os.path.abspath(path).startswith(RUNTIME_DIR + os.sep):
            out.append({"function": code.co_name, "file": path, "line": tb.tb_lineno,
                        "library": path != script_file})
        tb = tb.tb_next
    first_user = next((i for i, f in enumerate(out) if not f["library"]), None)
    if first_user:  # what ran before the entry (asyncio's loop, ...) is the runtime's machinery
        out = out[first_user:]
    if len(out) > _HEAD_FRAMES + _TAIL_FRAMES:
        omitted = len(out) - _HEAD_FRAMES - _TAIL_FRAMES
        out = [*out[:_HEAD_FRAMES],
               {"function": f"... {omitted} more frames ...", "file": None, "line": None, "library": False},
               *out[-_TAIL_FRAMES:]]
    return out


def describe_exception(exc: BaseException, script_file: str, masker: Masker) -> dict[str, Any]:
    """The `error` object of the run result: {type, message, code?, traceback}."""
    message = getattr(exc, "message", None) if isinstance(exc, WrongUsernameOrPasswordError | ValidationError
                                                          | UnauthorizedError) else None
    if message is None:
        message = safe_str(exc)
    error: dict[str, Any] = {"type": type(exc).__name__, "message": masker.text(safe_str(message)),
                             "traceback": frames(exc.__traceback__, script_file)}
    if isinstance(exc, ValidationError):
        error["code"] = masker.text(safe_str(exc.code))
    elif isinstance(exc, UnauthorizedError):
        error["code"] = "unauthorized"
    return error


PLATFORM_ERRORS = (WrongUsernameOrPasswordError, ValidationError, UnauthorizedError)


def error_object(exc: BaseException, described: dict[str, Any], kind: str = "error") -> dict[str, Any]:
    """An exception as the protocol's error object: {class, platform, kind, message, fields,
    traceback, ...the post-mortem's extra fields}, from its `describe_failure` dict."""
    platform = next((c.__name__ for c in PLATFORM_ERRORS if isinstance(exc, c)), None)
    fields: dict[str, Any] = {}
    if hasattr(exc, "user_id_or_email"):
        fields["user_id_or_email"] = jsonable(getattr(exc, "user_id_or_email", None))
    if isinstance(exc, ValidationError):
        fields["code"] = described.get("code")
    extra = {k: v for k, v in described.items() if k not in ("type", "message", "traceback", "code")}
    return {"class": described["type"], "platform": platform, "kind": kind, "message": described["message"],
            "fields": fields, "traceback": described["traceback"], **extra}


class Callback:
    """The `callback` argument. Thread-safe; wakes the host (and an asyncio loop) on the first call.
    `report(event)` sends each call's `call` event; `finish(source)` adds the source lines to the
    tracebacks of the errors it was given."""

    def __init__(self, run_id: int, script_file: str, masker: Masker, passwords: Iterable[str],
                 report: Callable[[dict[str, Any]], None], source: str = ""):
        self.run_id = run_id
        self.script_file = script_file
        self.masker = masker
        self.passwords = tuple(p for p in passwords if p)
        self.report = report
        self.source = source
        self.called = threading.Event()
        self.calls = 0
        self._lock = threading.Lock()
        self._loop: Any = None
        self._future: Any = None

    def attach_loop(self, loop: Any) -> Any:
        """A future on `loop` that completes at the first call (async entries wait on it)."""
        self._loop = loop
        self._future = loop.create_future()
        if self.called.is_set():
            self._future.set_result(None)
        return self._future

    def _caller(self) -> tuple[int | None, str]:
        """(line, function) of the script code that called callback."""
        frame = sys._getframe(2)
        while frame is not None:
            if frame.f_code.co_filename == self.script_file:
                return frame.f_lineno, frame.f_code.co_name
            frame = frame.f_back
        return None, "callback"

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        line, function = self._caller()
        with self._lock:
            self.calls += 1
            seq = self.calls
        try:
            self.report(self._describe(seq, args, kwargs, line, function))
        finally:
            if seq == 1:
                self.called.set()
                self._wake_loop()
        return None

    def _wake_loop(self) -> None:
        future, loop = self._future, self._loop
        if future is None or loop is None or loop.is_closed():
            return

        def done() -> None:
            if not future.done():
                future.set_result(None)

        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(done)  # also right from inside the loop: it just schedules

    def _describe(self, seq: int, args: tuple, kwargs: dict, line: int | None, function: str) -> dict[str, Any]:
        """The `call` event of one call. The value is not masked: the parent checks the profile for
        secrets and masks what it shows."""
        err = args[0] if args else None
        result = args[1] if len(args) > 1 else None
        event: dict[str, Any] = {"type": "call", "run": self.run_id, "seq": seq, "line": line, "function": function,
                                 "args": len(args), "keywords": sorted(str(k) for k in kwargs), "error": None,
                                 "value": None}
        if err is None:
            event["value"] = jsonable(result)
            return event
        here = [{"function": function, "file": self.script_file, "line": line, "library": False}] if line else []
        kind = "error"
        if isinstance(err, type) and issubclass(err, BaseException):
            kind = "class"
            try:
                err = err()
            except Exception:  # noqa: BLE001 - classes that need arguments
                err = Exception(err.__name__)
        from app.runtime import postmortem  # it imports this module

        if isinstance(err, BaseException):
            described = postmortem.describe_failure(err, self.script_file, self.masker, self.passwords)
            if not described["traceback"] and line is not None:
                described["traceback"] = here
            event["error"] = error_object(err, described, kind)
        else:
            event["error"] = {"class": type(err).__name__, "platform": None, "kind": "value",
                              "message": self.masker.text(str(jsonable(err))), "fields": {}, "traceback": here}
        postmortem.add_sources(event["error"], self.script_file, self.source, self.masker)
        return event
