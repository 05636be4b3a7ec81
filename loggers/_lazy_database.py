"""A logger's database connection: opened on first write, holding work while locked.

The ``db`` and ``dbstatus`` loggers write through it. Opening, migrating, locking
and transactions are ``_sqlite``'s; this adds when the file is opened (not by
``-t``), reopening it when it was moved, and what happens to a round's rows while
another program holds the file's write lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

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
from simplemon.lazy_logging import get_logger
from simplemon.paths import write_problem

# Named as before the split from _sqlite: the name is in every console line, and
# a refactor should not change what an operator filters on.
log = get_logger("loggers._sqlite")

#: Rounds of work a LazyDatabase holds while the file is locked, at most (the oldest
#: are dropped beyond it): a day of 1-minute rounds.
MAX_HELD_WRITES = 1440


class LazyDatabase:
    """One logger's connection, opened on first write so ``-t`` creates no file.

    ``write(fn)`` runs ``fn(conn)`` in one transaction and turns every SQLite
    error, including failing to open the file, into a DeliveryError. While another
    program holds the file's write lock, the work is held (at most
    ``MAX_HELD_WRITES`` rounds) and done, in order, by the first write that gets it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._opened: FileId = None
        self._held: list[Callable[[sqlite3.Connection], object]] = []
        self._dropped = 0

    def problems(self) -> list[str]:
        """Say why the file could not be opened for writing (asks, creates nothing)."""
        problem = write_problem(self.path, needs_folder=True)
        return [problem] if problem else []  # needs_folder: SQLite's journal

    def write(self, fn: Callable[[sqlite3.Connection], object]) -> None:
        """Run ``fn`` (after any held work) in a transaction on the database."""
        self._held.append(fn)
        if len(self._held) > MAX_HELD_WRITES:
            del self._held[0]
            self._dropped += 1
        try:
            with file_lock(self.path), transaction(self._connection()) as conn:
                for work in self._held:
                    work(conn)
        except (sqlite3.Error, DeliveryError) as e:
            if not is_busy(e):
                self._held.clear()
                if isinstance(e, DeliveryError):
                    raise
                raise DeliveryError(f"cannot write {self.path}: {e}") from e
            # Same text every round: the core logs it once, then "writing again".
            raise DeliveryError(
                f"cannot write {self.path}: another program holds its write lock "
                "(a sqlite3 shell inside BEGIN?); rows are held and written once "
                "it lets go"
            ) from e
        if self._dropped:
            log.warning(
                "%s: %d rounds' rows were dropped while it was locked (more than %d "
                "rounds were held)",
                self.path,
                self._dropped,
                MAX_HELD_WRITES,
            )
            self._dropped = 0
        self._held.clear()

    def _connection(self) -> sqlite3.Connection:
        """Return the connection, (re)opening the file at the path if need be."""
        if self._conn is not None and moved(self.path, self._opened):
            self._conn.close()
            self._conn = None
        if self._conn is None:
            self._conn = connect(self.path)
            self._opened = file_id(self.path)
        return self._conn

    def close(self) -> None:
        """Close the connection; the next write reopens it.

        Work still held (the file was locked until now) gets one last try.
        """
        if self._held:
            try:
                with file_lock(self.path), transaction(self._connection()) as conn:
                    for work in self._held:
                        work(conn)
            except (sqlite3.Error, DeliveryError) as e:
                log.warning(
                    "%s: %d rounds' rows not written at close: %s",
                    self.path,
                    len(self._held),
                    e,
                )
            self._held.clear()
        if self._conn is not None:
            close_connection(self._conn, self.path)
            self._conn = None
