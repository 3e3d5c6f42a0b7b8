"""Everything a script writes becomes the log lines of the run that produced it.

Python-level writes (`print`, `sys.stderr`, the `log` logger) are sent straight from the writing
thread, so they keep their order with the run's other events. Raw writes to file descriptors 1
and 2 (C libraries, `os.write`, subprocesses) go through a pipe that a reader thread forwards; at
the end of a run the host drains both pipes before it reports, so nothing leaks into the next run.
Output past the per-run cap is dropped after one notice line, so a flooding script cannot exhaust
memory in either process.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from app.runtime.masking import Masker

_LINE_CAP = 64 * 1024  # a line longer than this is cut into pieces, so one endless line cannot grow a buffer


class Channel:
    """The connection to the parent, shared by every thread that reports.

    Run events (log lines, SQL entries) are `post`ed: queued and sent as one `batch` message every
    few milliseconds, when the queue grows, or together with the next `send` (the run's `done`).
    A short run thus costs one message instead of one per line, while a long run still streams.
    """

    FLUSH_INTERVAL_S = 0.02
    MAX_QUEUED = 256

    def __init__(self, conn: Any):
        self._conn = conn
        self._lock = threading.Lock()
        self._outbox: list[dict[str, Any]] = []
        self._streaming = threading.Event()
        threading.Thread(target=self._flusher, name="customdb-flusher", daemon=True).start()

    def send(self, message: dict[str, Any]) -> None:
        """Send now, after (and together with) anything queued."""
        with self._lock:
            if self._outbox:
                self._outbox.append(message)
                message = {"type": "batch", "events": self._outbox}
                self._outbox = []
            self._conn.send(message)

    def post(self, message: dict[str, Any]) -> None:
        """Queue a run event; it reaches the parent within FLUSH_INTERVAL_S."""
        with self._lock:
            self._outbox.append(message)
            if len(self._outbox) >= self.MAX_QUEUED:
                self._flush_locked()

    def streaming(self, on: bool) -> None:
        """The flusher only wakes up while a run is going on."""
        if on:
            self._streaming.set()
        else:
            self._streaming.clear()

    def _flush_locked(self) -> None:
        if self._outbox:
            batch, self._outbox = self._outbox, []
            self._conn.send({"type": "batch", "events": batch})

    def _flusher(self) -> None:
        while True:
            self._streaming.wait()
            time.sleep(self.FLUSH_INTERVAL_S)
            with self._lock:
                try:
                    self._flush_locked()
                except OSError:  # the parent went away: the main loop notices and exits
                    return


class RunOutput:
    """Which run output belongs to, how much it may still write, and how to mask it."""

    def __init__(self, channel: Channel):
        self.channel = channel
        self.run_id: int | None = None
        self.cap = 0
        self.used = 0
        self.truncated = False
        self.masker = Masker(())
        self._lock = threading.Lock()

    def start(self, run_id: int, cap: int, masker: Masker) -> None:
        with self._lock:
            self.run_id, self.cap, self.used, self.truncated, self.masker = run_id, cap, 0, False, masker

    def stop(self) -> None:
        with self._lock:
            self.run_id = None

    @property
    def accepting(self) -> bool:
        return self.run_id is not None and not self.truncated

    def emit(self, stream: str, text: str) -> None:
        """One line of output (without its newline) for the current run."""
        with self._lock:
            run_id = self.run_id
            if run_id is None or self.truncated:
                return
            size = len(text) + 1
            if self.used + size > self.cap:
                self.truncated = True
                message = {"type": "log", "run": run_id, "stream": "stderr",
                           "text": f"[output truncated: this run wrote more than {self.cap // 1024} kB; "
                                   "the rest was dropped]"}
            else:
                self.used += size
                message = {"type": "log", "run": run_id, "stream": stream, "text": self.masker.text(text)}
            self.channel.post(message)


def cut_long_line(text: str, pieces: list[str], output: RunOutput) -> str:
    """Cut an unfinished line into `_LINE_CAP` pieces (appended to `pieces`); returns the rest, to
    be continued by the next write. Each cut is moved back to the start of a secret it would split
    (the pieces are masked one by one), so a piece is cut only once the text goes a secret's length
    past the cap. Linear in the text: one slice per piece, and nothing is cut once the run's output
    cap is reached (it would be dropped)."""
    reach = output.masker.reach
    start, size = 0, len(text)
    while size - start >= _LINE_CAP + reach:
        if not output.accepting:
            return ""
        end = output.masker.safe_cut(text, start + _LINE_CAP)
        if end <= start:
            end = start + _LINE_CAP
        pieces.append(text[start:end])
        start = end
    return text[start:] if start else text


class LineWriter(io.TextIOBase):
    """A text stream (sys.stdout / sys.stderr replacement) that emits complete lines."""

    def __init__(self, output: RunOutput, stream: str, fd: int):
        super().__init__()
        self._output = output
        self._stream = stream
        self._fd = fd
        self._buf = ""
        self._lock = threading.Lock()
        self.buffer = _BinaryAdapter(self)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "replace"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self._fd  # the fd is captured too, so code that writes to it directly is still attributed

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        if not self._output.accepting:
            return len(s)
        with self._lock:
            self._buf += s
            if "\n" not in s and len(self._buf) < _LINE_CAP:
                return len(s)
            *lines, rest = self._buf.split("\n")
            self._buf = cut_long_line(rest, lines, self._output)
        for line in lines:
            self._output.emit(self._stream, line)
        return len(s)

    def flush(self) -> None:
        with self._lock:
            rest, self._buf = self._buf, ""
        if rest:
            self._output.emit(self._stream, rest)

    def close(self) -> None:
        """A script closing sys.stdout must not break the output of the container's later runs."""
        self.flush()

    def discard(self) -> None:
        with self._lock:
            self._buf = ""


class _BinaryAdapter:
    """`sys.stdout.buffer`: bytes written here are decoded and written as text."""

    def __init__(self, writer: LineWriter):
        self._writer = writer

    def write(self, data: bytes) -> int:
        self._writer.write(bytes(data).decode("utf-8", "replace"))
        return len(data)

    def flush(self) -> None:
        self._writer.flush()


class FdCapture:
    """Redirect a file descriptor (1 or 2) into a pipe whose content becomes log lines."""

    def __init__(self, fd: int, stream: str, output: RunOutput):
        self._output = output
        self._stream = stream
        read_end, write_end = os.pipe()
        os.dup2(write_end, fd)
        os.close(write_end)
        self._fd = read_end
        self._lock = threading.Lock()
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._partial = ""
        self._posix = os.name == "posix"
        if self._posix:
            os.set_blocking(read_end, False)
        threading.Thread(target=self._loop, name=f"customdb-capture-{stream}", daemon=True).start()

    def _loop(self) -> None:
        if self._posix:
            import select

            while True:
                select.select([self._fd], [], [])
                with self._lock:
                    if not self._read_available():
                        return
        else:  # Windows pipes cannot be non-blocking: read blocking, forward under the lock
            while True:
                data = os.read(self._fd, 65536)
                if not data:
                    return
                with self._lock:
                    self._feed(data)

    def _read_available(self) -> bool:
        """Read until the pipe is empty; False at end of file."""
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return True
            if not data:
                return False
            self._feed(data)

    def _feed(self, data: bytes) -> None:
        if not self._output.accepting:
            self._partial = ""
            return
        text = self._partial + self._decoder.decode(data)
        *lines, rest = text.split("\n")
        self._partial = cut_long_line(rest, lines, self._output)
        for line in lines:
            self._output.emit(self._stream, line)

    def drain(self) -> None:
        """Forward everything written to the fd so far (called at the end of a run)."""
        with self._lock:
            if self._posix:
                self._read_available()
            rest, self._partial = self._partial, ""
        if rest:
            self._output.emit(self._stream, rest)


class Capture:
    """fd 1 and 2 plus sys.stdout / sys.stderr, installed once when the child starts."""

    def __init__(self, output: RunOutput):
        self.output = output
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(AttributeError, OSError, ValueError):
                stream.flush()
        self._fds = [FdCapture(1, "stdout", output), FdCapture(2, "stderr", output)]
        self.stdout = LineWriter(output, "stdout", 1)
        self.stderr = LineWriter(output, "stderr", 2)
        sys.stdout, sys.stderr = self.stdout, self.stderr

    def finish_run(self) -> None:
        """Flush Python-level partial lines, then whatever reached the fds, in that order."""
        for writer in (self.stdout, self.stderr):
            writer.flush()
        for cap in self._fds:
            cap.drain()

    def reinstall(self) -> None:
        """A script may have replaced sys.stdout/sys.stderr; put ours back for the next run."""
        sys.stdout, sys.stderr = self.stdout, self.stderr


def log_handler(output: RunOutput) -> Callable[[Any], None]:
    """A logging.Handler class instance whose records become `log` lines."""
    import logging

    class _Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            try:
                text = self.format(record)
            except Exception:  # noqa: BLE001 - a broken format string must not break the run
                text = str(record.msg)
            for line in text.split("\n"):
                output.emit("log", line)

    handler = _Handler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    return handler
