"""The scheduler's side of the probe core: a result per probe, driven while it waits.

A round submits its probes here and then waits for results; the waiting itself runs
the I/O, so no check hands the GIL to another thread. Results of the thread pool end
a wait early through :meth:`ProbeLoop.wake`.
"""

from __future__ import annotations

import _socket
import contextlib
import resource
import threading
import time
from collections.abc import Callable

from simplemon.lazy_logging import get_logger
from simplemon.model import CheckResult
from simplemon.probe import Probe
from simplemon.probe_core import MAX_ACTIVE, ProbeCore

log = get_logger(__name__)


def default_max_active() -> int:
    """Return half the soft open-files limit: probes never starve the process."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_ACTIVE
    return max(16, min(MAX_ACTIVE, soft // 2))


class ProbeResult:
    """A probe's result to come: the part of a Future a round uses, without locks.

    A concurrent.futures.Future makes a Condition (and takes its lock on every
    call) so that other threads can wait on it. Nothing does here: the result is
    set by :meth:`ProbeLoop.wait`, on the thread that drives the loop, which is the
    thread that submitted the probe and reads the result, so only that thread ever
    touches this object. Done-callbacks run on it too, when the result is set.
    """

    __slots__ = ("_callbacks", "_result", "started_at")

    def __init__(self) -> None:
        self._result: CheckResult | None = None
        self._callbacks: list[Callable[[ProbeResult], object]] = []
        #: When the probe left the queue and started (monotonic); None while it
        #: waits for a free slot (too many run at once). It will start: each probe
        #: ahead of it ends by its own timeout, so a round counts a probe's time
        #: from its start.
        self.started_at: float | None = None

    def done(self) -> bool:
        """Whether the probe has ended."""
        return self._result is not None

    def set_started(self) -> None:
        """Note that the probe has left the queue and starts now."""
        self.started_at = time.monotonic()

    def result(self) -> CheckResult:
        """Return the result; only once done (nothing else would drive the probe)."""
        if self._result is None:
            raise RuntimeError("the probe has not ended: drive it with ProbeLoop.wait")
        return self._result

    def add_done_callback(self, fn: Callable[[ProbeResult], object]) -> None:
        """Call ``fn(self)`` once the result is set (at once if it already is).

        As with a Future, an exception in ``fn`` is logged, never raised.
        """
        if self._result is None:
            self._callbacks.append(fn)
        else:
            self._call(fn)

    def set_result(self, result: CheckResult) -> None:
        """Store the probe's result and run the done-callbacks; once."""
        if self._result is not None:
            raise RuntimeError("a probe's result is set once")
        self._result = result
        callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            self._call(fn)

    def _call(self, fn: Callable[[ProbeResult], object]) -> None:
        try:
            fn(self)
        except Exception:
            log.exception("exception calling callback for %r", self)


class ProbeLoop:
    """Probes submitted by one thread and driven by it through :meth:`wait`.

    There is no thread of its own: the round that submits probes also waits for
    its results, so it drives the I/O while it waits and no check ever hands the
    GIL to another thread. Results of other work (the thread pool) end a wait
    early through the thread-safe :meth:`wake`.
    """

    def __init__(self, max_active: int | None = None) -> None:
        self._core = ProbeCore(max_active or default_max_active())
        self._wake_r, self._wake_w = _socket.socketpair()  # see tcp.py on _socket
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._core.watch_shared(self._wake_r, self._drain_wake)
        self._driver = threading.get_ident()
        self._closed = False

    @property
    def busy(self) -> bool:
        """Whether any probe is still running or waiting to start."""
        return bool(self._core.running or self._core.waiting)

    def submit(self, probe: Probe) -> ProbeResult:
        """Queue ``probe``; its ProbeResult gets a CheckResult (never an exception).

        The probe starts during the next :meth:`wait`, on the calling thread.
        """
        if self._closed:
            raise RuntimeError("probe loop is closed")
        pending = ProbeResult()
        self._core.add(probe, pending.set_result, pending.set_started)
        return pending

    def wait(self, ready: Callable[[], bool], timeout: float) -> None:
        """Run probes until ``ready()`` is true or ``timeout`` seconds have passed."""
        self._driver = threading.get_ident()
        limit = time.monotonic() + timeout
        while not ready():
            remaining = limit - time.monotonic()
            if remaining <= 0:
                return
            self._core.step(remaining)

    def wake(self) -> None:
        """End a :meth:`wait` in progress on another thread; safe from any thread."""
        if threading.get_ident() == self._driver:
            return  # a callback of the driving thread itself: it is awake
        # A full socket already holds wake-ups: the waiter will look anyway.
        with contextlib.suppress(BlockingIOError, OSError):
            self._wake_w.send(b"\0")

    def close(self) -> None:
        """Close every socket; probes still running are abandoned."""
        if self._closed:
            return
        self._closed = True
        self._core.close()
        self._wake_r.close()
        self._wake_w.close()

    def _drain_wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while self._wake_r.recv(4096):
                pass
