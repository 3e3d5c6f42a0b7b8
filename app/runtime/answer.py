"""The `callback` a script receives, and how its arguments (and uncaught exceptions) become data.

The first call counts; later calls are counted and reported. Each call's arguments are turned
into JSON-safe data at the moment of the call, so a script that mutates the profile afterwards
cannot change what was answered.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import sys
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from app.domain.findings import Finding, finding
from app.domain.outcome import (
    EXCEPTION,
    NOT_AN_ERROR,
    UNAUTHORIZED,
    VALIDATION,
    WRONG_CREDENTIALS,
    Answer,
)
from app.domain.profile import check_profile
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


def error_kind(exc: BaseException) -> str:
    if isinstance(exc, WrongUsernameOrPasswordError):
        return WRONG_CREDENTIALS
    if isinstance(exc, ValidationError):
        return VALIDATION
    if isinstance(exc, UnauthorizedError):
        return UNAUTHORIZED
    return EXCEPTION


class Callback:
    """The `callback` argument. Thread-safe; wakes the host (and an asyncio loop) on the first call."""

    def __init__(self, key: str, script_file: str, masker: Masker, secret_values: Iterable[str],
                 passwords: Iterable[str], requires_username: bool = False):
        self.key = key
        self.script_file = script_file
        self.masker = masker
        self.secret_values = tuple(secret_values)
        self.passwords = tuple(p for p in passwords if p)
        self.requires_username = requires_username
        self.called = threading.Event()
        self.calls = 0
        self.answer: Answer | None = None
        self.error: dict[str, Any] | None = None
        self.findings: list[Finding] = []
        self.first_line: int | None = None
        self.extra_lines: list[int | None] = []
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
            first = self.calls == 1
            if not first:
                self.extra_lines.append(line)
        if not first:
            return None
        self.first_line = line
        try:
            self.answer, self.error = self._freeze(args, kwargs, line, function)
        finally:
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

    def _wrong(self, message: str, line: int | None) -> None:
        self.findings.append(finding("wrong-callback-arguments", message, self.key, line))

    def _freeze(self, args: tuple, kwargs: dict, line: int | None,
                function: str) -> tuple[Answer, dict[str, Any] | None]:
        if kwargs:
            self._wrong(f"callback takes positional arguments only (error, result); it got "
                        f"{', '.join(sorted(kwargs))}=...", line)
        if len(args) > 2:
            self._wrong(f"callback takes at most 2 arguments (error, result); it got {len(args)}", line)
        err = args[0] if args else None
        result = args[1] if len(args) > 1 else None
        if err is None:
            data = jsonable(result)
            if isinstance(result, dict) and self.key in ("login", "get_user"):
                self.findings.extend(check_profile(
                    result, self.key, secret_values=self.secret_values, input_passwords=self.passwords,
                    requires_username=self.requires_username))
            elif result is not None and not isinstance(data, dict | list | str | int | float | bool):
                data = str(result)
            return Answer(result=self.masker.data(data)), None
        if isinstance(err, type) and issubclass(err, BaseException):
            self._wrong(f"callback got the class {err.__name__}, not an instance: write "
                        f"callback({err.__name__}(...))", line)
            try:
                err = err()
            except Exception:  # noqa: BLE001 - classes that need arguments
                err = Exception(err.__name__)
        if isinstance(err, BaseException):
            from app.runtime.postmortem import describe_failure  # the post-mortem imports this module

            error = describe_failure(err, self.script_file, self.masker, self.passwords)
            if not error["traceback"] and line is not None:
                error["traceback"] = [{"function": function, "file": self.script_file, "line": line,
                                       "library": False}]
            has_user = bool(getattr(err, "user_id_or_email", None))
            return Answer(error_kind=error_kind(err), error_type=error["type"], error_message=error["message"],
                          error_code=error.get("code"), error_has_user=has_user), error
        message = self.masker.text(str(jsonable(err)))
        error = {"type": type(err).__name__, "message": message,
                 "traceback": [{"function": function, "file": self.script_file, "line": line,
                                "library": False}] if line else []}
        return Answer(error_kind=NOT_AN_ERROR, error_type=type(err).__name__, error_message=message), error

    def twice_finding(self) -> Finding | None:
        if self.calls < 2:
            return None
        extra = self.calls - 1
        where = f" (first at line {self.first_line})" if self.first_line else ""
        return finding("callback-called-twice",
                       f"callback was called {self.calls} times; the first call counts{where} and the hosted "
                       f"platform's behaviour after {'another call' if extra == 1 else f'{extra} more calls'} "
                       "is unpredictable — return right after calling callback",
                       self.key, self.extra_lines[0] if self.extra_lines else None)
