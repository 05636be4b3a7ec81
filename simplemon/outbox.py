"""The outbox's items, its words and its pure rules, shared by delivery and the store.

The state file keeps the outbox (state_store.py and state_outbox.py, the SQL);
delivery works it (dispatch.py, the threads). What both must agree on lives here,
with no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from simplemon.model import AlertEvent, EventKind
from simplemon.record import record

#: Outbox statuses, as the state file stores them: only ``pending`` rows are ever
#: (re)delivered. ``superseded``: a reminder not sent because a newer message about
#: the same monitor was queued.
PENDING, DELIVERED, FAILED, EXPIRED = "pending", "delivered", "failed", "expired"
SUPERSEDED = "superseded"  # a reminder made stale by a newer queued message


#: How long finished outbox rows are kept for inspection.
KEEP_FINISHED = timedelta(days=7)


@record
class OutboxItem:
    """One queued event and its delivery bookkeeping."""

    row_id: int
    event: AlertEvent
    attempts: int
    next_attempt_at: datetime
    #: Parts of the destination earlier attempts finished with (DeliveryError.done).
    done: frozenset[str] = frozenset()


class Outbox(Protocol):
    """What delivery needs from the durable store."""

    def pending(self, alerter: str, limit: int = 50) -> list[OutboxItem]:
        """Return the alerter's undelivered events, oldest first."""

    def finish(self, row_id: int, status: str, now: datetime, error: str = "") -> None:
        """Mark an event delivered, failed or expired."""

    def retry_later(
        self,
        row_id: int,
        when: datetime,
        error: str,
        done: frozenset[str] = frozenset(),
    ) -> None:
        """Record a transient failure, when to try again and what is done."""


@record
class Backoff:
    """Delay before retry n: ``initial * 2**(n-1)``, at most ``maximum``."""

    initial: timedelta = timedelta(seconds=2)
    maximum: timedelta = timedelta(minutes=5)

    def delay(self, attempts: int) -> timedelta:
        """Return the wait after ``attempts`` failed attempts (1 or more)."""
        exponent: int = min(max(0, attempts - 1), 30)
        delay: timedelta = self.initial * (2**exponent)
        return min(delay, self.maximum)


def superseded_reminders(items: Sequence[OutboxItem]) -> set[int]:
    """Return the rows of reminders that a later queued message makes stale; pure.

    While an alerter's messages wait (its ``depend`` is down, or its server is,
    between retries) reminders keep being queued; once delivery resumes, only the
    newest message about each monitor is worth sending of its reminders. Failures,
    recoveries and catch-ups are always sent, in order.
    """
    latest: dict[str, int] = {}
    for item in items:
        latest[item.event.monitor] = item.row_id
    return {
        item.row_id
        for item in items
        if item.event.kind is EventKind.REMINDER
        and latest[item.event.monitor] != item.row_id
    }
