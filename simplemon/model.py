"""Immutable values passed between the core and the plugins; no behaviour, no I/O."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from simplemon.record import field, record


class Status(enum.Enum):
    """Where a monitor stands after its latest round."""

    UNKNOWN = "unknown"  # never checked yet
    OK = "ok"
    FAILING = "failing"  # failed, but still within tolerance
    FAILED = "failed"  # failures exceed tolerance: this is what gets alerted
    SKIPPED = "skipped"  # not run because a dependency failed or was skipped
    DISABLED = "disabled"

    @property
    def is_failure(self) -> bool:
        """Whether a dependent of a monitor in this status must be skipped."""
        return self in (Status.FAILING, Status.FAILED, Status.SKIPPED)


@record
class CheckResult:
    """The outcome of one probe: expected failures are results, not exceptions."""

    ok: bool
    message: str
    duration: float = 0.0  # seconds the probe took
    details: Mapping[str, Any] = field(default_factory=dict)


@record
class MonitorState:
    """Runtime state of one monitor, owned by the scheduler and replaced, never mutated.

    ``failures`` counts consecutive failed checks; ``virtual_fail_count`` is how many
    of those lie beyond the tolerance (what alerters' ``limit`` compares against).
    """

    status: Status = Status.UNKNOWN
    failures: int = 0
    virtual_fail_count: int = 0
    first_failure_at: datetime | None = None  # first failure of the current streak
    failed_at: datetime | None = None  # when failures first exceeded tolerance
    last_message: str = ""
    last_duration: float | None = None  # seconds
    last_checked_at: datetime | None = None  # last time the check actually ran
    last_change_at: datetime | None = None  # last time ``status`` changed
    checks: int = 0  # checks run since the state began (for availability)
    successes: int = 0


@record
class MonitorSnapshot:
    """One monitor's identity and state as result loggers see it."""

    name: str
    type_name: str
    description: str
    state: MonitorState
    ran: bool  # whether this monitor was checked (or skipped) in this round
    group: str = "default"
    failure_doc: str | None = None
    urgent: bool = True
    tolerance: int = 0
    details: Mapping[str, Any] = field(default_factory=dict)
    gap: float = 0.0  # least seconds between checks while OK (0: every round)
    depend: tuple[str, ...] = ()


@record
class Snapshot:
    """Every monitor's state after one round, handed to each result logger once."""

    taken_at: datetime
    round_number: int
    hostname: str
    interval: float  # seconds between rounds
    monitors: tuple[MonitorSnapshot, ...]
    round_seconds: float = 0.0  # how long the round took (it may overrun interval)

    def get(self, name: str) -> MonitorSnapshot | None:
        """Return the named monitor's snapshot, or None."""
        for m in self.monitors:
            if m.name == name:
                return m
        return None


@record
class NotificationRecord:
    """What one alerter has been told about one monitor (persisted across restarts).

    ``announced_at`` is set while a failure was announced and no recovery sent yet;
    ``held_since`` marks an out-of-hours failure held for a catch-up (``delay``);
    ``recovery_held_at`` an out-of-hours recovery waiting for the window to open.
    """

    announced_at: datetime | None = None
    failed_at: datetime | None = None  # start of the announced outage
    last_virtual_fail_count: int = 0
    held_since: datetime | None = None
    recovery_held_at: datetime | None = None

    @property
    def is_announced(self) -> bool:
        """Whether a failure was announced, so a recovery is owed."""
        return self.announced_at is not None


class EventKind(enum.Enum):
    """Why an alert is sent."""

    FAILURE = "failure"
    RECOVERY = "recovery"
    REMINDER = "reminder"
    CATCHUP = "catchup"  # a failure held outside the alerter's hours, sent later


@record
class AlertEvent:
    """One message for one alerter about one monitor; alerters deliver it verbatim."""

    kind: EventKind
    monitor: str
    alerter: str
    created_at: datetime
    hostname: str
    failed_at: datetime | None
    virtual_fail_count: int
    last_virtual_fail_count: int
    info: str
    description: str
    failure_doc: str | None = None
    downtime_seconds: float = 0.0
    event_id: str = ""
