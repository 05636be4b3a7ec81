"""Check history for the status page and JSON twin: availability and recent samples.

Keeps hourly check/success counts and the last few samples per monitor in SQLite, so
figures survive restarts. Each check is counted once, even when two loggers share the
file: a monitor's ``last_counted`` time is read and advanced inside the transaction.
What the figures are and how they are summed is ``_history_figures``'s.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from loggers._history_figures import (
    SAMPLES,
    WINDOWS,
    Counts,
    MonitorHistory,
    Sample,
    figures,
    samples_json,
    window_sums,
)
from loggers._sqlite import (
    FileId,
    close_connection,
    connect,
    file_id,
    file_lock,
    is_busy,
    moved,
    transaction,
)
from simplemon.errors import DeliveryError
from simplemon.model import MonitorSnapshot, Snapshot, Status

_LONGEST = max(hours for _, hours in WINDOWS)
_CHECKED = (Status.OK, Status.FAILING, Status.FAILED)

CountRow = tuple[str, int, str, int]  # host, hour, monitor, success (0 or 1)

_COUNT = (
    "INSERT INTO history_hourly (monitor_host, hour, monitor_name, checks, successes) "
    "VALUES (?, ?, ?, 1, ?) ON CONFLICT DO UPDATE SET checks = checks + 1, "
    "successes = successes + excluded.successes"
)
_RECENT = "INSERT OR REPLACE INTO history_recent VALUES (?, ?, ?, ?)"
_CURRENT = (
    "SELECT monitor_name, checks, successes FROM history_hourly "
    "WHERE monitor_host = ? AND hour = ?"
)


class History:
    """One history file; ``record`` a round, get each monitor's figures back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._opened: FileId = None
        # Per monitor: last counted check time, samples, their JSON (None: unknown).
        # Three flat dicts rather than one of tuples: fewer objects for the cyclic
        # garbage collector to scan after every round.
        self._counted: dict[str, float] = {}
        self._samples: dict[str, list[Sample]] = {}
        self._json: dict[str, str | None] = {}
        self._data_version: int | None = None  # others' commits change it
        self._boundary: int | None = None  # first hour not in _completed
        self._completed: dict[str, Counts] = {}
        # This hour's checks and successes per monitor, kept up to date in memory
        # while no other connection writes (re-read when one does).
        self._hour_checks: dict[str, int] = {}
        self._hour_successes: dict[str, int] = {}
        #: What the last successful ``record`` returned, shown while the file is
        #: locked or unwritable rather than no page at all.
        self.last: dict[str, MonitorHistory] = {}

    def record(self, snapshot: Snapshot) -> dict[str, MonitorHistory]:
        """Count this round's checks and return every monitor's history figures.

        Raises:
            DeliveryError: if the history file cannot be read or written.
        """
        host = snapshot.hostname
        hour = int(snapshot.taken_at.timestamp()) // 3600
        try:
            with file_lock(self.path):
                self._record(snapshot, host, hour)
        except sqlite3.Error as e:
            self._forget()  # the transaction was rolled back
            if is_busy(e):
                raise DeliveryError(
                    f"cannot update history {self.path}: another program holds its "
                    "write lock (a sqlite3 shell inside BEGIN?); showing the last "
                    "figures until it lets go"
                ) from e
            raise DeliveryError(f"cannot update history {self.path}: {e}") from e
        self.last = {
            m.name: figures(
                self._completed.get(m.name),
                self._hour_checks.get(m.name, 0),
                self._hour_successes.get(m.name, 0),
                self._samples.get(m.name, []),
            )
            for m in snapshot.monitors
        }
        return self.last

    def _record(self, snapshot: Snapshot, host: str, hour: int) -> None:
        """Count ``snapshot`` in one transaction (the caller holds the file's lock)."""
        if self._conn is not None and moved(self.path, self._opened):
            self.close()
            self._forget()
        if self._conn is None:
            self._conn = connect(self.path)
            self._opened = file_id(self.path)
        with transaction(self._conn) as conn:
            shared = self._load_samples(conn, host)
            counts, recents = self._count(host, snapshot.monitors)
            conn.executemany(_COUNT, counts)
            conn.executemany(_RECENT, recents)
            if self._boundary != hour:
                self._roll(conn, host, hour)
                shared = True
            self._count_hour(conn, host, hour, counts, reread=shared)

    def record_or_last(
        self, snapshot: Snapshot
    ) -> tuple[dict[str, MonitorHistory], DeliveryError | None]:
        """Like ``record``, but on failure return the last figures and the error."""
        try:
            return self.record(snapshot), None
        except DeliveryError as e:
            return self.last, e

    def _forget(self) -> None:
        """Forget what was cached from the file: it is read again."""
        self._counted.clear()
        self._samples.clear()
        self._json.clear()
        self._boundary = None  # also re-reads this hour's counts
        self._data_version = None

    def _load_samples(self, conn: sqlite3.Connection, host: str) -> bool:
        """Re-read the samples another writer changed; False if none could have."""
        # Inside our write transaction; between two of our transactions only other
        # connections can commit, and only their commits change data_version.
        (version,) = conn.execute("PRAGMA data_version").fetchone()
        if version == self._data_version:
            return False  # the usual case: we are the only writer
        self._data_version = version
        changed = {
            name
            for name, last_counted in conn.execute(
                "SELECT monitor_name, last_counted FROM history_recent "
                "WHERE monitor_host = ?",
                (host,),
            )
            if self._counted.get(name) != last_counted
        }
        if not changed:
            return True
        rows = conn.execute(
            "SELECT monitor_name, last_counted, samples FROM history_recent "
            "WHERE monitor_host = ?",
            (host,),
        )
        for name, last_counted, text in rows:
            if name in changed:
                samples = [(int(t), bool(ok), ms) for t, ok, ms in json.loads(text)]
                self._counted[name] = last_counted
                self._samples[name] = samples
                self._json[name] = None
        return True

    def _count_hour(
        self,
        conn: sqlite3.Connection,
        host: str,
        hour: int,
        counts: list[CountRow],
        *,
        reread: bool,
    ) -> None:
        """Bring this hour's per-monitor counts up to date (after ``counts``)."""
        if reread:
            self._hour_checks, self._hour_successes = {}, {}
            for name, checks, successes in conn.execute(_CURRENT, (host, hour)):
                self._hour_checks[name] = checks
                self._hour_successes[name] = successes
            return
        for _, counted_hour, name, ok in counts:
            # A check from the previous hour was added to that hour, as in SQLite.
            if counted_hour == hour:
                self._hour_checks[name] = self._hour_checks.get(name, 0) + 1
                self._hour_successes[name] = self._hour_successes.get(name, 0) + ok

    def _count(
        self, host: str, monitors: tuple[MonitorSnapshot, ...]
    ) -> tuple[list[CountRow], list[tuple[object, ...]]]:
        """Return the hourly-count and recent-sample rows for checks not yet counted."""
        counts: list[CountRow] = []
        recents: list[tuple[object, ...]] = []
        for m in monitors:
            state = m.state
            if state.status not in _CHECKED or state.last_checked_at is None:
                continue
            when = state.last_checked_at.timestamp()
            if when <= self._counted.get(m.name, 0.0):
                continue
            ok = state.status is Status.OK
            counts.append((host, int(when) // 3600, m.name, int(ok)))
            seconds = state.last_duration
            ms = None if seconds is None else round(seconds * 1e3, 1)
            samples = [*self._samples.get(m.name, ()), (int(when), ok, ms)]
            dropped = max(0, len(samples) - SAMPLES)
            if dropped:
                del samples[:dropped]
            text = samples_json(self._json.get(m.name), samples, dropped)
            recents.append((host, m.name, when, text))
            self._counted[m.name] = when
            self._samples[m.name] = samples
            self._json[m.name] = text
        return counts, recents

    def _roll(self, conn: sqlite3.Connection, host: str, hour: int) -> None:
        """Start a new hour: prune expired history and re-sum the completed hours."""
        conn.execute(
            "DELETE FROM history_hourly WHERE monitor_host = ? AND hour < ?",
            (host, hour - _LONGEST),
        )
        # Monitors not checked since (renamed, removed): their samples go too.
        conn.execute(
            "DELETE FROM history_recent WHERE monitor_host = ? AND last_counted < ?",
            (host, (hour - _LONGEST) * 3600),
        )
        self._completed = window_sums(conn, host, hour, hour - _LONGEST, hour)
        self._boundary = hour

    def close(self) -> None:
        """Close the history file."""
        if self._conn is not None:
            close_connection(self._conn, self.path)
            self._conn = None
