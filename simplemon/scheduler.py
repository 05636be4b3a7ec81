"""The loop: run due monitors on a bounded pool in dependency order, apply policy.

Each round's snapshot goes to loggers and observers. What is known of each monitor
between rounds (states, last runs, stuck checks) and how results change it lives in
roster.py; this module starts the checks and moves the rounds along.

No network, SQL or template code here; time comes from injected callables so tests can
drive whole rounds with a fake clock.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from simplemon import cadence
from simplemon.checks import guarded_check, probe_of
from simplemon.config import Config
from simplemon.lazy_logging import get_logger
from simplemon.logger_feed import LoggerFeeds
from simplemon.model import CheckResult, MonitorState, Snapshot, Status
from simplemon.pool import NoThreadError, WorkerPool
from simplemon.probe_loop import ProbeLoop
from simplemon.roster import Roster
from simplemon.round import (
    Executor,
    Pending,
    Round,
    RoundHooks,
    RoundObserver,
    RoundReport,
)
from simplemon.timefmt import utc_now

log = get_logger(__name__)

#: Seconds a check may overrun its own timeout before the scheduler gives up on it.
DEADLINE_MARGIN = 2.0


class Scheduler:
    """Run rounds of checks for one Config; its Roster holds each monitor's state."""

    def __init__(  # noqa: PLR0913 - every collaborator is injected on purpose
        self,
        config: Config,
        *,
        hostname: str = "",
        executor: Executor | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utc_now,
        max_workers: int = 32,
        observers: Iterable[RoundObserver] = (),
        states: Mapping[str, MonitorState] | None = None,
        sleep: Callable[[float], None] | None = None,
        deadline_margin: float = DEADLINE_MARGIN,
        probe_loop: ProbeLoop | None = None,
    ) -> None:
        self.hostname = hostname
        self.executor: Executor = executor or WorkerPool(max_workers)
        self._probe_loop = probe_loop
        self.clock = clock
        self.now = now
        self.observers = list(observers)
        self.sleep = sleep
        self.max_workers = max_workers
        #: When each monitor of the current round is due to start (clock seconds).
        self.due_at: dict[str, float] = {}
        self.deadline_margin = deadline_margin
        self._stop: threading.Event | None = None
        self.round_number = 0
        self.roster = Roster(config, states or {}, now)
        # Loggers write beside the rounds: a hung one never holds up a check.
        self._feeds = LoggerFeeds(config.loggers, clock=clock)

    # --- configuration -------------------------------------------------------------

    @property
    def config(self) -> Config:
        """The configuration in use (a reload swaps it)."""
        return self.roster.config

    @property
    def states(self) -> dict[str, MonitorState]:
        """Every configured monitor's state, by name."""
        return self.roster.states

    def reload(self, config: Config) -> None:
        """Swap in a new Config; monitors whose type is unchanged keep their state."""
        self.roster.reload(config)
        self._feeds.reload(config.loggers)

    # --- rounds --------------------------------------------------------------------

    def is_due(self, name: str, tick: float) -> bool:
        """Return whether ``name`` should run in the round scheduled at ``tick``."""
        return self.roster.is_due(name, tick)

    def start_offsets(self) -> dict[str, float]:
        """Return each monitor's start offset; see cadence.start_offsets."""
        interval = self.config.main.interval.total_seconds()
        return cadence.start_offsets(self.roster.order, self.max_workers, interval)

    def run_once(
        self, tick: float | None = None, *, spread: bool = False
    ) -> RoundReport:
        """Run one round of every due monitor; a failing plugin never makes it raise.

        With ``spread`` (the daemon) starts follow start_offsets(); without it
        (``-1``) every due monitor starts at once.
        """
        started = self.clock()
        tick = started if tick is None else tick
        self.round_number += 1
        report = RoundReport(self.round_number)
        previous = dict(self.states)
        ran: set[str] = set()
        due = [n for n in self.roster.order if self.is_due(n, tick)]
        offsets = self.start_offsets() if spread else {}
        self.due_at = {name: tick + offsets.get(name, 0.0) for name in due}
        for name in due:
            self.roster.last_tick[name] = tick
        self._run_round(due, ran, report)
        report.duration = self.clock() - started
        snapshot = self.snapshot(ran, report.duration)
        # Alerts first: they are queued for delivery before any logger's I/O
        # (a locked database, a slow disk) can hold the round up.
        for observer in self.observers:
            try:
                observer.after_round(snapshot, previous)
            except Exception:
                log.exception("round observer %r failed", observer)
        self._write_loggers(snapshot)
        return report

    def _run_round(self, due: list[str], ran: set[str], report: RoundReport) -> None:
        """Run ``due`` monitors, each once its due dependencies have settled."""

        def start(name: str) -> Pending | None:
            future = self._start(name)
            if future is not None or self.states[name].status is not Status.DISABLED:
                ran.add(name)  # a disabled monitor was not checked: not "ran"
            return future

        hooks = RoundHooks(
            start=start,
            record=self.roster.record,
            settled=lambda name: self.roster.account(name, report),
            hung=self.roster.record_hung,
            timeout_of=lambda name: (
                self.roster.by_name[name].plugin.timeout_seconds()
                + self.deadline_margin
            ),
            clock=self.clock,
            pause=self._pause,
            stopping=lambda: self._stop is not None and self._stop.is_set(),
            wait=self._wait,
            wake=self._wake_probes,
        )
        depend = {name: self.roster.by_name[name].common.depend for name in due}
        Round(due, depend, self.roster.dependents, self.due_at, hooks).run()

    def _wait(self, done: queue.SimpleQueue[Pending], timeout: float) -> Pending | None:
        """Wait for the next finished check, running probes meanwhile."""
        loop = self._probe_loop
        if loop is not None and loop.busy:
            loop.wait(lambda: not done.empty(), timeout)
            timeout = 0.0
        try:
            return done.get(timeout=timeout) if timeout > 0 else done.get_nowait()
        except queue.Empty:
            return None

    def _wake_probes(self) -> None:
        if self._probe_loop is not None:
            self._probe_loop.wake()

    def _pause(self, seconds: float) -> None:
        """Wait for a spread start; a stop request cuts the wait short."""
        if seconds <= 0:
            return
        if self.sleep is not None:
            self.sleep(seconds)
        elif self._stop is not None:
            self._stop.wait(seconds)
        else:
            time.sleep(seconds)

    def _start(self, name: str) -> Pending | None:
        """Submit ``name``'s check, or settle it at once and return None.

        Settled at once: see Roster.settle_unchecked.
        """
        if self.roster.settle_unchecked(name, self.hostname):
            return None
        monitor = self.roster.by_name[name]
        probe = probe_of(monitor)
        if probe is not None:
            return self.probe_loop.submit(probe)
        try:
            return self.executor.submit(guarded_check, monitor)
        except NoThreadError as e:
            message = f"cannot start a thread for the check: {e}"
            self.roster.record(name, CheckResult(False, message))
            return None

    @property
    def probe_loop(self) -> ProbeLoop:
        """The loop that runs non-blocking probes; its thread starts on first use."""
        if self._probe_loop is None:
            self._probe_loop = ProbeLoop()
        return self._probe_loop

    # --- output --------------------------------------------------------------------

    def snapshot(self, ran: Iterable[str] = (), round_seconds: float = 0.0) -> Snapshot:
        """Return every monitor's state as an immutable Snapshot."""
        return self.roster.snapshot(
            ran, self.round_number, self.hostname, round_seconds
        )

    def _write_loggers(self, snapshot: Snapshot) -> None:
        statuses = {name: state.status for name, state in self.states.items()}
        self._feeds.hand_off(snapshot, statuses)

    def close_loggers(self, wait: float = 15.0, *, final: bool = False) -> list[str]:
        """Let loggers write what waits, then close them; wait ``wait`` s at most.

        ``final``: the daemon stops for good (each logger's ``stopped`` is called).
        Returns the loggers still busy then (each is logged as an error).
        """
        return self._feeds.close(wait, stopped_at=self.now() if final else None)

    def wait_for_loggers(self, timeout: float) -> bool:
        """Wait until the loggers have written every round given (tests)."""
        return self._feeds.wait_idle(timeout)

    def close_probes(self) -> None:
        """Close the probe loop's sockets (selector, wake-up pair, shared sockets)."""
        if self._probe_loop is not None:
            self._probe_loop.close()

    def reopen_loggers(self) -> None:
        """Ask every result logger to reopen its files (log rotation)."""
        self._feeds.reopen()

    # --- the daemon loop -----------------------------------------------------------

    def run_forever(
        self,
        stop: threading.Event,
        *,
        loops: int | None = None,
        between_rounds: Callable[[], bool | None] | None = None,
        on_round: Callable[[RoundReport], None] | None = None,
    ) -> int:
        """Run rounds every ``interval`` until ``stop`` is set or ``loops`` rounds ran.

        Round k starts at start + k * interval, so the period never drifts by the
        time the work took; a round that overruns makes the next start at once and
        the missed ticks are skipped (and logged). Returns the number of rounds run.
        """
        self._stop = stop
        return cadence.run_rounds(
            self._run_tick,
            self._interval,
            self.clock,
            stop,
            loops=loops,
            sleep=self.sleep,
            between_rounds=between_rounds,
            on_round=on_round,
            due_now=self._due_now,
            run_early=self._run_early,
        )

    def _due_now(self) -> bool:
        """Whether a monitor is due before the next tick (one a reload added)."""
        now = self.clock()
        return any(self.is_due(name, now) for name in self.roster.order)

    def _interval(self) -> float:
        return self.config.main.interval.total_seconds()  # a reload may change it

    def _run_early(self, tick: float) -> RoundReport:
        """Run the few monitors a reload made due: at once, not at their offsets."""
        return self._run_tick(tick, spread=False)

    def _run_tick(self, tick: float, *, spread: bool = True) -> RoundReport:
        try:
            return self.run_once(tick=tick, spread=spread)
        except Exception:
            # Plugins are guarded one by one; this is a bug in the round itself.
            # Monitoring must outlive it: log it, keep the rhythm, go on.
            log.exception("round failed; the next one starts on schedule")
            return RoundReport(self.round_number)
