"""A small thread pool whose workers are daemon threads.

The standard ThreadPoolExecutor joins its workers at interpreter exit, so a single
check stuck in a library call past its timeout would stop the monitor from exiting on
SIGTERM. Here such a thread is abandoned instead; the scheduler already recorded the
check as failed when its deadline passed.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

_STOP = object()


class WorkerPool:
    """Run callables on at most ``max_workers`` daemon threads, started on demand."""

    def __init__(self, max_workers: int, name: str = "check") -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self._name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Queue ``fn(*args)`` and return a Future for its result."""
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("pool is shut down")
            self._queue.put((future, fn, args))
            if (
                self._idle < self._queue.qsize()
                and len(self._threads) < self.max_workers
            ):
                thread = threading.Thread(
                    target=self._work,
                    name=f"{self._name}-{len(self._threads) + 1}",
                    daemon=True,
                )
                self._threads.append(thread)
                thread.start()
        return future

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            item = self._queue.get()
            with self._lock:
                self._idle -= 1
            if item is _STOP:
                return
            future, fn, args = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args))
                except BaseException as e:
                    future.set_exception(e)

    @property
    def thread_count(self) -> int:
        """Return how many worker threads exist."""
        return len(self._threads)

    def shutdown(self, timeout: float = 0.0) -> None:
        """Stop idle workers; wait up to ``timeout`` seconds for busy ones."""
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(_STOP)
        if timeout > 0:
            for thread in threads:
                thread.join(timeout)
