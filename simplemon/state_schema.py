"""The state file's layout: its tables, opening it, and bringing an old file up to date.

Kept apart from state_store.py, which reads and writes the rows: the two are the
only modules that speak SQL (see STYLE.md). A new MonitorState field needs a
column here and a migration step.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from simplemon.errors import StateFileError
from simplemon.lazy_logging import get_logger
from simplemon.model import MonitorState
from simplemon.paths import create_guarded
from simplemon.state_codec import codec, from_json

log = get_logger(__name__)

#: The layout this code writes, kept in ``PRAGMA user_version``; older files are
#: migrated on open (see migrate). 0: monitor_state held one JSON text per monitor.
#: 1: the outbox had no ``done`` column.
SCHEMA_VERSION = 2

SCHEMA = (
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
        finished_at REAL,
        done TEXT NOT NULL DEFAULT '[]'
    )""",
    "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (alerter, status, id)",
)

SELECT_STATES = (
    "SELECT monitor, status, failures, virtual_fail_count, first_failure_at, "
    "failed_at, last_message, last_duration, last_checked_at, last_change_at, "
    "checks, successes FROM monitor_state"
)
SAVE_STATE = (
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


def connect(path: Path) -> sqlite3.Connection:
    """Open the file as every user of it must: WAL, and every commit on disk.

    Raises:
        OSError: the file cannot be created, or another user planted it or a
            symlink at ``path`` in a folder everyone may write to (state file in
            /tmp), which SQLite would follow.
    """
    create_guarded(path)
    db = sqlite3.connect(str(path), check_same_thread=False, timeout=10)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    return db


def version(db: sqlite3.Connection) -> int:
    """Return the file's layout version (0 for a new or a layout-0 file)."""
    version: int = db.execute("PRAGMA user_version").fetchone()[0]
    return version


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Create the tables of a new file, or bring an older file's up to date.

    One transaction: a crash part-way leaves the file as it was. BEGIN IMMEDIATE
    takes the write lock first, so two processes never migrate the same file.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        found = version(db)
        if found > SCHEMA_VERSION:
            raise StateFileError(
                f"state file {path} was written by a newer simplemon "
                f"(layout {found}, this one knows {SCHEMA_VERSION})"
            )
        old_states = found == 0 and _has_column(db, "monitor_state", "data")
        if old_states:
            db.execute("ALTER TABLE monitor_state RENAME TO monitor_state_json")
        for statement in SCHEMA:
            db.execute(statement)
        if old_states:
            _copy_json_states(db)
        if not _has_column(db, "outbox", "done"):  # layouts 0 and 1
            db.execute("ALTER TABLE outbox ADD COLUMN done TEXT NOT NULL DEFAULT '[]'")
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
        SAVE_STATE,
        [(name, *to_row(from_json(MonitorState, data))) for name, data in rows],
    )
    db.execute("DROP TABLE monitor_state_json")
    log.info(
        "state file: %d monitor states moved to the layout of this version", len(rows)
    )
