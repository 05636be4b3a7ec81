"""The durable state file: monitor states, notification records and the alert outbox.

With state_schema.py (the tables and migrations) and state_outbox.py (the outbox
queries of alert delivery, which :class:`StateStore` inherits) this is the only place
in simplemon/ that speaks SQL (see STYLE.md): everything that must survive a restart
or a ``kill -9`` is committed here, in one SQLite file.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from simplemon.errors import StateFileError
from simplemon.lazy_logging import get_logger
from simplemon.model import AlertEvent, MonitorState, NotificationRecord
from simplemon.paths import create_guarded
from simplemon.state_codec import IsoTexts, codec, from_json
from simplemon.state_lock import still_held, take_lock
from simplemon.state_outbox import OutboxQueries
from simplemon.state_schema import (
    SAVE_STATE,
    SCHEMA_VERSION,
    SELECT_STATES,
    connect,
    migrate,
    version,
)

log = get_logger(__name__)


class StateStore(OutboxQueries):
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
        self._lock_fd = take_lock(path)
        self._owner = weakref.finalize(self, os.close, self._lock_fd)
        try:
            self._db = connect(path)
            if version(self._db) != SCHEMA_VERSION:
                migrate(self._db, path)
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
            rows = self._db.execute(SELECT_STATES).fetchall()
        from_row = codec(MonitorState).from_row
        states = {}
        for row in rows:
            try:
                states[row[0]] = from_row(row[1:])
            except (ValueError, TypeError, KeyError) as e:
                self._unreadable(f"state of monitor {row[0]!r}", e)
        return states

    def load_records(self) -> dict[tuple[str, str], NotificationRecord]:
        """Return every notification record by (monitor, alerter)."""
        with self._using("read notification records"):
            rows = self._db.execute(
                "SELECT monitor, alerter, data FROM notification"
            ).fetchall()
        records = {}
        for m, a, d in rows:
            try:
                records[(m, a)] = from_json(NotificationRecord, d)
            except (ValueError, TypeError, KeyError, AttributeError) as e:
                self._unreadable(f"alert record of {m!r} for {a!r}", e)
        return records

    def _unreadable(self, what: str, error: Exception) -> None:
        """Warn about a damaged row; it is forgotten (rewritten after a round)."""
        log.warning(
            "state file %s: ignoring the stored %s, which cannot be read (%s); "
            "it starts afresh",
            self.path,
            what,
            error,
        )

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
        empty = record_codec.encode(NotificationRecord()) if records else ""
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
                self._db.executemany(SAVE_STATE, state_rows)
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
            # Committed rows sit in the -wal file until a checkpoint, 4 MB later by
            # default: a `cp` of the file alone (a backup) would hold none of them,
            # and a restore would forget every state and resend every alert. Copy
            # them into the file now; PASSIVE never waits for readers.
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _restore_if_deleted(self) -> None:
        """Write the file again from the open connection if it was deleted.

        SQLite would otherwise go on writing to the deleted file, and the next
        start would find nothing: every state, record and queued alert forgotten.
        The lock is taken again on a new ``.lock`` file first if that was deleted
        too, so that a second process that started meanwhile is not overwritten.
        Runs under the lock.
        """
        if self.path.exists():
            return
        log.error(
            "state file %s was deleted while running; writing it again", self.path
        )
        kept = still_held(self._lock_fd, self.path)
        try:
            owner = self._lock_fd if kept else take_lock(self.path)
        except StateFileError as e:
            log.error("%s; not writing it again", e)
            return
        try:
            # Created first as connect() creates it: VACUUM INTO would follow a
            # symlink another user planted at the path meanwhile.
            create_guarded(self.path)
            self._db.execute("VACUUM INTO ?", (str(self.path),))
            db = connect(self.path)
        except BaseException as e:
            if not kept:
                os.close(owner)  # tried again next round
            if isinstance(e, OSError):
                raise StateFileError(f"cannot write state file {self.path}: {e}") from e
            raise
        if not kept:
            self._owner()
            self._owner = weakref.finalize(self, os.close, owner)
            self._lock_fd = owner
        self._db.close()
        self._db = db
