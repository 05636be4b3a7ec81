"""Pure state transitions for one monitor: tolerance, skips, disabling.

No I/O and no clock reads: callers pass ``now``. Every rule about what a result means
for a monitor's status lives here, so it can be tested exhaustively with tables.
"""

from __future__ import annotations

from datetime import datetime

from simplemon.model import CheckResult, MonitorState, Status
from simplemon.record import replace


def apply_result(
    state: MonitorState, result: CheckResult, tolerance: int, now: datetime
) -> MonitorState:
    """Return the state after one check result.

    A failure first counts against ``tolerance`` (status FAILING); once consecutive
    failures exceed it the monitor is FAILED and the virtual fail count starts at 1.
    A success clears the streak. A FAILED outage stays FAILED until a success, even
    if a reload raised ``tolerance`` past its count: it was announced, and falling
    back to FAILING would stop its reminders and announce it a second time later.
    """
    # One constructor call, not chained replace(): this runs for every check.
    if result.ok:
        status = Status.OK
        failures = virtual = 0
        first_failure_at = failed_at = None
        successes = state.successes + 1
    else:
        failures = state.failures + 1
        virtual = max(0, failures - tolerance)
        if state.failed_at is not None:  # already failed in this outage
            virtual = max(virtual, state.virtual_fail_count + 1)
        failed = virtual > 0
        status = Status.FAILED if failed else Status.FAILING
        first_failure_at = state.first_failure_at or now
        failed_at = state.failed_at or (now if failed else None)
        successes = state.successes
    return MonitorState(
        status=status,
        failures=failures,
        virtual_fail_count=virtual,
        first_failure_at=first_failure_at,
        failed_at=failed_at,
        last_message=result.message,
        last_duration=result.duration,
        last_checked_at=now,
        last_change_at=now if status != state.status else state.last_change_at,
        checks=state.checks + 1,
        successes=successes,
    )


def apply_skip(state: MonitorState, reason: str, now: datetime) -> MonitorState:
    """Return the state of a monitor not run because a dependency is down.

    The failure streak is left exactly as it was: a skip is neither a success nor a
    failure (SimpleMonitor resets it, which loses the outage's start time).
    """
    return _touch(
        state, replace(state, status=Status.SKIPPED, last_message=reason), now
    )


def apply_disabled(state: MonitorState, reason: str, now: datetime) -> MonitorState:
    """Return the state of a monitor that is configured not to run here."""
    return _touch(
        state,
        replace(
            state,
            status=Status.DISABLED,
            failures=0,
            virtual_fail_count=0,
            first_failure_at=None,
            failed_at=None,
            last_message=reason,
        ),
        now,
    )


def _touch(old: MonitorState, new: MonitorState, now: datetime) -> MonitorState:
    if new.status != old.status:
        return replace(new, last_change_at=now)
    return new


def blocking_dependency(
    depend: tuple[str, ...], statuses: dict[str, Status]
) -> str | None:
    """Return the first dependency whose status means dependents must be skipped."""
    for dep in depend:
        status = statuses.get(dep)
        if status is not None and status.is_failure:
            return dep
    return None
