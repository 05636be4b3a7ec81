"""The outbox side of the state file: the queries alert delivery reads and records.

Kept apart from :mod:`simplemon.state_store` (opening the file, monitor states,
notification records, committing a round and its new events) so that each stays
small. :class:`simplemon.state_store.StateStore` inherits these methods: callers
see one store, one lock and one transaction per method. With state_store.py and
state_schema.py, this is the only place in simplemon/ that speaks SQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from simplemon.model import AlertEvent
from simplemon.outbox import PENDING, OutboxItem
from simplemon.state_codec import from_json

if TYPE_CHECKING:
    import sqlite3
    from contextlib import AbstractContextManager


class OutboxQueries:
    """The outbox methods of the state store (its connection, lock and errors)."""

    if TYPE_CHECKING:  # provided by StateStore
        _db: sqlite3.Connection

        def _using(self, what: str) -> AbstractContextManager[None]: ...

    def pending(self, alerter: str, limit: int = 50) -> list[OutboxItem]:
        """Return the alerter's undelivered events, oldest first."""
        with self._using("read the outbox"):
            rows = self._db.execute(
                "SELECT id, data, attempts, next_attempt_at, done FROM outbox "
                "WHERE alerter=? AND status=? ORDER BY id LIMIT ?",
                (alerter, PENDING, limit),
            ).fetchall()
        return [
            OutboxItem(
                row_id,
                from_json(AlertEvent, data),
                attempts,
                datetime.fromtimestamp(due, UTC),
                _done_parts(done),
            )
            for row_id, data, attempts, due, done in rows
        ]

    def pending_alerters(self) -> set[str]:
        """Return the names of alerters that have undelivered events."""
        with self._using("read the outbox"):
            rows = self._db.execute(
                "SELECT DISTINCT alerter FROM outbox WHERE status=?", (PENDING,)
            ).fetchall()
        return {r[0] for r in rows}

    def finish(self, row_id: int, status: str, now: datetime, error: str = "") -> None:
        """Mark an event delivered, failed (permanently) or expired."""
        with self._using("record a delivery"), self._db:
            self._db.execute(
                "UPDATE outbox SET status=?, finished_at=?, last_error=?, "
                "attempts=attempts+1 WHERE id=?",
                (status, now.timestamp(), error, row_id),
            )

    def retry_later(
        self,
        row_id: int,
        when: datetime,
        error: str,
        done: frozenset[str] = frozenset(),
    ) -> None:
        """Record a transient failure, when to try again and what is done."""
        import json  # noqa: PLC0415 (see state_codec._json)

        with self._using("record a retry"), self._db:
            self._db.execute(
                "UPDATE outbox SET attempts=attempts+1, next_attempt_at=?, "
                "last_error=?, done=? WHERE id=?",
                (when.timestamp(), error, json.dumps(sorted(done)), row_id),
            )

    def outbox_status(self) -> list[tuple[str, str, str, str, int]]:
        """Return (event_id, alerter, monitor, status, attempts) of every row."""
        with self._using("read the outbox"):
            rows = self._db.execute(
                "SELECT event_id, alerter, monitor, status, attempts FROM outbox "
                "ORDER BY id"
            ).fetchall()
        return [tuple(r) for r in rows]

    def prune(self, before: datetime) -> int:
        """Delete finished outbox rows older than ``before``; return how many."""
        with self._using("prune the outbox"), self._db:
            cursor = self._db.execute(
                "DELETE FROM outbox WHERE status != ? AND finished_at < ?",
                (PENDING, before.timestamp()),
            )
        return cursor.rowcount


def _done_parts(text: str) -> frozenset[str]:
    """Decode the ``done`` column; a damaged value counts as nothing done.

    Nothing done means the whole message is sent again: a duplicate for some
    recipients rather than a message lost for others.
    """
    import json  # noqa: PLC0415 (see state_codec._json)

    try:
        parts = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested deep
        return frozenset()
    if not isinstance(parts, list):
        return frozenset()
    return frozenset(p for p in parts if isinstance(p, str))
