"""A small thread pool whose workers are daemon threads.

The standard ThreadPoolExecutor joins its workers at interpreter exit, so a single
check stuck in a library call past its timeout would stop the monitor from exiting on
SIGTERM. Here such a thread is abandoned instead; the scheduler already recorded the
check as failed when its deadline passed.

The pool grows only when work waits and no worker has picked up any for
``grow_after`` seconds: sub-millisecond checks (tcp, ping on a LAN) are served by a
couple of threads instead of 32 fighting over the GIL, while slow or hung checks
still get a new thread within milliseconds each, up to ``max_workers``.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from simplemon import lazy_logging
from simplemon.lazy_logging import get_logger

if TYPE_CHECKING:
    from concurrent.futures import Future

T = TypeVar("T")
log = get_logger(__name__)

_STOP = object()
#: Workers started at once, before any growth is considered.
START_WORKERS = 2
#: Seconds work may wait without any worker taking it before one more is started.
GROW_AFTER = 0.002


class NoThreadError(RuntimeError):
    """No worker exists and none could be started (a thread or pids limit)."""


class WorkerPool:
    """Run callables on at most ``max_workers`` daemon threads, started on demand."""

    def __init__(
        self, max_workers: int, name: str = "check", grow_after: float = GROW_AFTER
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self.grow_after = grow_after
        self._name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._lock = threading.Lock()
        self._closed = False
        self._progress = time.monotonic()  # when a worker last took an item
        self._backlog = threading.Event()  # set while the grower should watch
        self._grower: threading.Thread | None = None
        self._shortage = False  # a thread could not be started; warned once

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Queue ``fn(*args)`` and return a Future for its result.

        ``concurrent.futures`` is imported here, at the first check a worker runs:
        a round of only tcp and ping checks never needs it (~2 ms of start-up).
        """
        from concurrent.futures import Future  # noqa: PLC0415

        lazy_logging.settle()  # concurrent.futures imports logging
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("pool is shut down")
            if not self._threads and not self._start_worker():
                # Nothing would ever run it: the caller hears now, nothing is queued.
                raise NoThreadError("can't start new thread")
            self._queue.put((future, fn, args))
            if self._idle < self._queue.qsize():
                if len(self._threads) < min(START_WORKERS, self.max_workers):
                    self._start_worker()
                elif len(self._threads) < self.max_workers:
                    self._watch_backlog()
        return future

    def _start_worker(self) -> bool:
        """Start one more worker (caller holds the lock); False if none can start.

        The workers there are serve the queue meanwhile; a later submit tries again.
        """
        thread = threading.Thread(
            target=self._work,
            name=f"{self._name}-{len(self._threads) + 1}",
            daemon=True,
        )
        try:
            thread.start()
        except RuntimeError as e:  # a thread or pids limit
            self._short(e)
            return False
        self._threads.append(thread)
        self._shortage = False
        return True

    def _short(self, error: RuntimeError) -> None:
        """Warn once per shortage that no more threads can be started."""
        if not self._shortage:
            self._shortage = True
            log.warning(
                "%s pool: cannot start another thread (%s); %d running",
                self._name,
                error,
                len(self._threads),
            )

    def _watch_backlog(self) -> None:
        """Wake the grower, starting it on first use (caller holds the lock)."""
        self._backlog.set()
        if self._grower is None:
            grower = threading.Thread(
                target=self._grow, name=f"{self._name}-grow", daemon=True
            )
            try:
                grower.start()
            except RuntimeError as e:  # tried again at the next backlog
                self._backlog.clear()
                self._short(e)
                return
            self._grower = grower

    def _grow(self) -> None:
        """Add a worker whenever work waited ``grow_after`` with no pick-up."""
        while True:
            self._backlog.wait()
            time.sleep(self.grow_after)
            with self._lock:
                if self._closed:
                    return
                waiting = self._queue.qsize() > self._idle
                if not waiting or len(self._threads) >= self.max_workers:
                    self._backlog.clear()
                elif (
                    time.monotonic() - self._progress >= self.grow_after
                    and not self._start_worker()
                ):
                    self._backlog.clear()  # tried again at the next backlog

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            item = self._queue.get()
            with self._lock:
                self._idle -= 1
                self._progress = time.monotonic()
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
        self._backlog.set()  # lets the grower see ``_closed`` and end
        for _ in threads:
            self._queue.put(_STOP)
        if timeout > 0:
            for thread in threads:
                thread.join(timeout)
