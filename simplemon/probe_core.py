"""The probe loop's machinery: selector, timers, admission and each probe's handle.

Split from probe.py, which keeps what a plugin writes (the Probe interface) and
the plugin-facing names; this module is what runs probes: :class:`ProbeCore`
(driven by ``probe_loop.ProbeLoop`` on the scheduler's thread, or by
``probe.run_probe`` on a plugin's own) and :class:`ProbeIO`, the handle through
which a running probe watches sockets, sets timers, shares resources and finishes.
"""

from __future__ import annotations

import _socket
import functools
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from simplemon.lazy_logging import get_logger
from simplemon.model import CheckResult
from simplemon.poller import READ, Poller

if TYPE_CHECKING:
    from simplemon.probe import Probe

# The name the log shows is the one it had before the split.
log = get_logger("simplemon.probe")

#: Ceiling on probes in flight at once (each may hold a socket); more wait their turn.
MAX_ACTIVE = 4096
#: Timers kept before the first clean-up of finished probes' ones (see call_at).
COMPACT_MIN = 64
#: Probes started per loop step before ready sockets are served again.
ADMIT_BATCH = 64


class Shared(Protocol):
    """A resource several probes share (e.g. one ICMP socket); closed with the loop."""

    def close(self) -> None:
        """Release the resource."""


SharedT = TypeVar("SharedT", bound=Shared)


class ProbeIO:
    """What a running probe may ask of its loop; cleaned up when the probe ends."""

    def __init__(
        self, core: ProbeCore, probe: Probe, done: Callable[[CheckResult], None]
    ) -> None:
        self._core = core
        self._probe = probe
        self._done = done
        #: Each watched socket's descriptor, as registered (it may be closed by now).
        self._watched: dict[_socket.socket, int] = {}
        self.finished = False
        self._closed = False

    def watch(
        self, sock: _socket.socket, events: int, callback: Callable[[], None]
    ) -> None:
        """Call ``callback`` whenever ``sock`` is ready for ``events`` (READ/WRITE)."""
        fd = self._watched.get(sock)
        if fd is not None:
            self._core.selector.modify(fd, events, (self, callback))
        else:
            fd = sock.fileno()
            self._core.selector.register(fd, events, (self, callback))
            self._watched[sock] = fd

    def unwatch(self, sock: _socket.socket) -> None:
        """Stop watching ``sock`` (before closing it)."""
        fd = self._watched.pop(sock, None)
        if fd is not None:
            self._core.selector.unregister(fd)

    def later(self, delay: float, callback: Callable[[], None]) -> None:
        """Call ``callback`` after ``delay`` seconds, unless the probe ended first."""
        self._core.call_at(time.monotonic() + delay, self, callback)

    def shared(self, key: object, factory: Callable[[ProbeCore], SharedT]) -> SharedT:
        """Return the loop's resource under ``key``, creating it on first use.

        A factory that raises creates nothing, so a later probe tries again (a
        permission fixed meanwhile is picked up without a restart). A refused
        permission is not asked again among the probes started together (one
        batch of ``ADMIT_BATCH``): the later ones get the same PermissionError. So
        a batch of pings opens (and is refused) one unprivileged ICMP socket, not
        one each, before they use the raw one.
        """
        core = self._core
        found = core.resources.get(key)
        if found is None:
            refused = core.refused.get(key)
            if refused is not None:
                raise refused.with_traceback(None)
            try:
                found = factory(core)
            except PermissionError as e:
                core.refused[key] = e
                raise
            core.resources[key] = found
        return cast(SharedT, found)

    def run(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` now, as a guarded step of this probe (unless it ended).

        For shared resources that hand a probe its event (e.g. a matching reply).
        """
        if not self.finished:
            _guard(self, callback)

    def finish(self, result: CheckResult) -> None:
        """End the check with ``result``; later calls are ignored."""
        if self.finished:
            return
        self.release()
        self._core.finished += 1
        self._done(result)

    def release(self) -> None:
        """Stop watching and let the probe close what it holds; once."""
        self.finished = True
        self._core.running.discard(self)
        for sock in list(self._watched):
            self.unwatch(sock)
        if self._closed:
            return
        self._closed = True
        try:
            self._probe.close()
        except Exception:
            log.exception("probe %r failed to close", self._probe)


class ProbeCore:
    """Selector, timers and admission; driven by whoever calls ``step``.

    Shared resources get the core to register their own sockets with
    :meth:`watch_shared`; their callbacks must not raise.
    """

    def __init__(self, max_active: int) -> None:
        self.selector: Poller[tuple[ProbeIO | None, Callable[[], None]]] = Poller()
        self._shared: dict[_socket.socket, int] = {}
        self.timers: list[tuple[float, int, ProbeIO, Callable[[], None]]] = []
        self.resources: dict[object, Shared] = {}
        #: What each failed factory raised in the current admission (see shared()).
        self.refused: dict[object, PermissionError] = {}
        self.waiting: deque[
            tuple[Probe, Callable[[CheckResult], None], Callable[[], None] | None]
        ] = deque()
        self.running: set[ProbeIO] = set()
        self.max_active = max_active
        #: Probes finished so far; ``step`` must not block after one finished.
        self.finished = 0
        self._seq = itertools.count()
        #: Timer count above which finished probes' timers are dropped (see call_at).
        self._compact_above = COMPACT_MIN

    def call_at(self, when: float, io: ProbeIO, callback: Callable[[], None]) -> None:
        """Call ``callback`` for ``io`` at ``when`` (monotonic), unless it ended.

        A probe that finished early leaves its expiry timer behind, and with it the
        probe and its result, until ``timeout`` has passed (an hour, for some). Once
        the heap has doubled since it was last cleaned, such timers are dropped.
        """
        heapq.heappush(self.timers, (when, next(self._seq), io, callback))
        if len(self.timers) > self._compact_above:
            self.timers = [t for t in self.timers if not t[2].finished]
            heapq.heapify(self.timers)
            self._compact_above = max(COMPACT_MIN, 2 * len(self.timers))

    def watch_shared(self, sock: _socket.socket, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever the shared ``sock`` is readable."""
        fd = sock.fileno()
        self.selector.register(fd, READ, (None, callback))
        self._shared[sock] = fd

    def unwatch_shared(self, sock: _socket.socket) -> None:
        """Stop watching a shared socket (before closing it)."""
        fd = self._shared.pop(sock, None)
        if fd is not None:
            self.selector.unregister(fd)

    def add(
        self,
        probe: Probe,
        done: Callable[[CheckResult], None],
        started: Callable[[], None] | None = None,
    ) -> None:
        """Queue ``probe``; ``done`` gets its result on this core's thread.

        ``started`` is called when it leaves the queue (at most ``max_active`` run
        at once), just before its ``start``.
        """
        self.waiting.append((probe, done, started))

    def _admit(self) -> None:
        # In batches, so replies to the first probes are read (and timed) while
        # later ones are still to start.
        try:
            for _ in range(ADMIT_BATCH):
                if not self.waiting or len(self.running) >= self.max_active:
                    return
                probe, done, started = self.waiting.popleft()
                if started is not None:
                    started()
                io = ProbeIO(self, probe, done)
                self.running.add(io)
                deadline = time.monotonic() + probe.timeout
                _guard(io, functools.partial(probe.start, io))
                if not io.finished:  # many end as they start (a local connect)
                    self.call_at(deadline, io, _expiry(io, probe))
        finally:
            self.refused.clear()

    def step(self, limit: float | None) -> None:
        """Admit waiting probes, wait up to ``limit`` s for I/O, run what is due."""
        finished = self.finished
        self._admit()
        timeout = limit
        if self.waiting and len(self.running) < self.max_active:
            timeout = 0.0  # more to start: only look at what is ready
        elif self.finished != finished:
            # A probe ended as it started (e.g. a connect the kernel refused at
            # once): its caller may be waiting for just that result. Blocking
            # here would hold it until the next timer, maybe its own stale expiry.
            timeout = 0.0
        elif self.timers:
            until = max(0.0, self.timers[0][0] - time.monotonic())
            timeout = until if timeout is None else min(timeout, until)
        for owner, callback in self.selector.select(timeout):
            if owner is None:
                _guard_shared(callback)  # a shared resource's own reader
            elif not owner.finished:
                _guard(owner, callback)
        now = time.monotonic()
        while self.timers and self.timers[0][0] <= now:
            _, _, io, callback = heapq.heappop(self.timers)
            if not io.finished:
                _guard(io, callback)

    def close(self) -> None:
        """Close running probes, shared resources and the poller; no results."""
        for io in list(self.running):
            io.release()
        for shared in self.resources.values():
            try:
                shared.close()
            except Exception:
                log.exception("failed to close %r", shared)
        self.resources.clear()
        self.selector.close()


def _expiry(io: ProbeIO, probe: Probe) -> Callable[[], None]:
    return lambda: io.finish(probe.expire())


def internal_error(error: Exception, duration: float = 0.0) -> CheckResult:
    """Return the result recorded for a check whose own code raised ``error``."""
    return CheckResult(
        False, f"internal error: {type(error).__name__}: {error}", duration
    )


def _guard(io: ProbeIO, callback: Callable[[], Any]) -> None:
    """Run a probe callback; an exception ends that probe, never the loop."""
    try:
        callback()
    except Exception as e:
        log.exception("internal error in probe %r", io._probe)
        io.finish(internal_error(e))


def _guard_shared(callback: Callable[[], None]) -> None:
    """Run a shared resource's reader; a bug in it is logged, the loop goes on."""
    try:
        callback()
    except Exception:
        log.exception("probe loop: internal error in a shared reader %r", callback)
