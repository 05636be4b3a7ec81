"""The durable state file: monitor states, notification records and the alert outbox.

This is the one module in simplemon/ that speaks SQL (see STYLE.md): everything that
must survive a restart or a ``kill -9`` is committed here, in one SQLite file, and
nothing else in the core imports sqlite3.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from simplemon.alerting import NotificationRecord
from simplemon.dispatch import OutboxItem
from simplemon.errors import StateFileError
from simplemon.model import AlertEvent, MonitorState
from simplemon.state_codec import IsoTexts, codec, from_json

log = logging.getLogger(__name__)

#: The layout this code writes, kept in ``PRAGMA user_version``; older files are
#: migrated on open (see _migrate). 0: monitor_state held one JSON text per monitor.
SCHEMA_VERSION = 1

_SCHEMA = (
    # One column per MonitorState field, in field order (a test checks this; a new
    # field needs a column and a migration step). Columns, not JSON, because every
    # round rewrites every state and every start reads them all back.
    """CREATE TABLE IF NOT EXISTS monitor_state (
        monitor TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        failures INTEGER NOT NULL,
        virtual_fail_count INTEGER NOT NULL,
        first_failure_at TEXT,
        failed_at TEXT,
        last_message TEXT NOT NULL,
        last_duration REAL,
        last_checked_at TEXT,
        last_change_at TEXT,
        checks INTEGER NOT NULL,
        successes INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS notification (
        monitor TEXT NOT NULL,
        alerter TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (monitor, alerter)
    )""",
    """CREATE TABLE IF NOT EXISTS outbox (
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
    )""",
    "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (alerter, status, id)",
)

_SELECT_STATES = (
    "SELECT monitor, status, failures, virtual_fail_count, first_failure_at, "
    "failed_at, last_message, last_duration, last_checked_at, last_change_at, "
    "checks, successes FROM monitor_state"
)
_SAVE_STATE = (
    "INSERT INTO monitor_state (monitor, status, failures, virtual_fail_count, "
    "first_failure_at, failed_at, last_message, last_duration, last_checked_at, "
    "last_change_at, checks, successes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    # An upsert updates the row in place; INSERT OR REPLACE deletes and re-inserts.
    "ON CONFLICT (monitor) DO UPDATE SET status=excluded.status, "
    "failures=excluded.failures, virtual_fail_count=excluded.virtual_fail_count, "
    "first_failure_at=excluded.first_failure_at, failed_at=excluded.failed_at, "
    "last_message=excluded.last_message, last_duration=excluded.last_duration, "
    "last_checked_at=excluded.last_checked_at, "
    "last_change_at=excluded.last_change_at, checks=excluded.checks, "
    "successes=excluded.successes"
)

#: Outbox statuses: only ``pending`` rows are ever (re)delivered. ``superseded``: a
#: reminder not sent because a newer message about the same monitor was queued.
PENDING, DELIVERED, FAILED, EXPIRED = "pending", "delivered", "failed", "expired"


class StateStore:
    """A SQLite state file shared by the scheduler thread and the delivery workers.

    Every method is one transaction, serialised by a lock; every write is committed
    (``synchronous=FULL``) before the method returns, so a ``kill -9`` loses nothing
    that a method reported as stored. Any SQLite failure (file locked, read-only,
    damaged) is raised as a StateFileError naming the file.

    One process at a time: the store holds an exclusive lock on ``<file>.lock``
    for as long as it is open, so a second simplemon on the same state file (a
    manual run beside the service) is refused instead of deciding and sending
    every alert a second time.
    """

    def __init__(self, path: Path) -> None:
        """Open (or create) the state file.

        Raises:
            StateFileError: the folder or file cannot be created, or is not a
                simplemon state file (e.g. some other file at that path), or
                another process has it open.
        """
        self.path = path
        self._lock = threading.Lock()
        # Released by close(), or when the store is garbage collected.
        self._owner = weakref.finalize(self, os.close, _lock_owner(path))
        try:
            self._db = _connect(path)
            if _version(self._db) != SCHEMA_VERSION:
                _migrate(self._db, path)
        except (OSError, sqlite3.Error, ValueError, TypeError) as e:
            # ValueError/TypeError: a stored state that cannot be migrated.
            self._owner()
            raise StateFileError(f"cannot use state file {path}: {e}") from e
        except BaseException:
            self._owner()
            raise

    def close(self) -> None:
        """Close the file and let another process have it; further calls fail."""
        with self._lock:
            self._db.close()
            self._owner()

    @contextlib.contextmanager
    def _using(self, what: str) -> Iterator[None]:
        """Hold the lock; turn SQLite failures into one StateFileError line."""
        with self._lock:
            try:
                yield
            except sqlite3.Error as e:
                raise StateFileError(
                    f"state file {self.path}: cannot {what}: {e}"
                ) from e

    # --- monitor states and notification records ----------------------------------

    def load_states(self) -> dict[str, MonitorState]:
        """Return every stored monitor state by monitor name."""
        with self._using("read monitor states"):
            rows = self._db.execute(_SELECT_STATES).fetchall()
        from_row = codec(MonitorState).from_row
        return {row[0]: from_row(row[1:]) for row in rows}

    def load_records(self) -> dict[tuple[str, str], NotificationRecord]:
        """Return every notification record by (monitor, alerter)."""
        with self._using("read notification records"):
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
        # Encoded before taking the lock, which the delivery workers wait on.
        texts = IsoTexts()
        record_codec = codec(NotificationRecord)
        empty = record_codec.encode(NotificationRecord())
        cleared: list[tuple[str, str]] = []
        kept: list[tuple[str, str, str]] = []
        for (monitor, alerter), record in records.items():
            data = record_codec.encode(record, texts)
            if data == empty:
                cleared.append((monitor, alerter))
            else:
                kept.append((monitor, alerter, data))
        to_row = codec(MonitorState).to_row
        state_rows = [(n, *to_row(state, texts)) for n, state in states.items()]
        encode_event = codec(AlertEvent).encode
        event_rows = [
            (
                e.event_id,
                e.alerter,
                e.monitor,
                encode_event(e, texts),
                e.created_at.timestamp(),
                e.created_at.timestamp(),
            )
            for e in events
        ]
        with self._using("save the round"):
            self._restore_if_deleted()
            with self._db:
                for name in removed:
                    self._db.execute(
                        "DELETE FROM monitor_state WHERE monitor=?", (name,)
                    )
                    self._db.execute(
                        "DELETE FROM notification WHERE monitor=?", (name,)
                    )
                self._db.executemany(_SAVE_STATE, state_rows)
                self._db.executemany(
                    "DELETE FROM notification WHERE monitor=? AND alerter=?", cleared
                )
                self._db.executemany(
                    "INSERT INTO notification VALUES (?, ?, ?) "
                    "ON CONFLICT (monitor, alerter) DO UPDATE SET data=excluded.data",
                    kept,
                )
                self._db.executemany(
                    "INSERT OR IGNORE INTO outbox (event_id, alerter, monitor, data, "
                    "created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)",
                    event_rows,
                )

    def _restore_if_deleted(self) -> None:
        """Write the file again from the open connection if it was deleted.

        SQLite would otherwise go on writing to the deleted file, and the next
        start would find nothing: every state, record and queued alert forgotten.
        The lock is taken again on a new ``.lock`` file first, so that a second
        process that started meanwhile is not overwritten. Runs under the lock.
        """
        if self.path.exists():
            return
        log.error(
            "state file %s was deleted while running; writing it again", self.path
        )
        try:
            owner = _lock_owner(self.path)
        except StateFileError as e:
            log.error("%s; not writing it again", e)
            return
        try:
            self._db.execute("VACUUM INTO ?", (str(self.path),))
            db = _connect(self.path)
        except BaseException:
            os.close(owner)  # tried again next round
            raise
        self._owner()
        self._owner = weakref.finalize(self, os.close, owner)
        self._db.close()
        self._db = db

    # --- the outbox ------------------------------------------------------------------

    def pending(self, alerter: str, limit: int = 50) -> list[OutboxItem]:
        """Return the alerter's undelivered events, oldest first."""
        with self._using("read the outbox"):
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

    def retry_later(self, row_id: int, when: datetime, error: str) -> None:
        """Record a transient failure and when to try again."""
        with self._using("record a retry"), self._db:
            self._db.execute(
                "UPDATE outbox SET attempts=attempts+1, next_attempt_at=?, "
                "last_error=? WHERE id=?",
                (when.timestamp(), error, row_id),
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


def _lock_owner(path: Path) -> int:
    """Create the folder, take ``<path>.lock`` for this process; return its fd.

    flock, not SQLite's own locks: those only serialise single transactions. The
    lock goes with the process (also on ``kill -9``); the file itself stays, with
    the id of the last process that held it.
    """
    lock_path = path.with_name(path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as e:
        raise StateFileError(f"cannot use state file {path}: {e}") from e
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 20).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise StateFileError(
            f"state file {path} is in use by another simplemon (process {holder}): "
            "stop that one first, or give this one its own state_file"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode("ascii"))
    return fd


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), check_same_thread=False, timeout=10)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    return db


def _version(db: sqlite3.Connection) -> int:
    version: int = db.execute("PRAGMA user_version").fetchone()[0]
    return version


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    """Create the tables of a new file, or bring an older file's up to date.

    One transaction: a crash part-way leaves the file as it was. BEGIN IMMEDIATE
    takes the write lock first, so two processes never migrate the same file.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        version = _version(db)
        if version > SCHEMA_VERSION:
            raise StateFileError(
                f"state file {path} was written by a newer simplemon "
                f"(layout {version}, this one knows {SCHEMA_VERSION})"
            )
        old_states = version == 0 and _has_column(db, "monitor_state", "data")
        if old_states:
            db.execute("ALTER TABLE monitor_state RENAME TO monitor_state_json")
        for statement in _SCHEMA:
            db.execute(statement)
        if old_states:
            _copy_json_states(db)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")
        db.commit()
    except BaseException:
        db.rollback()
        raise


def _has_column(db: sqlite3.Connection, table: str, column: str) -> bool:
    rows = db.execute("SELECT name FROM pragma_table_info(?)", (table,)).fetchall()
    return (column,) in rows


def _copy_json_states(db: sqlite3.Connection) -> None:
    """Layout 0 to 1: one JSON text per monitor becomes one column per field."""
    rows = db.execute("SELECT monitor, data FROM monitor_state_json").fetchall()
    to_row = codec(MonitorState).to_row
    db.executemany(
        _SAVE_STATE,
        [(name, *to_row(from_json(MonitorState, data))) for name, data in rows],
    )
    db.execute("DROP TABLE monitor_state_json")
    log.info(
        "state file: %d monitor states moved to the layout of this version", len(rows)
    )
