"""The loop: run due monitors on a bounded pool in dependency order, apply policy.

Each round's snapshot goes to loggers and observers.

No network, SQL or template code here; time comes from injected callables so tests can
drive whole rounds with a fake clock.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from simplemon import cadence, policy
from simplemon.checks import guarded_check, normalised, probe_of
from simplemon.config import Config, dependency_order
from simplemon.logger_feed import LoggerFeeds
from simplemon.model import CheckResult, MonitorSnapshot, MonitorState, Snapshot, Status
from simplemon.pool import NoThreadError, WorkerPool
from simplemon.probe_loop import ProbeLoop
from simplemon.redact import redact
from simplemon.round import (
    Executor,
    Pending,
    Round,
    RoundHooks,
    RoundObserver,
    RoundReport,
)
from simplemon.timefmt import utc_now

log = logging.getLogger(__name__)

#: Seconds a check may overrun its own timeout before the scheduler gives up on it.
DEADLINE_MARGIN = 2.0
_EPSILON = 1e-6
#: How loudly each outcome is logged: failures are warnings, the rest routine.
_LOG_LEVELS = {
    Status.OK: logging.DEBUG,
    Status.DISABLED: logging.DEBUG,
    Status.SKIPPED: logging.INFO,
}


class Scheduler:
    """Run rounds of checks for one Config; owns every monitor's runtime state."""

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
        self.config = config
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
        self.states: dict[str, MonitorState] = {}
        self.round_number = 0
        self._last_tick: dict[str, float] = {}
        self._hung: dict[str, Pending] = {}
        self._details: dict[str, Mapping[str, Any]] = {}
        self._order: list[str] = []
        self._install(config, states or {})
        # Loggers write beside the rounds: a hung one never holds up a check.
        self._feeds = LoggerFeeds(config.loggers, clock=clock)

    # --- configuration -------------------------------------------------------------

    def _install(self, config: Config, states: Mapping[str, MonitorState]) -> None:
        self.config = config
        self._by_name = {m.name: m for m in config.monitors}
        self._order = dependency_order(config)
        self._dependents: dict[str, list[str]] = {m.name: [] for m in config.monitors}
        for m in config.monitors:
            for dep in m.common.depend:
                self._dependents[dep].append(m.name)
        self.states = {
            m.name: states.get(m.name, MonitorState()) for m in config.monitors
        }

    def reload(self, config: Config) -> None:
        """Swap in a new Config; monitors whose type is unchanged keep their state."""
        old = self._by_name
        kept = {
            name: state
            for name, state in self.states.items()
            if name in old
            and any(
                m.name == name and m.type_name == old[name].type_name
                for m in config.monitors
            )
        }
        for name in list(self._last_tick):
            if name not in kept:
                del self._last_tick[name]
        # Nothing of a monitor that is gone may stay behind: months of reloads
        # that rename monitors would otherwise keep every name ever used.
        present = {m.name for m in config.monitors}
        for table in (self._details, self._hung):
            for name in table.keys() - present:
                del table[name]
        self._install(config, kept)
        self._feeds.reload(config.loggers)

    # --- rounds --------------------------------------------------------------------

    def is_due(self, name: str, tick: float) -> bool:
        """Return whether ``name`` should run in the round scheduled at ``tick``."""
        last = self._last_tick.get(name)
        if last is None:
            return True
        state = self.states[name]
        interval = self.config.main.interval.total_seconds()
        period = interval
        if not state.status.is_failure:
            period = max(interval, self._by_name[name].common.gap.total_seconds())
        return tick - last >= period - _EPSILON

    def start_offsets(self) -> dict[str, float]:
        """Return each monitor's start offset; see cadence.start_offsets."""
        interval = self.config.main.interval.total_seconds()
        return cadence.start_offsets(self._order, self.max_workers, interval)

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
        due = [n for n in self._order if self.is_due(n, tick)]
        offsets = self.start_offsets() if spread else {}
        self.due_at = {name: tick + offsets.get(name, 0.0) for name in due}
        for name in due:
            self._last_tick[name] = tick
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

        def hung(name: str, future: Pending) -> None:
            self._hung[name] = future
            timeout = self._by_name[name].plugin.timeout_seconds()
            message = f"check did not finish within {timeout:g}s"
            self._record(name, CheckResult(False, message, timeout))

        hooks = RoundHooks(
            start=start,
            record=self._record,
            settled=lambda name: self._account(name, report),
            hung=hung,
            timeout_of=lambda name: (
                self._by_name[name].plugin.timeout_seconds() + self.deadline_margin
            ),
            clock=self.clock,
            pause=self._pause,
            stopping=lambda: self._stop is not None and self._stop.is_set(),
            wait=self._wait,
            wake=self._wake_probes,
        )
        depend = {name: self._by_name[name].common.depend for name in due}
        Round(due, depend, self._dependents, self.due_at, hooks).run()

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

        Settled at once: disabled here, a dependency is down, or its previous check
        is still stuck past its deadline (it is never run twice at the same time).
        """
        monitor = self._by_name[name]
        common = monitor.common
        # Host names are case-insensitive; SimpleMonitor compares them lowercased.
        elsewhere = common.runon and common.runon.lower() != self.hostname.lower()
        if not common.enabled or elsewhere:
            reason = (
                "disabled" if not common.enabled else f"runs only on {common.runon}"
            )
            before = self.states[name]
            state = policy.apply_disabled(before, reason, self.now())
            self.states[name] = state
            if before.failures > 0:
                # Alerters count this as the outage's end (a recovery is sent):
                # say so once at the default level, as for a recovery.
                log.info(
                    "monitor %s: no longer checked (%s) while failing", name, reason
                )
            return None
        if common.depend:
            statuses = {d: self.states[d].status for d in common.depend}
            blocker = policy.blocking_dependency(common.depend, statuses)
            if blocker is not None:
                reason = f"depends on {blocker}, which is {statuses[blocker].value}"
                state = policy.apply_skip(self.states[name], reason, self.now())
                self.states[name] = state
                return None
        hung = self._hung.get(name)
        if hung is not None:
            if not hung.done():
                message = "previous check is still running"
                self._record(name, CheckResult(False, message))
                return None
            del self._hung[name]
        probe = probe_of(monitor)
        if probe is not None:
            return self.probe_loop.submit(probe)
        try:
            return self.executor.submit(guarded_check, monitor)
        except NoThreadError as e:
            message = f"cannot start a thread for the check: {e}"
            self._record(name, CheckResult(False, message))
            return None

    @property
    def probe_loop(self) -> ProbeLoop:
        """The loop that runs non-blocking probes; its thread starts on first use."""
        if self._probe_loop is None:
            self._probe_loop = ProbeLoop()
        return self._probe_loop

    def _record(self, name: str, result: CheckResult) -> None:
        result = normalised(result)
        tolerance = self._by_name[name].common.tolerance
        failing = self.states[name].failures > 0
        state = self.states[name] = policy.apply_result(
            self.states[name], result, tolerance, self.now()
        )
        self._details[name] = result.details
        if failing and state.status is Status.OK:
            # A failure is logged every round; its end deserves one line too, at
            # the default level, or the console shows an outage that never ends.
            # By the streak, not the status: a skip keeps a failing monitor's
            # streak, and it recovers from SKIPPED when its dependency is back.
            log.info("monitor %s: recovered: %s", name, state.last_message)

    def _account(self, name: str, report: RoundReport) -> None:
        state = self.states[name]
        if state.status is not Status.DISABLED:
            report.ran.append(name)  # "checked" in the round's summary line
        if state.status is Status.SKIPPED:
            report.skipped.append(name)
        elif state.status in (Status.FAILING, Status.FAILED):
            report.failed.append(name)
        level = _LOG_LEVELS.get(state.status, logging.WARNING)
        log.log(
            level, "monitor %s: %s: %s", name, state.status.value, state.last_message
        )

    # --- output --------------------------------------------------------------------

    def snapshot(self, ran: Iterable[str] = (), round_seconds: float = 0.0) -> Snapshot:
        """Return every monitor's state as an immutable Snapshot."""
        ran_set = set(ran)
        monitors = tuple(
            MonitorSnapshot(
                name=m.name,
                type_name=m.type_name,
                description=redact(m.plugin.describe()),
                state=self.states[m.name],
                ran=m.name in ran_set,
                group=m.common.group,
                failure_doc=m.common.failure_doc,
                urgent=m.common.urgent,
                tolerance=m.common.tolerance,
                details=self._details.get(m.name, {}),
                gap=m.common.gap.total_seconds(),
                depend=m.common.depend,
            )
            for m in self.config.monitors
        )
        return Snapshot(
            taken_at=self.now(),
            round_number=self.round_number,
            hostname=self.hostname,
            interval=self.config.main.interval.total_seconds(),
            monitors=monitors,
            round_seconds=round_seconds,
        )

    def _write_loggers(self, snapshot: Snapshot) -> None:
        statuses = {name: state.status for name, state in self.states.items()}
        self._feeds.hand_off(snapshot, statuses)

    def close_loggers(self, wait: float = 15.0) -> list[str]:
        """Let loggers write what waits, then close them; wait ``wait`` s at most.

        Returns the loggers still busy then (each is logged as an error).
        """
        return self._feeds.close(wait)

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
        return any(self.is_due(name, now) for name in self._order)

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
