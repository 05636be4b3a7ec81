"""The ResultLogger contract: record each round's snapshot somewhere."""

from __future__ import annotations

import abc
from datetime import datetime
from pathlib import Path
from typing import ClassVar, Generic, TypeVar

from simplemon.common import LoggerCommon
from simplemon.model import Snapshot

OptionsT = TypeVar("OptionsT")


class ResultLogger(abc.ABC, Generic[OptionsT]):
    """Base class for result-logger plugins ("logger" in the INI files).

    ``write`` receives one immutable snapshot of every monitor per round::

        class CsvLogger(ResultLogger[CsvOptions]):
            '''Append results to a CSV file.'''
            type_name = "csv"
            Options = CsvOptions

            def write(self, snapshot: Snapshot) -> None:
                ...

    Failures raise DeliveryError; the core logs them and carries on.
    """

    type_name: ClassVar[str]
    Options: ClassVar[type]
    #: Whether every round must be written (a history: logfile, db). False for a
    #: logger showing the current status (html, json, dbstatus): when it falls
    #: behind (a hung write), only the latest round waits for it.
    every_round: ClassVar[bool] = True
    #: How ``output_files`` are written each round: "lines" appended to them, or
    #: the whole "file" (or "page") replaced.
    output_kind: ClassVar[str] = "lines"

    def __init__(
        self, name: str, options: OptionsT, common: LoggerCommon | None = None
    ) -> None:
        self.name = name
        self.options = options
        self.common = common or LoggerCommon(type=self.type_name)

    @abc.abstractmethod
    def write(self, snapshot: Snapshot) -> None:
        """Record one round; may do I/O."""

    def reopen(self) -> None:
        """Reopen files after log rotation (called on SIGHUP)."""

    def stopped(self, at: datetime) -> None:
        """Note that the daemon stopped for good at ``at`` (e.g. mark a page stopped).

        Called once, after the last round's write and before ``close``, only when
        the daemon stops (a signal, or ``--loops`` reached). Not at a reload (the
        loggers are closed and rebuilt then), not after ``-1`` (cron runs it again:
        its output shows that run's results) and not after ``-t``. Failures raise
        DeliveryError, as for ``write``.
        """

    def close(self) -> None:
        """Flush and release resources at shutdown."""

    def closing_time(self) -> float:
        """Return the seconds ``close`` may need (a stop waits this much longer)."""
        return 0.0

    def problems(self) -> list[str]:
        """Say what would keep ``write`` from working, without writing anything.

        Called when the configuration is loaded (and by ``-t``); each problem is
        reported as a warning naming the logger's section.
        """
        return []

    def output_files(self) -> dict[str, Path]:
        """Return the files this logger's results go to, by the option naming each.

        Another logger writing one of them would spoil both outputs, so loading
        warns about it. A database meant to be shared (db and dbstatus in one
        SQLite file, a page's history) is not listed. Opens nothing.
        """
        return {}

    def database_files(self) -> dict[str, Path]:
        """Return the SQLite files this logger keeps, by the option naming each.

        Loggers may share a database (db and dbstatus, a page's history), but a
        file that another logger writes lines or pages to, or simplemon's own
        state file, would be damaged: loading says so. Opens nothing.
        """
        return {}

    def describe(self) -> str:
        """Return a one-line human summary of where results go."""
        return f"{self.type_name} logger"
