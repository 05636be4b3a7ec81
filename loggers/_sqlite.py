"""SQLite plumbing shared by the ``db``, ``dbstatus``, ``html`` and ``json`` loggers.

Opens a database in WAL mode with a busy timeout and brings its schema up to date with
numbered migrations; version 1 is SimpleMonitor's own schema, so a database it created
is upgraded in place. Not a plugin: it knows tables, not snapshots. A logger's
connection, opened lazily and holding writes while the file is locked, is
``_lazy_database``'s.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from loggers._redact import redact, repair_simplemonitor_params
from simplemon.errors import DeliveryError
from simplemon.lazy_logging import get_logger
from simplemon.paths import create_guarded

log = get_logger(__name__)

#: How long a write waits for another program's write lock (a ``sqlite3`` shell left
#: inside ``BEGIN``) before giving up for this round: the logger's thread waits
#: meanwhile (this process's own writers of the file take turns: see file_lock).
BUSY_TIMEOUT_SECONDS = 0.5

# Each entry upgrades the schema from version i to i + 1 (entry 0 creates version 1).
# Never edit a released entry: add a new one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: SimpleMonitor 1.x's schema, so existing queries keep working.
    (
        """CREATE TABLE IF NOT EXISTS results(
            result_id integer primary key, monitor_host varchar(50),
            monitor_name varchar(50), monitor_type varchar(50),
            monitor_params varchar(100), monitor_result int, timestamp int,
            monitor_info varchar(255))""",
        """CREATE TABLE IF NOT EXISTS status (monitor_host varchar(50),
            monitor_name varchar(50), monitor_result int, monitor_info varchar(255))""",
        """CREATE TABLE IF NOT EXISTS monitor_schema (
            k varchar(50) primary key, v varchar(255))""",
        "INSERT OR IGNORE INTO monitor_schema (k, v) "
        "VALUES ('monitor_schema_version', 1)",
    ),
    # 2: what SimpleMonitor lacks: durations, states, indexes, a key on status.
    (
        "ALTER TABLE results ADD COLUMN duration_ms REAL",
        "ALTER TABLE results ADD COLUMN state TEXT",
        "ALTER TABLE results ADD COLUMN virtual_fail_count INTEGER",
        "CREATE INDEX results_by_monitor_time ON results (monitor_name, timestamp)",
        "CREATE INDEX results_by_time ON results (timestamp)",
        # SimpleMonitor stored every character of the parameters joined with ':'.
        "UPDATE results SET monitor_params = simplemon_repair_params(monitor_params) "
        "WHERE monitor_params LIKE '(:%'",
        # ... and put monitor descriptions, with any URL credentials, in monitor_info.
        "UPDATE results SET monitor_info = simplemon_redact(monitor_info) "
        "WHERE monitor_info LIKE '%=%' OR monitor_info LIKE '%@%'",
        """CREATE TABLE status_new (
            monitor_host TEXT NOT NULL, monitor_name TEXT NOT NULL,
            monitor_result INTEGER, monitor_info TEXT, monitor_type TEXT,
            state TEXT, virtual_fail_count INTEGER, failures INTEGER,
            duration_ms REAL, last_checked INTEGER, since INTEGER, updated INTEGER,
            PRIMARY KEY (monitor_host, monitor_name))""",
        # Older rows may repeat a monitor; OR REPLACE keeps the last one written.
        """INSERT OR REPLACE INTO status_new
            (monitor_host, monitor_name, monitor_result, monitor_info)
            SELECT monitor_host, monitor_name, monitor_result,
            simplemon_redact(monitor_info)
            FROM status WHERE monitor_host IS NOT NULL AND monitor_name IS NOT NULL
            ORDER BY rowid""",
        "DROP TABLE status",
        "ALTER TABLE status_new RENAME TO status",
    ),
    # 3: compact history for the status page: hourly counts and recent samples.
    (
        """CREATE TABLE history_hourly (
            monitor_host TEXT NOT NULL, hour INTEGER NOT NULL,
            monitor_name TEXT NOT NULL, checks INTEGER NOT NULL,
            successes INTEGER NOT NULL,
            PRIMARY KEY (monitor_host, hour, monitor_name)) WITHOUT ROWID""",
        """CREATE TABLE history_recent (
            monitor_host TEXT NOT NULL, monitor_name TEXT NOT NULL,
            last_counted REAL NOT NULL, samples TEXT NOT NULL,
            PRIMARY KEY (monitor_host, monitor_name)) WITHOUT ROWID""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
#: One lock per database file: this process's loggers take turns at it. Each
#: logger writes on a thread of its own, and a db, a dbstatus logger and an html
#: page's history may share one file. Left to SQLite, a round's transaction at
#: 10,000 monitors outlasts the busy timeout and a sibling's write failed as
#: "another program holds its write lock"; and a second connection's switch to
#: WAL while the first creates the file is refused at once. Per file: a file on a
#: hung share holds up no other.
_file_locks: dict[str, threading.RLock] = {}
_file_locks_lock = threading.Lock()


def file_lock(path: Path) -> threading.RLock:
    """Return the lock this process's writers of ``path`` take turns at."""
    with _file_locks_lock:
        return _file_locks.setdefault(os.path.abspath(path), threading.RLock())


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the database at ``path``.

    Transactions are explicit (``isolation_level=None``); WAL lets readers such as the
    sqlite3 shell run while the monitor writes.

    Raises:
        DeliveryError: if the file cannot be opened or its schema is too new.
    """
    with file_lock(path):
        return _connect(path)


def _connect(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # SQLite follows a symlink another user planted (database in /tmp).
        create_guarded(path)
        conn = sqlite3.connect(
            path,
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,
            check_same_thread=False,
        )
    except (OSError, sqlite3.Error) as e:
        raise DeliveryError(f"cannot open database {path}: {e}") from e
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        # Deleted or rewritten rows (pruning, the credential scrub in migration 2)
        # must not linger in free pages of the file.
        conn.execute("PRAGMA secure_delete = ON")
        conn.create_function(
            "simplemon_repair_params",
            1,
            repair_simplemonitor_params,
            deterministic=True,
        )
        conn.create_function("simplemon_redact", 1, _redact_or_none, deterministic=True)
        migrate(conn)
    except sqlite3.Error as e:
        conn.close()
        raise DeliveryError(f"cannot prepare database {path}: {e}") from e
    except DeliveryError:
        conn.close()
        raise
    return conn


def close_connection(conn: sqlite3.Connection, path: Path) -> None:
    """Close ``conn``, leaving the file in rollback-journal mode if it is the last.

    A WAL database at rest cannot be opened by a reader that may not write its
    folder (a dashboard's user: "attempt to write a readonly database"), where
    SimpleMonitor's file could; ``connect`` turns WAL back on. The switch needs
    the only connection to the file, so it is tried at once and skipped if not.
    """
    with file_lock(path):
        try:
            conn.execute("PRAGMA busy_timeout = 0")
            conn.execute("PRAGMA journal_mode = DELETE")
        except sqlite3.Error:
            pass  # another connection (ours or a reader's) still has it open
        conn.close()


def _redact_or_none(value: str | None) -> str | None:
    return None if value is None else redact(value)


def schema_version(conn: sqlite3.Connection) -> int:
    """Return the schema version recorded in ``conn`` (0 for an empty database)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'monitor_schema'"
    ).fetchone()
    if exists is None:
        return 0
    row = conn.execute(
        "SELECT v FROM monitor_schema WHERE k = 'monitor_schema_version'"
    ).fetchone()
    return int(row[0]) if row is not None else 0


def migrate(conn: sqlite3.Connection) -> None:
    """Apply every missing migration, each in its own transaction.

    Raises:
        DeliveryError: (permanent) if the database is newer than this code.
        sqlite3.Error: if a migration fails; that migration is rolled back.
    """
    while True:
        with transaction(conn):
            # Read inside the write lock: another process may have just migrated.
            version = schema_version(conn)
            if version > SCHEMA_VERSION:
                raise DeliveryError(
                    f"database schema version {version} is newer than this simplemon "
                    f"understands ({SCHEMA_VERSION})",
                    permanent=True,
                )
            if version == SCHEMA_VERSION:
                return
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            conn.execute(
                "UPDATE monitor_schema SET v = ? WHERE k = 'monitor_schema_version'",
                (version + 1,),
            )
        # Move the migrated pages into the main file now, not at some later checkpoint.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block as one write transaction: committed on success, else rolled back.

    ``BEGIN IMMEDIATE`` takes the write lock up front, so a concurrent writer waits
    for the busy timeout instead of failing half-way through a round.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def is_busy(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) is SQLite saying another has the lock."""
    while error is not None:
        if isinstance(error, sqlite3.OperationalError) and (
            getattr(error, "sqlite_errorcode", None) in (_SQLITE_BUSY, _SQLITE_LOCKED)
            or "locked" in str(error)
        ):
            return True
        error = error.__cause__  # type: ignore[assignment]
    return False


_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6

FileId = tuple[int, int] | None  # (st_dev, st_ino); None: no file


def file_id(path: Path) -> FileId:
    """Return which file ``path`` names now (None if none)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def moved(path: Path, opened: FileId) -> bool:
    """Whether ``path`` no longer names the file opened as ``opened``; says so.

    SQLite goes on writing to a deleted file without a word (every later row lost),
    and to a file replaced under it (a restored copy) through the new file's WAL.
    """
    if file_id(path) == opened:
        return False
    log.warning(
        "%s was deleted or replaced while running; writing to the file now at "
        "that path",
        path,
    )
    return True
