"""The events one monitor's change gives one alerter, and what they carry.

Split from alerting.py, which keeps the entry points (:func:`~simplemon.alerting.decide`
and friends: routing, and which transition applies). Here are the values they trade
in (:class:`MonitorView` in, :class:`Decision` out) and :class:`AlertContext`, the
transitions themselves: a failure crossing the limit, a catch-up held out of hours,
a reminder, a recovery (held or sent), each built into an AlertEvent. Pure: no I/O,
no clock reads.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from simplemon.alert_hours import is_in_hours
from simplemon.common import AlerterCommon
from simplemon.model import (
    AlertEvent,
    EventKind,
    MonitorState,
    NotificationRecord,
)
from simplemon.record import record, replace


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


@record
class Decision:
    """The events to enqueue and the record to store after one evaluation."""

    events: tuple[AlertEvent, ...]
    record: NotificationRecord


def has_crossed(previous: int, current: int, limit: int, repeat: bool) -> bool:
    """Return whether the virtual fail count reached ``limit`` (or a multiple)."""
    if current < limit or current <= previous:
        return False
    if previous < limit:
        return True
    return repeat and current // limit > previous // limit


@record
class AlertContext:
    """One (monitor, alerter) pair this round: its transitions and their events."""

    monitor: MonitorView
    alerter: str
    options: AlerterCommon
    now: datetime
    hostname: str

    @property
    def in_hours(self) -> bool:
        """Whether the alerter may send now (its days and times)."""
        return is_in_hours(self.options, self.now)

    def failing(self, record: NotificationRecord) -> Decision:
        """Decide for a FAILED monitor: failure, catch-up, reminder or nothing."""
        state, prev = self.monitor.current, self.monitor.previous
        # Told of this very outage already (announced since its first failure, not
        # before a recovery held from an earlier one): a count reaching the limit
        # now does so because a reload raised the limit past it, and without
        # ``repeat`` an outage is announced once.
        start = state.first_failure_at or state.failed_at
        told = (
            record.announced_at is not None
            and start is not None
            and record.announced_at >= start
        )
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
        ) and not (told and not self.options.repeat)
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
        """Return whether a reminder of the outage is due now."""
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
        """Send a failure-side event and start a new record from it."""
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
        """Decide for a monitor that is up (or disabled): the recovery, now or held."""
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
            came_back = seen_at(self.monitor.current.last_change_at, self.now)
            return Decision((), replace(record, recovery_held_at=came_back))
        if record.recovery_held_at is not None and not (
            self.in_hours or self.options.ooh_recovery
        ):
            # Still held; a reload that set ooh_recovery since sends it now.
            return Decision((), record)
        return self.send_held_recovery(record)

    def send_held_recovery(self, record: NotificationRecord) -> Decision:
        """Send the recovery owed (with when it came back) and clear the record."""
        state = self.monitor.current
        event = self.event(
            EventKind.RECOVERY,
            failed_at=record.failed_at,
            virtual_fail_count=0,
            last_virtual_fail_count=record.last_virtual_fail_count,
            info=state.last_message,
            recovered_at=record.recovery_held_at
            or seen_at(state.last_change_at, self.now),
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
        """Build one event for this pair; its downtime runs to ``recovered_at``.

        Without one, a failure-side event's downtime runs to the check that saw the
        monitor down (a recovery's, to now): a round's moment is when its slowest
        check ended, seconds after the others perhaps, and the history logs stamp
        each check with its own time. Whole seconds less whole seconds, as the
        times are shown: "since 10:00:21, recovered 10:00:24" is never "down 2 s".
        """
        end = recovered_at
        if end is None:
            last = self.monitor.current.last_checked_at
            end = self.now if kind is EventKind.RECOVERY else seen_at(last, self.now)
        downtime = (
            (
                end.replace(microsecond=0) - failed_at.replace(microsecond=0)
            ).total_seconds()
            if failed_at
            else 0.0
        )
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


def seen_at(moment: datetime | None, now: datetime) -> datetime:
    """Return when a check saw a state: ``moment``, or ``now`` if it has none.

    A moment after ``now`` (the wall clock was set back since) is not believed.
    """
    return moment if moment is not None and moment <= now else now


def event_id(monitor: str, alerter: str, kind: EventKind, created_at: datetime) -> str:
    """Return a stable id for an event; a resend of the same event keeps it."""
    key = f"{monitor}\0{alerter}\0{kind.value}\0{created_at.isoformat()}"
    import hashlib  # noqa: PLC0415 - loads OpenSSL (~3 ms), needed on alerts only

    return hashlib.sha256(key.encode()).hexdigest()[:32]
