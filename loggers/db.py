"""The ``db`` logger: one row per check result in SimpleMonitor's ``results`` table.

Rows keep SimpleMonitor's columns (so existing queries work) with correct content, plus
duration, state and virtual fail count. One transaction per round; old rows are pruned.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from loggers._checked import logged
from loggers._lazy_database import LazyDatabase
from loggers._redact import redact
from simplemon.common import LoggerCommon
from simplemon.logger import ResultLogger
from simplemon.model import MonitorSnapshot, Snapshot, Status
from simplemon.options import opt
from simplemon.record import record

_INSERT = (
    "INSERT INTO results (monitor_host, monitor_name, monitor_type, monitor_params, "
    "monitor_result, timestamp, monitor_info, duration_ms, state, virtual_fail_count) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@record
class DbOptions:
    """Options of the db logger."""

    db_path: Path = opt(
        help="SQLite file to append results to (created if missing)",
        aliases=("path",),
        example="simplemon.db",
    )
    retention: timedelta = opt(
        timedelta(days=90),
        min=timedelta(0),
        help="delete results older than this (e.g. 90d); 0 keeps everything",
    )


def check_result(status: Status) -> int | None:
    """Return ``monitor_result``: 1 success, 0 failure, None (NULL) if not checked."""
    if status is Status.OK:
        return 1
    if status in (Status.FAILING, Status.FAILED):
        return 0
    return None


def epoch(snapshot: Snapshot, monitor: MonitorSnapshot) -> int:
    """Return when ``monitor``'s latest result was taken, as Unix seconds.

    A skip is taken in the round that skips: the last check may be hours older.
    """
    checked = monitor.ran and monitor.state.status is not Status.SKIPPED
    moment = monitor.state.last_checked_at if checked else None
    return int((moment or snapshot.taken_at).timestamp())


def duration_ms(monitor: MonitorSnapshot) -> float | None:
    """Return the last check's duration in milliseconds, or None."""
    seconds = monitor.state.last_duration
    return None if seconds is None else round(seconds * 1000.0, 3)


class DbLogger(ResultLogger[DbOptions]):
    """Append every check result to a SQLite database (SimpleMonitor's schema)."""

    type_name = "db"
    Options = DbOptions

    def __init__(
        self, name: str, options: DbOptions, common: LoggerCommon | None = None
    ) -> None:
        super().__init__(name, options, common)
        self._db = LazyDatabase(options.db_path)

    def row(self, snapshot: Snapshot, monitor: MonitorSnapshot) -> tuple[object, ...]:
        """Return the ``results`` row for one monitor (pure; nothing secret in it)."""
        state = monitor.state
        return (
            snapshot.hostname,
            monitor.name,
            monitor.type_name,
            redact(monitor.description),
            check_result(state.status),
            epoch(snapshot, monitor),
            redact(state.last_message),
            None if state.status is Status.SKIPPED else duration_ms(monitor),
            state.status.value,
            state.virtual_fail_count,
        )

    def write(self, snapshot: Snapshot) -> None:
        """Insert this round's rows and prune old ones, in one transaction."""
        rows = [
            self.row(snapshot, m) for m in snapshot.monitors if logged(m, self.common)
        ]
        retention = self.options.retention

        def insert(conn: sqlite3.Connection) -> None:
            conn.executemany(_INSERT, rows)
            if retention > timedelta(0):
                cutoff = int((snapshot.taken_at - retention).timestamp())
                conn.execute("DELETE FROM results WHERE timestamp < ?", (cutoff,))

        self._db.write(insert)

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def problems(self) -> list[str]:
        """Say why the database could not be written (asks, creates nothing)."""
        return self._db.problems()

    def database_files(self) -> dict[str, Path]:
        """Return the database results go to."""
        return {"db_path": self.options.db_path}

    def describe(self) -> str:
        """Summarise where results go."""
        return f"logging results to {self.options.db_path}"
