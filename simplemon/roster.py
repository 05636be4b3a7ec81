"""What the scheduler knows of each monitor between rounds, and how it changes.

Split from scheduler.py so that the class that runs checks (threads, the probe
loop, loggers) does not also own the cross-round state (STYLE 6.10): here are the
monitors' states, when each last ran, its last details and any check of it still
stuck; what a reload keeps of them; whether a monitor is due; and what a result, a
skip or a disabled monitor does to its state. No threads and no I/O: time comes
from the injected ``now``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from simplemon import lazy_logging, policy
from simplemon.checks import normalised
from simplemon.config import Config, dependency_order
from simplemon.lazy_logging import get_logger
from simplemon.model import CheckResult, MonitorSnapshot, MonitorState, Snapshot, Status
from simplemon.redact import redact
from simplemon.round import Pending, RoundReport

# The log lines keep the name they had before the split (the console shows it).
log = get_logger("simplemon.scheduler")

_EPSILON = 1e-6
#: How loudly each outcome is logged: failures are warnings, the rest routine.
_LOG_LEVELS = {
    Status.OK: lazy_logging.DEBUG,
    Status.DISABLED: lazy_logging.DEBUG,
    Status.SKIPPED: lazy_logging.INFO,
}


class Roster:
    """Every configured monitor's runtime state, by name, for one Config at a time."""

    def __init__(
        self,
        config: Config,
        states: Mapping[str, MonitorState],
        now: Callable[[], datetime],
    ) -> None:
        self.now = now
        #: The tick of the round each monitor last ran in.
        self.last_tick: dict[str, float] = {}
        #: Each monitor's last check details, for loggers.
        self.details: dict[str, Mapping[str, Any]] = {}
        #: Checks still running past their deadline (never run twice at once).
        self.hung: dict[str, Pending] = {}
        self._install(config, states)

    def _install(self, config: Config, states: Mapping[str, MonitorState]) -> None:
        self.config = config
        self.by_name = {m.name: m for m in config.monitors}
        self.order = dependency_order(config)
        self.dependents: dict[str, list[str]] = {m.name: [] for m in config.monitors}
        for m in config.monitors:
            for dep in m.common.depend:
                self.dependents[dep].append(m.name)
        # A fresh state only for monitors without one (not built for every name).
        found = [(m.name, states.get(m.name)) for m in config.monitors]
        self.states = {
            name: MonitorState() if state is None else state for name, state in found
        }
        #: What a monitor's snapshot takes from its config, worked out once per
        #: config, not per round (issue 5): (name, type, description), then
        #: (group, failure_doc, urgent, tolerance), then (gap, depend).
        self._fixed = [
            (
                m.name,
                (m.name, m.type_name, redact(m.plugin.describe())),
                (c.group, c.failure_doc, c.urgent, c.tolerance),
                (c.gap.total_seconds(), c.depend),
            )
            for m in config.monitors
            for c in (m.common,)
        ]

    def reload(self, config: Config) -> None:
        """Swap in a new Config; monitors whose type is unchanged keep their state."""
        old = self.by_name
        kept = {
            name: state
            for name, state in self.states.items()
            if name in old
            and any(
                m.name == name and m.type_name == old[name].type_name
                for m in config.monitors
            )
        }
        for name in list(self.last_tick):
            if name not in kept:
                del self.last_tick[name]
        # Nothing of a monitor that is gone may stay behind: months of reloads
        # that rename monitors would otherwise keep every name ever used.
        present = {m.name for m in config.monitors}
        for table in (self.details, self.hung):
            for name in table.keys() - present:
                del table[name]
        self._install(config, kept)

    def is_due(self, name: str, tick: float) -> bool:
        """Return whether ``name`` should run in the round scheduled at ``tick``."""
        last = self.last_tick.get(name)
        if last is None:
            return True
        state = self.states[name]
        interval = self.config.main.interval.total_seconds()
        period = interval
        if not state.status.is_failure:
            period = max(interval, self.by_name[name].common.gap.total_seconds())
        return tick - last >= period - _EPSILON

    def settle_unchecked(self, name: str, hostname: str) -> bool:
        """Settle ``name`` without a check if it must not run now; True if so.

        Not run: disabled here, a dependency is down, or its previous check is
        still stuck past its deadline (it is never run twice at the same time).
        """
        common = self.by_name[name].common
        # Host names are case-insensitive; SimpleMonitor compares them lowercased.
        elsewhere = common.runon and common.runon.lower() != hostname.lower()
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
            return True
        if common.depend:
            statuses = {d: self.states[d].status for d in common.depend}
            blocker = policy.blocking_dependency(common.depend, statuses)
            if blocker is not None:
                reason = f"depends on {blocker}, which is {statuses[blocker].value}"
                state = policy.apply_skip(self.states[name], reason, self.now())
                self.states[name] = state
                return True
        hung = self.hung.get(name)
        if hung is not None:
            if not hung.done():
                message = "previous check is still running"
                if not _started(hung):
                    message = "previous check is still waiting for a worker thread"
                self.record(name, CheckResult(False, message))
                return True
            del self.hung[name]
        return False

    def record(self, name: str, result: CheckResult) -> None:
        """Apply a check's result to ``name``'s state (tolerance, streaks)."""
        result = normalised(result)
        tolerance = self.by_name[name].common.tolerance
        failing = self.states[name].failures > 0
        state = self.states[name] = policy.apply_result(
            self.states[name], result, tolerance, self.now()
        )
        self.details[name] = result.details
        if failing and state.status is Status.OK:
            # A failure is logged every round; its end deserves one line too, at
            # the default level, or the console shows an outage that never ends.
            # By the streak, not the status: a skip keeps a failing monitor's
            # streak, and it recovers from SKIPPED when its dependency is back.
            log.info("monitor %s: recovered: %s", name, state.last_message)

    def record_hung(self, name: str, future: Pending) -> None:
        """Fail ``name``'s check that ran past its deadline; remember it still runs."""
        self.hung[name] = future
        timeout = self.by_name[name].plugin.timeout_seconds()
        message = f"check did not finish within {timeout:g}s"
        if not _started(future):  # queued behind workers stuck in other checks
            message = f"check did not start within {timeout:g}s: no worker was free"
        self.record(name, CheckResult(False, message, timeout))

    def account(self, name: str, report: RoundReport) -> None:
        """Count ``name``'s settled state in the round's report, and log it."""
        state = self.states[name]
        if state.status is not Status.DISABLED:
            report.ran.append(name)  # "checked" in the round's summary line
        if state.status is Status.SKIPPED:
            report.skipped.append(name)
        elif state.status in (Status.FAILING, Status.FAILED):
            report.failed.append(name)
        level = _LOG_LEVELS.get(state.status, lazy_logging.WARNING)
        log.log(
            level, "monitor %s: %s: %s", name, state.status.value, state.last_message
        )

    def snapshot(
        self,
        ran: Iterable[str],
        round_number: int,
        hostname: str,
        round_seconds: float,
    ) -> Snapshot:
        """Return every monitor's state as an immutable Snapshot."""
        ran_set = set(ran)
        states, details = self.states, self.details
        # Positional, in MonitorSnapshot's field order (the record's fast path).
        monitors = tuple(
            MonitorSnapshot(
                *head,
                states[name],
                name in ran_set,
                *middle,
                details.get(name, {}),
                *tail,
            )
            for name, head, middle, tail in self._fixed
        )
        return Snapshot(
            taken_at=self.now(),
            round_number=round_number,
            hostname=hostname,
            interval=self.config.main.interval.total_seconds(),
            monitors=monitors,
            round_seconds=round_seconds,
        )


def _started(future: Pending) -> bool:
    """Whether a check has started (anything without ``started_at`` counts as so)."""
    return getattr(future, "started_at", 0.0) is not None
