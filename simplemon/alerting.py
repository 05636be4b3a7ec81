"""Pure alerting decisions: who is told what, and when, about one monitor.

No I/O and no clock reads: callers pass the states, the options, the per-(monitor,
alerter) NotificationRecord and ``now``; the answer is the events to send and the new
record. Delivery (outbox, retries, ``dry_run``, alerter ``depend``) is dispatch's job.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from simplemon.common import AlerterCommon, is_in_groups
from simplemon.model import (
    AlertEvent,
    EventKind,
    MonitorState,
    NotificationRecord,
    Status,
)
from simplemon.record import record, replace
from simplemon.timefmt import zone

#: Info text of the final notice for a monitor removed from the config while alerted.
REMOVED_INFO = "no longer monitored: removed from the configuration"
_EVERY_DAY = frozenset(range(7))


@record
class MonitorView:
    """One monitor's change in a round, with the options alerting needs."""

    name: str
    previous: MonitorState
    current: MonitorState
    group: str = "default"
    urgent: bool = True
    notify: bool = True
    remind: timedelta | None = None
    description: str = ""
    failure_doc: str | None = None


_EMPTY_RECORD = NotificationRecord()


@record
class Decision:
    """The events to enqueue and the record to store after one evaluation."""

    events: tuple[AlertEvent, ...]
    record: NotificationRecord


def is_routed(monitor: MonitorView, options: AlerterCommon) -> bool:
    """Return whether the alerter is concerned with the monitor at all."""
    if not options.enabled or not monitor.notify:
        return False
    if options.urgent and not monitor.urgent:
        return False
    return is_in_groups(monitor.group, options.groups)


def _in_window(moment: time, lower: time, upper: time) -> bool:
    if lower < upper:
        return lower <= moment < upper
    # A window such as 22:00-06:00 wraps midnight (SimpleMonitor's never matches).
    return moment >= lower or moment < upper


def is_in_hours(options: AlerterCommon, now: datetime) -> bool:
    """Return whether ``now`` lies inside the alerter's allowed days and times.

    Days and times are read in ``times_tz`` (the machine's zone when unset); the day
    is the day of ``now`` itself, also inside a window that wraps midnight.
    """
    if options.times_type == "always" and _EVERY_DAY.issubset(options.days):
        return True  # the usual case: no need to read the local time
    local = now.astimezone(zone(options.times_tz) if options.times_tz else None)
    if local.weekday() not in options.days:
        return False
    if options.times_type == "always":
        return True
    assert options.time_lower is not None  # noqa: S101 (checked by AlerterCommon)
    assert options.time_upper is not None  # noqa: S101
    inside = _in_window(local.time(), options.time_lower, options.time_upper)
    return inside if options.times_type == "only" else not inside


def decide(
    monitor: MonitorView,
    alerter: str,
    options: AlerterCommon,
    record: NotificationRecord,
    now: datetime,
    hostname: str = "",
) -> Decision:
    """Return what ``alerter`` must be sent about ``monitor`` this round.

    Called every round for every monitor (checked this round or not), so held
    catch-ups, held recoveries and reminders go out as soon as they are due.
    """
    status = monitor.current.status
    if not is_routed(monitor, options):
        # A reload may have changed notify/urgent/group after a failure went out:
        # the recovery is still owed to whoever was told about the failure.
        owed = record.is_announced and status in (Status.OK, Status.DISABLED)
        if not owed:
            return Decision((), record)
        if not options.enabled:
            return Decision((), _missed_recovery(monitor, record, now))
    ctx = _Context(monitor, alerter, options, now, hostname)
    if status in (Status.OK, Status.DISABLED):
        return ctx.recovered(record)
    if status is Status.FAILED:
        return ctx.failing(record)
    # UNKNOWN, FAILING within tolerance, SKIPPED: nothing new to say, but a recovery
    # seen out of hours is still owed (a skip is not a new failure).
    if record.recovery_held_at is not None and ctx.in_hours:
        return ctx.send_held_recovery(record)
    return Decision((), record)


def _missed_recovery(
    monitor: MonitorView, record: NotificationRecord, now: datetime
) -> NotificationRecord:
    """Return the record of a recovery a disabled alerter owes, kept for later.

    Sent if the alerter is enabled again (as a recovery held out of hours is), with
    the time the monitor came back, not the time the alerter was enabled again.
    """
    if record.recovery_held_at is not None:
        return record
    last = max(record.last_virtual_fail_count, monitor.previous.virtual_fail_count)
    return replace(
        record, last_virtual_fail_count=last, held_since=None, recovery_held_at=now
    )


def is_quiet(status: Status, record: NotificationRecord) -> bool:
    """Return whether :func:`decide` surely sends nothing and keeps ``record``.

    True for a monitor that is not FAILED and owes this alerter nothing (an empty
    record): with no failure, catch-up, reminder or recovery pending there is
    nothing to decide. The notifier skips such pairs, the bulk of every round.
    """
    return status is not Status.FAILED and record == _EMPTY_RECORD


def decide_removed(
    monitor: MonitorView,
    alerter: str,
    options: AlerterCommon,
    record: NotificationRecord,
    now: datetime,
    hostname: str = "",
) -> Decision:
    """Return the final notice for a monitor removed from the configuration.

    An announced failure gets a RECOVERY event whose info says the monitor is no
    longer monitored (sent whatever the hours: there will be no later chance), so
    nobody waits forever for a recovery; otherwise nothing. The record is cleared.
    """
    if not options.enabled or not record.is_announced or options.only_failures:
        return Decision((), NotificationRecord())
    ctx = _Context(monitor, alerter, options, now, hostname)
    event = ctx.event(
        EventKind.RECOVERY,
        failed_at=record.failed_at,
        virtual_fail_count=0,
        last_virtual_fail_count=max(
            record.last_virtual_fail_count, monitor.previous.virtual_fail_count
        ),
        info=REMOVED_INFO,
        recovered_at=record.recovery_held_at,  # up since then, its recovery held
    )
    return Decision((event,), NotificationRecord())


def has_crossed(previous: int, current: int, limit: int, repeat: bool) -> bool:
    """Return whether the virtual fail count reached ``limit`` (or a multiple)."""
    if current < limit or current <= previous:
        return False
    if previous < limit:
        return True
    return repeat and current // limit > previous // limit


@record
class _Context:
    monitor: MonitorView
    alerter: str
    options: AlerterCommon
    now: datetime
    hostname: str

    @property
    def in_hours(self) -> bool:
        return is_in_hours(self.options, self.now)

    def failing(self, record: NotificationRecord) -> Decision:
        state, prev = self.monitor.current, self.monitor.previous
        # Failing again: a recovery held from the night is moot now, and what the
        # alerter hears of from here on (catch-up, reminders, the recovery) is this
        # new outage: its start, not the start of the one that ended unannounced.
        if record.recovery_held_at is not None:
            record = replace(
                record,
                recovery_held_at=None,
                failed_at=state.first_failure_at or state.failed_at,
            )
        crossed = has_crossed(
            prev.virtual_fail_count,
            state.virtual_fail_count,
            self.options.limit,
            self.options.repeat,
        )
        if crossed and not self.in_hours:
            if self.options.delay and record.held_since is None:
                return Decision((), replace(record, held_since=self.now))
            return Decision((), record)
        if crossed and record.held_since is None:
            return self.announce(EventKind.FAILURE, record)
        if record.announced_at is not None and record.announced_at > self.now:
            # The wall clock was set back past the last message: count the next
            # reminder from now, or none would come until the clock caught up.
            record = replace(record, announced_at=self.now)
        if record.held_since is not None and self.in_hours:
            return self.announce(EventKind.CATCHUP, record)
        if self.is_reminder_due(record):
            return self.announce(EventKind.REMINDER, record)
        return Decision((), record)

    def is_reminder_due(self, record: NotificationRecord) -> bool:
        remind = self.monitor.remind
        return (
            self.options.allow_reminders
            and remind is not None
            and remind > timedelta(0)
            and record.announced_at is not None
            and self.now - record.announced_at >= remind
            and self.in_hours
        )

    def announce(self, kind: EventKind, record: NotificationRecord) -> Decision:
        state = self.monitor.current
        failed_at = record.failed_at if record.is_announced else None
        failed_at = failed_at or state.first_failure_at or state.failed_at
        event = self.event(
            kind,
            failed_at=failed_at,
            virtual_fail_count=state.virtual_fail_count,
            last_virtual_fail_count=self.monitor.previous.virtual_fail_count,
            info=state.last_message,
        )
        new = NotificationRecord(
            announced_at=self.now,
            failed_at=failed_at,
            last_virtual_fail_count=state.virtual_fail_count,
        )
        return Decision((event,), new)

    def recovered(self, record: NotificationRecord) -> Decision:
        if not record.is_announced or self.options.only_failures:
            # Never announced (or never to be): a held catch-up is simply dropped.
            return Decision((), NotificationRecord())
        # The count before the recovery, not the one last announced: the outage
        # may have gone on long after the failure (or reminder) was sent.
        last = max(
            record.last_virtual_fail_count, self.monitor.previous.virtual_fail_count
        )
        # A catch-up held for this outage is dropped with it (``delay``): it must
        # not be sent while a later outage is below the limit.
        record = replace(record, last_virtual_fail_count=last, held_since=None)
        if record.recovery_held_at is None and not (
            self.in_hours or self.options.ooh_recovery
        ):
            return Decision((), replace(record, recovery_held_at=self.now))
        if record.recovery_held_at is not None and not self.in_hours:
            return Decision((), record)
        return self.send_held_recovery(record)

    def send_held_recovery(self, record: NotificationRecord) -> Decision:
        state = self.monitor.current
        event = self.event(
            EventKind.RECOVERY,
            failed_at=record.failed_at,
            virtual_fail_count=0,
            last_virtual_fail_count=record.last_virtual_fail_count,
            info=state.last_message,
            recovered_at=record.recovery_held_at or self.now,
        )
        return Decision((event,), NotificationRecord())

    def event(
        self,
        kind: EventKind,
        *,
        failed_at: datetime | None,
        virtual_fail_count: int,
        last_virtual_fail_count: int,
        info: str,
        recovered_at: datetime | None = None,
    ) -> AlertEvent:
        end = recovered_at or self.now
        downtime = (end - failed_at).total_seconds() if failed_at else 0.0
        return AlertEvent(
            kind=kind,
            monitor=self.monitor.name,
            alerter=self.alerter,
            created_at=self.now,
            hostname=self.hostname,
            failed_at=failed_at,
            virtual_fail_count=virtual_fail_count,
            last_virtual_fail_count=last_virtual_fail_count,
            info=info,
            description=self.monitor.description,
            failure_doc=self.monitor.failure_doc,
            downtime_seconds=max(0.0, downtime),
            event_id=event_id(self.monitor.name, self.alerter, kind, self.now),
        )


def event_id(monitor: str, alerter: str, kind: EventKind, created_at: datetime) -> str:
    """Return a stable id for an event; a resend of the same event keeps it."""
    key = f"{monitor}\0{alerter}\0{kind.value}\0{created_at.isoformat()}"
    import hashlib  # noqa: PLC0415 - loads OpenSSL (~3 ms), needed on alerts only

    return hashlib.sha256(key.encode()).hexdigest()[:32]
