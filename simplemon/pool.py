"""A small thread pool whose workers are daemon threads.

The standard ThreadPoolExecutor joins its workers at interpreter exit, so a single
check stuck in a library call past its timeout would stop the monitor from exiting on
SIGTERM. Here such a thread is abandoned instead; the scheduler already recorded the
check as failed when its deadline passed.

The pool grows only when work waits, no worker has picked up any for
``grow_after`` seconds, and the workers are not busy computing: quick checks (tcp,
ping on a LAN, http to a server on this host) are served by a few threads instead
of 32 fighting over the GIL, while slow or hung checks, whose workers wait on the
network, still get a new thread within milliseconds each, up to ``max_workers``.

Each Future carries ``started_at`` (None until a worker takes it) and
``queue_moved_at`` (when a worker last took any work), so that a round counts a
queued check's time from its start, not from its submission (see round.py).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
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
#: Share of one core the workers together used since the grower's last look, above
#: which waiting work means the checks are computing, not waiting on the network:
#: under the GIL another thread would only queue for it (issue 5: 1,000 http checks
#: of a server on this host grew the pool to ~30 threads and cost a third more CPU).
BUSY_SHARE = 0.75
#: Seconds on one check after which a worker is taken to wait on its target (a slow
#: or hung one), not to compute: the pool then grows so that START_WORKERS others
#: keep taking the quick checks, and a hung check queued behind them starts soon.
SLOW_AFTER = 0.05


def threads_cpu(threads: Sequence[threading.Thread]) -> float | None:
    """Return the CPU seconds ``threads`` used so far; None where it cannot be read.

    Per-thread CPU clocks (``pthread_getcpuclockid``) exist on Linux and most Unixes;
    a thread that has just ended has none any more.
    """
    total = 0.0
    try:
        for thread in threads:
            if thread.ident is not None:
                total += time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
    except (AttributeError, OSError):
        return None
    return total


class NoThreadError(RuntimeError):
    """No worker exists and none could be started (a thread or pids limit)."""


class WorkerPool:
    """Run callables on at most ``max_workers`` daemon threads, started on demand."""

    def __init__(
        self,
        max_workers: int,
        name: str = "check",
        grow_after: float = GROW_AFTER,
        cpu_time: Callable[[Sequence[threading.Thread]], float | None] = threads_cpu,
        slow_after: float = SLOW_AFTER,
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self.grow_after = grow_after
        self._cpu_time = cpu_time
        self._slow_after = slow_after
        self._name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._lock = threading.Lock()
        self._closed = False
        self._progress = time.monotonic()  # when a worker last took an item
        #: When each busy worker (by thread ident) took the item it is on.
        self._busy_since: dict[int, float] = {}
        self._backlog = threading.Event()  # set while the grower should watch
        self._grower: threading.Thread | None = None
        self._shortage = False  # a thread could not be started; warned once
        #: When the grower last looked, and the workers' CPU seconds then.
        self._cpu_mark: tuple[float, float] | None = None

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Queue ``fn(*args)`` and return a Future for its result.

        ``concurrent.futures`` is imported here, at the first check a worker runs:
        a round of only tcp and ping checks never needs it (~2 ms of start-up).
        """
        from concurrent.futures import Future  # noqa: PLC0415

        lazy_logging.settle()  # concurrent.futures imports logging
        future: Future[T] = Future()
        future.started_at = None  # type: ignore[attr-defined]
        future.queue_moved_at = self.queue_moved_at  # type: ignore[attr-defined]
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
        """Add a worker whenever work waited ``grow_after`` with no pick-up.

        Not while the workers compute (see _computing): then the work waits for
        the GIL, which one more thread would not give it. Unless fewer than
        START_WORKERS are free of a long check (see _quick_workers): those wait on
        their targets, and the quick checks behind them need threads of their own.
        """
        while True:
            self._backlog.wait()
            time.sleep(self.grow_after)
            with self._lock:
                if self._closed:
                    return
                waiting = self._queue.qsize() > self._idle
                if not waiting or len(self._threads) >= self.max_workers:
                    self._backlog.clear()
                    self._cpu_mark = None  # the next backlog looks afresh
                elif (
                    time.monotonic() - self._progress >= self.grow_after
                    and (self._quick_workers() < START_WORKERS or not self._computing())
                    and not self._start_worker()
                ):
                    self._backlog.clear()  # tried again at the next backlog
                    self._cpu_mark = None

    def _quick_workers(self) -> int:
        """Count the workers not on one check for ``slow_after`` (idle ones too)."""
        since = time.monotonic() - self._slow_after
        slow = sum(1 for taken in self._busy_since.values() if taken < since)
        return len(self._threads) - slow

    def queue_moved_at(self) -> float:
        """Return when a worker last took work (monotonic seconds)."""
        return self._progress

    def _computing(self) -> bool:
        """Whether the workers used BUSY_SHARE of a core since the last look.

        Work that waits while they compute waits for the GIL, not for a thread:
        a new one would only take its turn. Workers blocked on the network (a slow
        or hung target) use next to no CPU, and one more is started as before. The
        first look of a backlog only takes a mark (says busy: look again); where
        the CPU clocks cannot be read this says False, and the pool grows as it
        would without them. Called by the grower, under the lock.
        """
        now = time.monotonic()
        cpu = self._cpu_time(self._threads)
        if cpu is None:
            self._cpu_mark = None
            return False
        mark, self._cpu_mark = self._cpu_mark, (now, cpu)
        if mark is None or now <= mark[0]:
            return mark is None
        return (cpu - mark[1]) / (now - mark[0]) >= BUSY_SHARE

    def _work(self) -> None:
        me = threading.get_ident()
        while True:
            with self._lock:  # the grower reads _busy_since under it
                self._busy_since.pop(me, None)
                self._idle += 1
            item = self._queue.get()
            taken = time.monotonic()
            with self._lock:
                self._idle -= 1
                self._progress = taken
                if item is not _STOP:
                    self._busy_since[me] = taken
            if item is _STOP:
                return
            future, fn, args = item
            if future.set_running_or_notify_cancel():
                future.started_at = taken
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
