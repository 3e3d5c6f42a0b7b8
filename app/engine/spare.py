"""A spare runner child, started in the background so the next cold start is instant.

Spares know nothing about a project until their first command (commands carry all their state),
so one pool serves every project of the process. Taking the spare starts the next one.
"""

from __future__ import annotations

import atexit
import threading

from app.engine.child import Child, ChildStartError


class SparePool:
    """At most one ready child waiting for its first command."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spare: Child | None = None
        self._starting: threading.Thread | None = None
        self._closed = False

    def ensure(self) -> None:
        """Start a spare in the background unless one is ready or on its way."""
        with self._lock:
            if self._closed or self._starting is not None or (self._spare is not None and self._spare.alive):
                return
            self._starting = threading.Thread(target=self._start, daemon=True, name="customdb-spare")
            self._starting.start()

    def _start(self) -> None:
        try:
            child = Child.start(wait_ready=True)
        except (ChildStartError, OSError):
            child = None
        with self._lock:
            self._starting = None
            if child is not None and (self._closed or self._spare is not None):
                extra, child = child, None
            else:
                extra = None
            if child is not None:
                self._spare = child
        if extra is not None:
            extra.close()

    def take(self, wait: bool = False) -> Child | None:
        """The ready spare (or None), and start the next one. With wait, wait for one on its way."""
        with self._lock:
            starting = self._starting
        if wait and starting is not None:
            starting.join()
        with self._lock:
            child, self._spare = self._spare, None
        self.ensure()
        if child is not None and not child.alive:
            child.close()
            return None
        return child

    @property
    def ready(self) -> bool:
        with self._lock:
            return self._spare is not None and self._spare.alive

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Wait until a spare is ready (benchmarks, tests)."""
        self.ensure()
        with self._lock:
            starting = self._starting
        if starting is not None:
            starting.join(timeout)
        return self.ready

    def close(self) -> None:
        with self._lock:
            self._closed = True
            child, self._spare = self._spare, None
            starting = self._starting
        if child is not None:
            child.close()
        if starting is not None:
            starting.join(5)
            with self._lock:
                child, self._spare = self._spare, None
            if child is not None:
                child.close()


_pool: SparePool | None = None
_pool_lock = threading.Lock()


def spare_pool() -> SparePool:
    """The process-wide pool (closed at exit, so no spare outlives the IDE)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = SparePool()
            atexit.register(_pool.close)
        return _pool
