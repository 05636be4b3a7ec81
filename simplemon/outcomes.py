"""Record what became of each delivery attempt in the outbox, and what could not be.

Kept apart from dispatch.py (the workers and the order of sending) so that each
stays small. A transient failure is retried with backoff until the alerter's
``retry_for`` passes; a permanent one, or an expired one, is logged loudly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from simplemon.errors import StateFileError
from simplemon.lazy_logging import get_logger
from simplemon.outbox import EXPIRED, FAILED, Backoff, Outbox, OutboxItem

log = get_logger("simplemon.dispatch")


class Outcomes:
    """Store each attempt's outcome; hold any the state file refused until it can."""

    def __init__(
        self, outbox: Outbox, now: Callable[[], datetime], backoff: Backoff
    ) -> None:
        self.outbox = outbox
        self.now = now
        self.backoff = backoff
        # Outcomes the outbox could not store yet (row id -> status, error): such
        # an event is never sent again, its outcome is stored first.
        self.unrecorded: dict[int, tuple[str, str]] = {}

    def finish(
        self, alerter: str, item: OutboxItem, status: str, error: str = ""
    ) -> bool:
        """Store an event's outcome; False if the state file refused it.

        The outcome is then kept here and stored before anything else of the
        alerter is sent, so a sent event is not sent again (unless the process
        stops before the file accepts it: delivery is at least once).
        """
        try:
            self.outbox.finish(item.row_id, status, self.now(), error)
        except StateFileError as e:
            self.unrecorded[item.row_id] = (status, error)
            log.error(
                "alerter %s: %s; the %s %s for monitor %s is not sent again",
                alerter,
                e,
                status,
                item.event.kind.value,
                item.event.monitor,
            )
            return False
        self.unrecorded.pop(item.row_id, None)
        return True

    def failed(
        self,
        config: Any,
        item: OutboxItem,
        error: str,
        permanent: bool,
        done: frozenset[str] = frozenset(),
    ) -> bool:
        """Store a failed attempt: given up on (permanent, expired) or retried later.

        Returns False when the event stays pending, so that nothing behind it is
        sent first. ``done`` adds to what earlier attempts finished with.
        """
        event, name, now = item.event, config.name, self.now()
        what = f"{event.kind.value} for monitor {event.monitor}"
        # Plugins name themselves in their errors; the log line already does.
        error = error.removeprefix(f"alerter {name}: ")
        if permanent:
            log.error("alerter %s: GAVE UP on %s (permanent): %s", name, what, error)
            return self.finish(name, item, FAILED, error)
        if now - event.created_at >= config.common.retry_for:
            log.error(
                "alerter %s: GAVE UP on %s after %d attempts over %s: %s",
                name,
                what,
                item.attempts + 1,
                config.common.retry_for,
                error,
            )
            return self.finish(name, item, EXPIRED, error)
        when = now + self.backoff.delay(item.attempts + 1)
        log.warning(
            "alerter %s: could not send %s (attempt %d), retrying at %s: %s",
            name,
            what,
            item.attempts + 1,
            when.isoformat(timespec="seconds"),
            error,
        )
        self.outbox.retry_later(item.row_id, when, error, item.done | done)
        return False
