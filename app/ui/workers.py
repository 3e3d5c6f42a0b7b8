"""Run blocking engine calls off the GUI thread and deliver their answers on it.

Every answer travels through a queued signal to a QObject that lives in the GUI thread, so the
callbacks given here always run on the GUI thread, whatever thread produced the value.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot


class _Relay(QObject):
    """Lives in the GUI thread; turns cross-thread emissions into calls of plain callables."""

    delivered = Signal(object, object)  # (callback, value)

    def __init__(self) -> None:
        super().__init__()
        self.delivered.connect(self._deliver)

    @Slot(object, object)
    def _deliver(self, callback: Callable[[Any], None], value: Any) -> None:
        try:
            callback(value)
        except RuntimeError as e:
            if "already deleted" not in str(e) and "has been deleted" not in str(e):
                raise
            # the answer arrived after its window or panel was closed: nobody is waiting for it


_relay: _Relay | None = None


def relay() -> _Relay:
    """The GUI-thread relay; must first be called on the GUI thread (MainWindow does)."""
    global _relay
    if _relay is None:
        _relay = _Relay()
    return _relay


def post(callback: Callable[[Any], None], value: Any = None) -> None:
    """Call `callback(value)` on the GUI thread, from any thread."""
    relay().delivered.emit(callback, value)


# Errors whose message is written for users: shown as is, without the class name.
_USER_ERRORS = ("RunInputError", "MissingSecretError", "KeychainUnavailable", "DatabaseUrlError",
                "MissingDriverError", "ScaffoldError", "ProjectError", "FileNotFoundError")


def error_message(error: BaseException) -> str:
    """One line for the GUI: the message of errors meant for users, `Type: message` otherwise."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if type(error).__name__ in _USER_ERRORS and text:
        return text
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
                 on_error: Callable[[str], None] | None):
        super().__init__()
        self.fn, self.on_done, self.on_error = fn, on_done, on_error

    def run(self) -> None:
        try:
            value = self.fn()
        except Exception as e:  # noqa: BLE001 - every failure is reported to the GUI as text
            message = error_message(e)
            if self.on_error is not None:
                post(self.on_error, message)
            else:
                traceback.print_exc()
            return
        post(self.on_done, value)


def run_in_background(fn: Callable[[], Any], on_done: Callable[[Any], None],
                      on_error: Callable[[str], None] | None = None) -> None:
    """Run `fn()` on the shared thread pool; `on_done(value)` or `on_error(message)` on the GUI thread."""
    relay()
    QThreadPool.globalInstance().start(_Task(fn, on_done, on_error))


def run_in_thread(fn: Callable[[], Any], on_done: Callable[[Any], None],
                  on_error: Callable[[str], None] | None = None, name: str = "customdb-worker") -> threading.Thread:
    """Like run_in_background, on a dedicated daemon thread: for calls that may block for long
    (a script run), so they never starve the pool that lint and schema loading share."""
    relay()
    task = _Task(fn, on_done, on_error)
    thread = threading.Thread(target=task.run, name=name, daemon=True)
    thread.start()
    return thread


class Debouncer(QObject):
    """Calls `fn` once, `delay_ms` after the last `poke()`: lint-as-you-type without a lint per key."""

    def __init__(self, delay_ms: int, fn: Callable[[], None], parent: QObject | None = None):
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(fn)

    def poke(self) -> None:
        self._timer.start()

    def cancel(self) -> None:
        """Drop a pending call (its target is going away)."""
        self._timer.stop()

    def flush(self) -> None:
        """Fire now if a call is pending (used before saving and by tests)."""
        if self._timer.isActive():
            self._timer.stop()
            self._timer.timeout.emit()
