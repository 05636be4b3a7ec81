"""The durable state file: monitor states, notification records and the alert outbox.

This is the one module in simplemon/ that speaks SQL (see STYLE.md): everything that
must survive a restart or a ``kill -9`` is committed here, in one SQLite file, and
nothing else in the core imports sqlite3.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import sqlite3
import threading
import typing
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from simplemon.alerting import NotificationRecord
from simplemon.dispatch import OutboxItem
from simplemon.errors import StateFileError
from simplemon.model import AlertEvent, EventKind, MonitorState, Status

log = logging.getLogger(__name__)
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS monitor_state (
    monitor TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notification (
    monitor TEXT NOT NULL,
    alerter TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (monitor, alerter)
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    alerter TEXT NOT NULL,
    monitor TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT NOT NULL DEFAULT '',
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (alerter, status, id);
"""

#: Outbox statuses: only ``pending`` rows are ever (re)delivered.
PENDING, DELIVERED, FAILED, EXPIRED = "pending", "delivered", "failed", "expired"


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def to_json(obj: Any) -> str:
    """Serialise a flat dataclass of str/int/float/bool/datetime/enum fields."""
    return json.dumps(
        {f.name: _encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    )


def from_json(cls: type[T], text: str) -> T:
    """Rebuild ``cls`` from :func:`to_json` output; unknown keys are ignored."""
    raw = json.loads(text)
    values: dict[str, Any] = {}
    for name, kinds in _field_kinds(cls):
        if name not in raw:
            continue
        value = raw[name]
        if value is not None and datetime in kinds:
            value = datetime.fromisoformat(value)
        elif value is not None and Status in kinds:
            value = Status(value)
        elif value is not None and EventKind in kinds:
            value = EventKind(value)
        values[name] = value
    return cls(**values)


def _field_kinds(cls: type[Any]) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """Return each field's name and the types its annotation allows (resolved once).

    Resolving string annotations compiles each of them; per state at start-up that
    was most of the time spent loading 1,000 stored states.
    """
    kinds = _FIELD_KINDS.get(cls)
    if kinds is None:
        hints = typing.get_type_hints(cls)
        kinds = tuple(
            (f.name, typing.get_args(hints[f.name]) or (hints[f.name],))
            for f in dataclasses.fields(cls)
        )
        _FIELD_KINDS[cls] = kinds
    return kinds


#: Per dataclass, filled on first use; a constant cache of types, not runtime state.
_FIELD_KINDS: dict[type[Any], tuple[tuple[str, tuple[Any, ...]], ...]] = {}


class StateStore:
    """A SQLite state file shared by the scheduler thread and the delivery workers.

    Every method is one transaction, serialised by a lock; every write is committed
    (``synchronous=FULL``) before the method returns, so a ``kill -9`` loses nothing
    that a method reported as stored.
    """

    def __init__(self, path: Path) -> None:
        """Open (or create) the state file.

        Raises:
            StateFileError: the folder or file cannot be created, or is not a
                simplemon state file (e.g. some other file at that path).
        """
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=10)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            self._db.commit()
        except (OSError, sqlite3.Error) as e:
            raise StateFileError(f"cannot use state file {path}: {e}") from e

    def close(self) -> None:
        """Close the file; further calls fail."""
        with self._lock:
            self._db.close()

    # --- monitor states and notification records ----------------------------------

    def load_states(self) -> dict[str, MonitorState]:
        """Return every stored monitor state by monitor name."""
        with self._lock:
            rows = self._db.execute(
                "SELECT monitor, data FROM monitor_state"
            ).fetchall()
        return {name: from_json(MonitorState, data) for name, data in rows}

    def load_records(self) -> dict[tuple[str, str], NotificationRecord]:
        """Return every notification record by (monitor, alerter)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT monitor, alerter, data FROM notification"
            ).fetchall()
        return {(m, a): from_json(NotificationRecord, d) for m, a, d in rows}

    def save_round(
        self,
        states: Mapping[str, MonitorState],
        records: Mapping[tuple[str, str], NotificationRecord],
        events: Iterable[AlertEvent],
        *,
        removed: Iterable[str] = (),
    ) -> None:
        """Commit a round's changed states and records and its new events at once.

        Atomic: after a crash either all of it is stored or none, so a restart
        re-decides a lost round from the previous states instead of losing its alerts.
        Records equal to an empty record are deleted. ``removed`` monitors lose their
        state and records.
        """
        empty = to_json(NotificationRecord())
        with self._lock, self._db:
            for name in removed:
                self._db.execute("DELETE FROM monitor_state WHERE monitor=?", (name,))
                self._db.execute("DELETE FROM notification WHERE monitor=?", (name,))
            self._db.executemany(
                "INSERT OR REPLACE INTO monitor_state (monitor, data) VALUES (?, ?)",
                [(name, to_json(state)) for name, state in states.items()],
            )
            for (monitor, alerter), record in records.items():
                data = to_json(record)
                if data == empty:
                    self._db.execute(
                        "DELETE FROM notification WHERE monitor=? AND alerter=?",
                        (monitor, alerter),
                    )
                else:
                    self._db.execute(
                        "INSERT OR REPLACE INTO notification VALUES (?, ?, ?)",
                        (monitor, alerter, data),
                    )
            self._db.executemany(
                "INSERT OR IGNORE INTO outbox (event_id, alerter, monitor, data, "
                "created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        e.event_id,
                        e.alerter,
                        e.monitor,
                        to_json(e),
                        e.created_at.timestamp(),
                        e.created_at.timestamp(),
                    )
                    for e in events
                ],
            )

    # --- the outbox ------------------------------------------------------------------

    def pending(self, alerter: str, limit: int = 50) -> list[OutboxItem]:
        """Return the alerter's undelivered events, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, data, attempts, next_attempt_at FROM outbox "
                "WHERE alerter=? AND status=? ORDER BY id LIMIT ?",
                (alerter, PENDING, limit),
            ).fetchall()
        return [
            OutboxItem(
                row_id,
                from_json(AlertEvent, data),
                attempts,
                datetime.fromtimestamp(due, UTC),
            )
            for row_id, data, attempts, due in rows
        ]

    def pending_alerters(self) -> set[str]:
        """Return the names of alerters that have undelivered events."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT alerter FROM outbox WHERE status=?", (PENDING,)
            ).fetchall()
        return {r[0] for r in rows}

    def finish(self, row_id: int, status: str, now: datetime, error: str = "") -> None:
        """Mark an event delivered, failed (permanently) or expired."""
        with self._lock, self._db:
            self._db.execute(
                "UPDATE outbox SET status=?, finished_at=?, last_error=?, "
                "attempts=attempts+1 WHERE id=?",
                (status, now.timestamp(), error, row_id),
            )

    def retry_later(self, row_id: int, when: datetime, error: str) -> None:
        """Record a transient failure and when to try again."""
        with self._lock, self._db:
            self._db.execute(
                "UPDATE outbox SET attempts=attempts+1, next_attempt_at=?, "
                "last_error=? WHERE id=?",
                (when.timestamp(), error, row_id),
            )

    def outbox_status(self) -> list[tuple[str, str, str, str, int]]:
        """Return (event_id, alerter, monitor, status, attempts) of every row."""
        with self._lock:
            rows = self._db.execute(
                "SELECT event_id, alerter, monitor, status, attempts FROM outbox "
                "ORDER BY id"
            ).fetchall()
        return [tuple(r) for r in rows]

    def prune(self, before: datetime) -> int:
        """Delete finished outbox rows older than ``before``; return how many."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "DELETE FROM outbox WHERE status != ? AND finished_at < ?",
                (PENDING, before.timestamp()),
            )
        return cursor.rowcount
