"""Pure alerting decisions: who is told what, and when, about one monitor.

No I/O and no clock reads: callers pass the states, the options, the per-(monitor,
alerter) NotificationRecord and ``now``; the answer is the events to send and the new
record. Delivery (outbox, retries, ``dry_run``, alerter ``depend``) is dispatch's job.
"""

from __future__ import annotations

from datetime import datetime

from simplemon.alert_events import AlertContext, Decision, MonitorView, seen_at
from simplemon.common import AlerterCommon, is_in_groups
from simplemon.model import (
    EventKind,
    NotificationRecord,
    Status,
)
from simplemon.record import replace

#: Info text of the final notice for a monitor removed from the config while alerted.
REMOVED_INFO = "no longer monitored: removed from the configuration"
_EMPTY_RECORD = NotificationRecord()


def is_routed(monitor: MonitorView, options: AlerterCommon) -> bool:
    """Return whether the alerter is concerned with the monitor at all."""
    if not options.enabled or not monitor.notify:
        return False
    if options.urgent and not monitor.urgent:
        return False
    return is_in_groups(monitor.group, options.groups)


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
    ctx = AlertContext(monitor, alerter, options, now, hostname)
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
    came_back = seen_at(monitor.current.last_change_at, now)
    return replace(
        record,
        last_virtual_fail_count=last,
        held_since=None,
        recovery_held_at=came_back,
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
    ctx = AlertContext(monitor, alerter, options, now, hostname)
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
