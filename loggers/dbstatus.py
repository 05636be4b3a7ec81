"""The ``dbstatus`` logger: one row per monitor in the SQLite ``status`` table.

Each round replaces every logged monitor's row with its current state, in one
transaction; the table has a primary key on (host, monitor).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from loggers._lazy_database import LazyDatabase
from loggers._redact import redact
from loggers.db import check_result, duration_ms
from simplemon.common import LoggerCommon
from simplemon.logger import ResultLogger
from simplemon.model import MonitorSnapshot, Snapshot
from simplemon.options import opt
from simplemon.record import record

_UPSERT = (
    "INSERT OR REPLACE INTO status (monitor_host, monitor_name, monitor_result, "
    "monitor_info, monitor_type, state, virtual_fail_count, failures, duration_ms, "
    "last_checked, since, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@record
class DbstatusOptions:
    """Options of the dbstatus logger."""

    db_path: Path = opt(
        help="SQLite file holding the status table (created if missing; may be the "
        "same file as a db logger's)",
        aliases=("path",),
        example="simplemon.db",
    )


def _seconds(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


class DbstatusLogger(ResultLogger[DbstatusOptions]):
    """Keep each monitor's current state in a SQLite table, one row per monitor."""

    type_name = "dbstatus"
    every_round = False  # the current status: only the latest round matters
    Options = DbstatusOptions

    def __init__(
        self, name: str, options: DbstatusOptions, common: LoggerCommon | None = None
    ) -> None:
        super().__init__(name, options, common)
        self._db = LazyDatabase(options.db_path)

    def row(self, snapshot: Snapshot, monitor: MonitorSnapshot) -> tuple[object, ...]:
        """Return the ``status`` row for one monitor (pure; nothing secret in it)."""
        state = monitor.state
        return (
            snapshot.hostname,
            monitor.name,
            check_result(state.status),
            redact(state.last_message),
            monitor.type_name,
            state.status.value,
            state.virtual_fail_count,
            state.failures,
            duration_ms(monitor),
            _seconds(state.last_checked_at),
            _seconds(state.last_change_at),
            int(snapshot.taken_at.timestamp()),
        )

    def write(self, snapshot: Snapshot) -> None:
        """Replace every monitor's status row, in one transaction."""
        rows = [self.row(snapshot, m) for m in snapshot.monitors]
        self._db.write(lambda conn: conn.executemany(_UPSERT, rows))

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
        """Summarise where the status goes."""
        return f"keeping monitor status in {self.options.db_path}"
