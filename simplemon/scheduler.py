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
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from simplemon import fanout, policy
from simplemon.config import Config, dependency_order
from simplemon.model import CheckResult, MonitorSnapshot, MonitorState, Snapshot, Status
from simplemon.pool import WorkerPool
from simplemon.probe import Probe, ProbeLoop, internal_error
from simplemon.round import Round, RoundHooks
from simplemon.sections import PluginConfig

log = logging.getLogger(__name__)

#: Seconds a check may overrun its own timeout before the scheduler gives up on it.
DEADLINE_MARGIN = 2.0
#: In the daemon, a round with more due monitors than workers spreads their starts
#: over this share of the interval (see Scheduler.start_offsets).
SPREAD_SHARE = 0.5
_EPSILON = 1e-6
#: How loudly each outcome is logged: failures are warnings, the rest routine.
_LOG_LEVELS = {
    Status.OK: logging.DEBUG,
    Status.DISABLED: logging.DEBUG,
    Status.SKIPPED: logging.INFO,
}


def utc_now() -> datetime:
    """Return the current wall-clock time, timezone-aware in UTC."""
    return datetime.now(UTC)


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


@dataclass
class RoundReport:
    """What one round did, for the CLI's exit code and heartbeat line."""

    number: int
    ran: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    duration: float = 0.0


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
        self._hung: dict[str, Future[Any]] = {}
        self._details: dict[str, Mapping[str, Any]] = {}
        self._order: list[str] = []
        self._install(config, states or {})

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
        old_loggers = self.config.loggers
        self._install(config, kept)
        self.close_loggers(old_loggers)

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
        """Return each monitor's start offset (seconds after its round's tick).

        With more monitors than workers, starting them all at the tick only queues
        them: the k-th monitor in dependency order (k from 0) instead starts at
        ``(k // W) * SPREAD_SHARE * interval / ceil(N / W)``, W workers, N monitors,
        so batches of W start evenly over the first half of the interval. Every round
        uses the same offsets, so each monitor keeps an exact period. With at most W
        monitors every offset is 0.
        """
        workers, count = self.max_workers, len(self._order)
        if count <= workers:
            return {}
        interval = self.config.main.interval.total_seconds()
        step = SPREAD_SHARE * interval / -(-count // workers)
        return {name: (k // workers) * step for k, name in enumerate(self._order)}

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
        snapshot = self.snapshot(ran)
        self._write_loggers(snapshot)
        for observer in self.observers:
            try:
                observer.after_round(snapshot, previous)
            except Exception:
                log.exception("round observer %r failed", observer)
        return report

    def _run_round(self, due: list[str], ran: set[str], report: RoundReport) -> None:
        """Run ``due`` monitors, each once its due dependencies have settled."""

        def start(name: str) -> Future[Any] | None:
            ran.add(name)
            return self._start(name)

        def hung(name: str, future: Future[Any]) -> None:
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

    def _wait(
        self, done: queue.SimpleQueue[Future[Any]], timeout: float
    ) -> Future[Any] | None:
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

    def _start(self, name: str) -> Future[Any] | None:
        """Submit ``name``'s check, or settle it at once and return None.

        Settled at once: disabled here, a dependency is down, or its previous check
        is still stuck past its deadline (it is never run twice at the same time).
        """
        monitor = self._by_name[name]
        now = self.now()
        common = monitor.common
        # Host names are case-insensitive; SimpleMonitor compares them lowercased.
        elsewhere = common.runon and common.runon.lower() != self.hostname.lower()
        if not common.enabled or elsewhere:
            reason = (
                "disabled" if not common.enabled else f"runs only on {common.runon}"
            )
            self.states[name] = policy.apply_disabled(self.states[name], reason, now)
            return None
        statuses = {d: self.states[d].status for d in common.depend}
        blocker = policy.blocking_dependency(common.depend, statuses)
        if blocker is not None:
            reason = (
                f"skipped: depends on {blocker}, which is {statuses[blocker].value}"
            )
            self.states[name] = policy.apply_skip(self.states[name], reason, now)
            return None
        hung = self._hung.get(name)
        if hung is not None and not hung.done():
            self._record(name, CheckResult(False, "previous check is still running"))
            return None
        self._hung.pop(name, None)
        probe = _probe_of(monitor)
        if probe is not None:
            return self.probe_loop.submit(probe)
        return self.executor.submit(_guarded_check, monitor)

    @property
    def probe_loop(self) -> ProbeLoop:
        """The loop that runs non-blocking probes; its thread starts on first use."""
        if self._probe_loop is None:
            self._probe_loop = ProbeLoop()
        return self._probe_loop

    def _record(self, name: str, result: CheckResult) -> None:
        result = _normalised(result)
        tolerance = self._by_name[name].common.tolerance
        self.states[name] = policy.apply_result(
            self.states[name], result, tolerance, self.now()
        )
        self._details[name] = result.details

    def _account(self, name: str, report: RoundReport) -> None:
        state = self.states[name]
        report.ran.append(name)
        if state.status is Status.SKIPPED:
            report.skipped.append(name)
        elif state.status in (Status.FAILING, Status.FAILED):
            report.failed.append(name)
        level = _LOG_LEVELS.get(state.status, logging.WARNING)
        log.log(
            level, "monitor %s: %s: %s", name, state.status.value, state.last_message
        )

    # --- output --------------------------------------------------------------------

    def snapshot(self, ran: Iterable[str] = ()) -> Snapshot:
        """Return every monitor's state as an immutable Snapshot."""
        ran_set = set(ran)
        monitors = tuple(
            MonitorSnapshot(
                name=m.name,
                type_name=m.type_name,
                description=m.plugin.describe(),
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
        )

    def _write_loggers(self, snapshot: Snapshot) -> None:
        statuses = {name: state.status for name, state in self.states.items()}
        fanout.write_all(self.config.loggers, snapshot, statuses)

    def close_loggers(self, loggers: Iterable[PluginConfig] | None = None) -> None:
        """Close result loggers (all of the current config's by default)."""
        fanout.close_all(self.config.loggers if loggers is None else loggers)

    def reopen_loggers(self) -> None:
        """Ask every result logger to reopen its files (log rotation)."""
        fanout.reopen_all(self.config.loggers)

    # --- the daemon loop -----------------------------------------------------------

    def run_forever(
        self,
        stop: threading.Event,
        *,
        loops: int | None = None,
        between_rounds: Callable[[], None] | None = None,
        on_round: Callable[[RoundReport], None] | None = None,
    ) -> int:
        """Run rounds every ``interval`` until ``stop`` is set or ``loops`` rounds ran.

        Round k starts at start + k * interval, so the period never drifts by the
        time the work took; a round that overruns makes the next start at once and
        the missed ticks are skipped (and logged). Returns the number of rounds run.
        """
        self._stop = stop
        interval = self.config.main.interval.total_seconds()
        next_tick = self.clock()
        count = 0
        while not stop.is_set() and (loops is None or count < loops):
            try:
                report = self.run_once(tick=next_tick, spread=True)
            except Exception:
                # Plugins are guarded one by one; this is a bug in the round itself.
                # Monitoring must outlive it: log it, keep the rhythm, go on.
                log.exception("round failed; the next one starts on schedule")
                report = RoundReport(self.round_number)
            count += 1
            if on_round is not None:
                on_round(report)
            interval = self.config.main.interval.total_seconds()
            next_tick += interval
            now = self.clock()
            if now > next_tick:
                missed = int((now - next_tick) // interval) + 1
                log.warning(
                    "round %d overran the %gs interval; skipping %d tick(s)",
                    report.number,
                    interval,
                    missed - 1,
                )
                next_tick += (missed - 1) * interval
                next_tick = max(next_tick, now)
            if loops is not None and count >= loops:
                break
            while not stop.is_set():
                remaining = next_tick - self.clock()
                if remaining <= 0:
                    break
                if self.sleep is not None:
                    self.sleep(min(remaining, 1.0))
                else:
                    stop.wait(min(remaining, 1.0))
                if between_rounds is not None:
                    between_rounds()
        return count


def _probe_of(monitor: PluginConfig) -> Probe | None:
    """Return the monitor's non-blocking probe, or None to run ``check()`` instead."""
    try:
        probe: Probe | None = monitor.plugin.probe()
    except Exception:
        log.exception("monitor %s: internal error making its probe", monitor.name)
        return None  # check() on a worker thread still gives a result
    return probe


def _guarded_check(monitor: PluginConfig) -> CheckResult:
    """Run one check; an unexpected exception becomes a failed result, logged once."""
    started = time.monotonic()
    try:
        result: CheckResult = monitor.plugin.check()
    except Exception as e:
        log.exception("monitor %s: internal error in check", monitor.name)
        return internal_error(e, time.monotonic() - started)
    return result  # checked and put on one line by _normalised


def _normalised(result: CheckResult) -> CheckResult:
    """Return ``result`` with its message on one line, however the check ran.

    Messages end up in one-line logs, alert subjects and table cells. A probe
    that handed over something else than a CheckResult is an internal error.
    """
    if not isinstance(result, CheckResult):
        return CheckResult(False, "internal error: check returned no result")
    message = " ".join(result.message.split())
    return result if message == result.message else replace(result, message=message)
