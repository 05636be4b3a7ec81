"""Execute one round of checks in dependency order, within deadlines.

A monitor starts once its dependencies have settled and its start time has come;
a check past its deadline is given up on.

Event-driven so that 10,000 monitors cost O(log n) per event: ready monitors sit in
a heap by start time, completions arrive on a queue, deadlines sit in a heap.
No I/O here; the scheduler supplies the callbacks. The protocols its collaborators
meet (an Executor for checks, the Pending result of a started check, RoundObservers
told of each round) are declared here.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from simplemon.model import CheckResult, MonitorState, Snapshot
from simplemon.record import field, record

if TYPE_CHECKING:
    from concurrent.futures import Future


class Pending(Protocol):
    """A started check's result to come: a Future, or the probe loop's lighter one."""

    def done(self) -> bool:
        """Whether the check has ended."""

    def result(self) -> Any:
        """Return the check's result (called once done)."""

    def add_done_callback(self, fn: Callable[[Any], object]) -> None:
        """Call ``fn(self)`` once the check has ended."""


@record(frozen=False)
class RoundReport:
    """What one round did, for the CLI's exit code and heartbeat line."""

    number: int
    ran: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    duration: float = 0.0


@record
class RoundHooks:
    """What a round needs from its scheduler."""

    start: Callable[[str], Pending | None]  # None: settled without running
    record: Callable[[str, CheckResult], None]
    settled: Callable[[str], None]
    hung: Callable[[str, Pending], None]
    timeout_of: Callable[[str], float]  # seconds, plus the margin
    clock: Callable[[], float]
    pause: Callable[[float], None]
    stopping: Callable[[], bool]
    # Block up to the timeout for the next finished check (None: none came).
    wait: Callable[[queue.SimpleQueue[Pending], float], Pending | None]
    wake: Callable[[], None]  # a check finished on another thread


class Round:
    """One round's bookkeeping; ``run()`` returns when every due monitor settled."""

    def __init__(
        self,
        due: list[str],
        depend: Mapping[str, tuple[str, ...]],
        dependents: Mapping[str, list[str]],
        due_at: Mapping[str, float],
        hooks: RoundHooks,
    ) -> None:
        self.hooks = hooks
        self.dependents = dependents
        self.due_at = due_at
        due_set = set(due)
        self.order = {name: i for i, name in enumerate(due)}
        self.waiting = {n: {d for d in depend[n] if d in due_set} for n in due}
        self.ready: list[tuple[float, int, str]] = []
        self.running: dict[Pending, str] = {}
        self.deadlines: list[tuple[float, int, Pending]] = []
        self.done: queue.SimpleQueue[Pending] = queue.SimpleQueue()
        self._seq = itertools.count()
        for name in due:
            if not self.waiting[name]:
                self._push(name)

    def _push(self, name: str) -> None:
        heapq.heappush(self.ready, (self.due_at.get(name, 0.0), self.order[name], name))

    def run(self) -> None:
        """Run the round to completion (bounded by every check's deadline)."""
        while self.ready or self.running:
            self._start_due()
            if self.running:
                self._settle(self._collect())
            elif self.ready:
                self.hooks.pause(self.ready[0][0] - self.hooks.clock())

    def _start_due(self) -> None:
        while self.ready and (
            self.ready[0][0] <= self.hooks.clock() or self.hooks.stopping()
        ):
            _, _, name = heapq.heappop(self.ready)
            future = self.hooks.start(name)
            if future is None:
                self._settle([name])
                continue
            # Deadlines use the real clock: they bound real waiting on futures.
            limit = time.monotonic() + self.hooks.timeout_of(name)
            self.running[future] = name
            heapq.heappush(self.deadlines, (limit, next(self._seq), future))
            future.add_done_callback(self._completed)

    def _completed(self, future: Pending) -> None:
        self.done.put(future)
        self.hooks.wake()

    def _collect(self) -> list[str]:
        """Wait for results, the next deadline or the next start; return who settled."""
        self._drop_stale_deadlines()
        timeout = self.deadlines[0][0] - time.monotonic()
        if self.ready and not self.hooks.stopping():
            timeout = min(timeout, self.ready[0][0] - self.hooks.clock())
        finished: list[str] = []
        future = self.hooks.wait(self.done, max(0.0, timeout))
        while future is not None:
            self._finish(future, finished)
            future = _queue_wait(self.done, None)
        now = time.monotonic()
        while self.deadlines and self.deadlines[0][0] <= now:
            _, _, future = heapq.heappop(self.deadlines)
            name = self.running.get(future)
            if name is None:
                continue
            limit = self._from_start(future, name, now)
            if limit is not None:
                heapq.heappush(self.deadlines, (limit, next(self._seq), future))
                continue
            del self.running[future]
            self.hooks.hung(name, future)
            finished.append(name)
        return finished

    def _from_start(self, future: Pending, name: str, now: float) -> float | None:
        """Return a later deadline for a check that started late, else None.

        A check's time counts from its start (``started_at``), not from its
        submission. The probe loop runs so many probes at once; the others wait
        for a slot, and will start: each one ahead ends by its own timeout (one not
        started yet gets a whole timeout more). A check queued for a worker thread
        waits while the workers take work (``queue_moved_at``): 400 one-second
        checks on 32 threads were failed as "did not finish within 5s" without
        ever starting. Once every worker is stuck in a check that never returns,
        the queue stops moving and a check still in it fails a timeout later. A
        Future with neither (another executor) counts from its submission. A stop
        does not wait for the queue.
        """
        if not hasattr(future, "started_at") or self.hooks.stopping():
            return None
        begun: float | None = future.started_at
        if begun is None:
            moved = getattr(future, "queue_moved_at", None)
            begun = now if moved is None else moved()
        limit = begun + self.hooks.timeout_of(name)
        return limit if limit > now else None

    def _finish(self, future: Pending, finished: list[str]) -> None:
        name = self.running.pop(future, None)
        if name is not None:  # else: it already missed its deadline
            self.hooks.record(name, future.result())
            finished.append(name)

    def _drop_stale_deadlines(self) -> None:
        while self.deadlines and self.deadlines[0][2] not in self.running:
            heapq.heappop(self.deadlines)

    def _settle(self, names: list[str]) -> None:
        """Account for settled monitors and queue dependents that no longer wait."""
        for name in names:
            self.hooks.settled(name)
            for child in self.dependents.get(name, ()):
                pending = self.waiting.get(child)
                if pending is not None and name in pending:
                    pending.discard(name)
                    if not pending:
                        self._push(child)


def _queue_wait(
    done: queue.SimpleQueue[Pending], timeout: float | None
) -> Pending | None:
    """Return the next finished check, waiting up to ``timeout`` (None: not at all)."""
    try:
        if timeout is None:
            return done.get_nowait()
        return done.get(timeout=timeout)
    except queue.Empty:
        return None


class RoundObserver(Protocol):
    """Something told about every finished round (alerting, the state store)."""

    def after_round(
        self, snapshot: Snapshot, previous: Mapping[str, MonitorState]
    ) -> None:
        """React to a finished round; ``previous`` is each monitor's state before it."""


class Executor(Protocol):
    """What the scheduler needs from a pool: submit work, get a Future."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Queue ``fn(*args)``."""
