"""jedi in its own process: `CompletionClient` speaks to a child running `CompletionService`.

Why a process: once jedi has loaded SQLAlchemy's sources its heap holds ~400k objects, and a full
garbage-collector pass over them takes 0.3 s while holding the GIL, i.e. the GUI would freeze
now and then during completions; the heap also grows with use. In a child, none of that touches
the IDE process. `CompletionClient` has the same methods as `CompletionService`, so callers do not
care where jedi runs; if the child cannot start, use `CompletionService` in a thread instead.

Protocol: one JSON object per line. The child gets requests on stdin and answers on a duplicate
of its original stdout; its `sys.stdout` is pointed at stderr so a stray print cannot corrupt the
channel. No pickle, no eval. The child exits when its stdin closes (the IDE went away).
"""

from __future__ import annotations

import gc
import json
import os
import queue
import subprocess
import sys
import threading
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from app.engine.completion import Completion, CompletionService, SignatureHelp, app_cache_dir

CHILD_FLAG = "--completion-child"
REQUEST_TIMEOUT_S = 20.0  # a jedi call past this is killed; the next request starts a new child


class CompletionChildError(RuntimeError):
    """The completion child could not be started or stopped answering."""


def _child_command(cache_dir: Path) -> list[str]:
    if getattr(sys, "frozen", False):  # the bundle's executable is the app: app/__main__ dispatches
        return [sys.executable, CHILD_FLAG, str(cache_dir)]
    return [sys.executable, "-m", "app", CHILD_FLAG, str(cache_dir)]


class CompletionClient:
    """`CompletionService`'s interface, served by a child process (started on first use)."""

    def __init__(self, cache_dir: Path | str | None = None, kind_key: str | None = None,
                 config_keys: tuple[str, ...] | list[str] = ()):
        self.cache_dir = Path(cache_dir) if cache_dir is not None else app_cache_dir() / "jedi"
        self._config: tuple[str | None, tuple[str, ...]] = (kind_key, tuple(config_keys))
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()  # one request at a time on the pipe
        self._next_id = 0

    # -- the service interface --------------------------------------------------------------------
    def configure(self, kind_key: str | None, config_keys=()) -> None:
        self._config = (kind_key, tuple(config_keys))

    def complete(self, source: str, line: int, col: int, *, docs: int | None = None) -> list[Completion]:
        extra = {} if docs is None else {"docs": docs}
        items = self._call("complete", source=source, line=line, col=col, **extra)
        return [Completion(**d) for d in items]

    def details(self, index: int) -> Completion | None:
        d = self._call("details", index=index)
        return Completion(**d) if d else None

    def signatures(self, source: str, line: int, col: int) -> list[SignatureHelp]:
        out = self._call("signatures", source=source, line=line, col=col)
        return [SignatureHelp(**{**d, "params": tuple(d["params"])}) for d in out]

    def warm_up(self, snippets: tuple[str, ...] | list[str] | None = None) -> None:
        self._call("warm_up", **({} if snippets is None else {"snippets": list(snippets)}))

    def ping(self) -> None:
        """Start the child if needed and check that it answers."""
        if self._call("ping") != "pong":
            raise CompletionChildError("the completion process answered nonsense")

    def close(self, wait: bool = True) -> None:
        """Stop the child: it exits when its stdin closes (after the request it is on); with
        `wait=False` it is killed at once."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if not wait:
            proc.kill()
        try:
            proc.stdin.close()
            proc.wait(timeout=3)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    # -- plumbing -----------------------------------------------------------------------------------
    def _start(self) -> subprocess.Popen[str]:
        try:
            proc = subprocess.Popen(
                _child_command(self.cache_dir), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, text=True, encoding="utf-8", bufsize=1,
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
        except OSError as e:
            raise CompletionChildError(f"cannot start the completion process: {e}") from None
        return proc

    def _call(self, op: str, **args: Any) -> Any:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = self._start()
            proc = self._proc
            self._next_id += 1
            kind_key, config_keys = self._config
            message = {"id": self._next_id, "op": op, "kind_key": kind_key, "config_keys": list(config_keys),
                       **args}
            watchdog = threading.Timer(REQUEST_TIMEOUT_S, proc.kill)
            watchdog.start()
            try:
                proc.stdin.write(json.dumps(message) + "\n")
                proc.stdin.flush()
                line = proc.stdout.readline()
            except OSError:
                line = ""
            finally:
                watchdog.cancel()
            if not line:
                self._proc = None
                proc.kill()
                raise CompletionChildError(f"the completion process stopped answering ({op})")
            reply = json.loads(line)
            if reply.get("error"):
                raise CompletionChildError(reply["error"])
            return reply.get("result")


# -- the child side -------------------------------------------------------------------------------------
def _encode(result: Any) -> Any:
    if isinstance(result, list):
        return [asdict(r) for r in result]
    if result is None:
        return None
    return asdict(result)


def _handle(msg: dict, service: CompletionService) -> Any:
    service.configure(msg.get("kind_key"), msg.get("config_keys") or ())
    op = msg["op"]
    if op == "complete":
        kwargs = {"docs": msg["docs"]} if "docs" in msg else {}
        return _encode(service.complete(msg["source"], msg["line"], msg["col"], **kwargs))
    if op == "signatures":
        return _encode(service.signatures(msg["source"], msg["line"], msg["col"]))
    if op == "details":
        return _encode(service.details(msg["index"]))
    if op == "warm_up":
        service.warm_up(msg.get("snippets"))
        return None
    if op == "ping":
        return "pong"
    raise ValueError(f"unknown request {op!r}")


def serve(requests: IO[str], replies: IO[str], service: CompletionService, idle_s: float = 1.0,
          full_gc_every: int = 200) -> None:
    """Answer requests until `requests` ends.

    The garbage collector runs between requests, not during them: a full pass over jedi's heap
    takes ~0.3 s, so it waits until no request came for `idle_s` (or every `full_gc_every`
    requests when the user never pauses), and what survives it is frozen so later passes skip it;
    after each reply only the young objects are collected."""
    inbox: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in requests:
            inbox.put(line)
        inbox.put(None)

    threading.Thread(target=read, name="completion-requests", daemon=True).start()
    gc.disable()
    since_full = 0
    try:
        while True:
            try:
                line = inbox.get(timeout=idle_s)
            except queue.Empty:
                if since_full:
                    gc.collect()
                    gc.freeze()  # survivors (jedi's caches, parsed modules) are never walked again
                    since_full = 0
                continue
            if line is None:
                return
            gc.disable()  # again: parso turns the collector back on after each pickle it loads
            try:
                msg = json.loads(line)
                reply = {"id": msg.get("id"), "result": _handle(msg, service)}
            except Exception as e:  # noqa: BLE001 - a bad request gets an error reply, never a dead child
                reply = {"id": None, "error": f"{type(e).__name__}: {e}"}
            replies.write(json.dumps(reply) + "\n")
            replies.flush()
            since_full += 1
            if since_full >= full_gc_every:
                gc.collect()
                since_full = 0
            else:
                gc.collect(1)
    finally:
        gc.enable()


def main(argv: list[str]) -> int:
    """Child entry: `<app> --completion-child CACHE_DIR`."""
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # prints from anywhere go to stderr
    cache_dir = Path(argv[0]) if argv else app_cache_dir() / "jedi"
    serve(sys.stdin, channel, CompletionService(cache_dir))
    return 0
