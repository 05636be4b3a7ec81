"""The ``logfile`` logger: one line per checked monitor per round, in a plain text file.

Lines say what actually happened: a failure still within tolerance is logged as
"failing", a skipped check as "skipped", never as "ok".
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from loggers._checked import logged
from simplemon.common import LoggerCommon
from simplemon.errors import DeliveryError
from simplemon.logger import ResultLogger
from simplemon.model import MonitorSnapshot, Snapshot, Status
from simplemon.options import opt
from simplemon.paths import open_guarded, write_problem
from simplemon.record import record
from simplemon.timefmt import format_time


@record
class LogfileOptions:
    """Options of the logfile logger."""

    filename: Path = opt(
        help="file to append to (relative to monitor.ini's folder; missing folders "
        "are created)",
        example="simplemon.log",
    )
    only_failures: bool = opt(
        False, help="log only monitors that are failing or failed"
    )
    buffered: bool = opt(
        True, help="flush once per round (yes) or after every line (no)"
    )


class LogfileLogger(ResultLogger[LogfileOptions]):
    """Append one line per checked monitor to a text file; reopened on SIGHUP."""

    type_name = "logfile"
    Options = LogfileOptions

    def __init__(
        self, name: str, options: LogfileOptions, common: LoggerCommon | None = None
    ) -> None:
        super().__init__(name, options, common)
        self._handle: TextIO | None = None
        self.dateformat = self.common.dateformat
        self.tz = self.common.tz

    def _open(self) -> TextIO:
        if self._handle is not None and _replaced(self.options.filename, self._handle):
            self.close()  # rotated or deleted without a SIGHUP: follow the path
        if self._handle is None:
            try:
                # Created like every other logger's folder (SimpleMonitor's is not).
                self.options.filename.parent.mkdir(parents=True, exist_ok=True)
                # Not through a symlink another user planted (log file in /tmp).
                fd = open_guarded(self.options.filename, os.O_WRONLY | os.O_APPEND)
                self._handle = os.fdopen(fd, "a", encoding="utf-8")
            except OSError as e:
                raise DeliveryError(f"cannot open {self.options.filename}: {e}") from e
            if self.options.filename not in _STARTED:  # not at reopens or reloads
                _STARTED.add(self.options.filename)
                stamp = format_time(datetime.now(UTC), self.dateformat, self.tz)
                self._handle.write(f"{stamp} simplemon starting\n")
        return self._handle

    def write(self, snapshot: Snapshot) -> None:
        """Append a line for every monitor checked (or skipped) in this round.

        Disabled monitors (``enabled = no``, ``runon`` another host) were not
        checked and get no line. With the common ``heartbeat`` option (as in
        SimpleMonitor), only monitors whose check ran get one: no skipped ones.
        """
        handle = self._open()
        stamp = format_time(snapshot.taken_at, self.dateformat, self.tz)
        try:
            for monitor in snapshot.monitors:
                if not logged(monitor, self.common):
                    continue
                if self.options.only_failures and monitor.state.status not in (
                    Status.FAILING,
                    Status.FAILED,
                ):
                    continue
                handle.write(f"{stamp} {self.line(monitor)}\n")
                if not self.options.buffered:
                    handle.flush()
            handle.flush()
        except OSError as e:
            raise DeliveryError(f"cannot write {self.options.filename}: {e}") from e

    def line(self, monitor: MonitorSnapshot) -> str:
        """Return the text logged for one monitor (without the timestamp)."""
        state = monitor.state
        took = (
            f"({state.last_duration:0.3f}s)" if state.last_duration is not None else ""
        )
        if state.status is Status.OK:
            return f"{monitor.name}: ok {took}"
        if state.status is Status.FAILING:
            return (
                f"{monitor.name}: failing, {state.failures} of {monitor.tolerance} "
                f"tolerated ({state.last_message}) {took}"
            )
        if state.status is Status.FAILED:
            since = format_time(state.first_failure_at, self.dateformat, self.tz)
            return (
                f"{monitor.name}: failed since {since}; VFC={state.virtual_fail_count} "
                f"({state.last_message}) {took}"
            )
        return f"{monitor.name}: {state.status.value} ({state.last_message})"

    def output_files(self) -> dict[str, Path]:
        """Return the file appended to."""
        return {"filename": self.options.filename}

    def reopen(self) -> None:
        """Close the file so the next write reopens it (after logrotate moved it)."""
        self.close()

    def close(self) -> None:
        """Flush and close the file; lines that cannot be flushed are reported."""
        if self._handle is not None:
            try:
                self._handle.close()
            except OSError as e:  # the last lines did not fit (disk full)
                raise DeliveryError(f"cannot write {self.options.filename}: {e}") from e
            finally:
                self._handle = None

    def problems(self) -> list[str]:
        """Say why the file could not be appended to (asks, creates nothing)."""
        problem = write_problem(self.options.filename, needs_folder=False)
        return [problem] if problem else []

    def describe(self) -> str:
        """Summarise where lines go."""
        return f"writing a log file to {self.options.filename}"


#: Files this process has written its "simplemon starting" line to.
_STARTED: set[Path] = set()


def _replaced(path: Path, handle: TextIO) -> bool:
    """Whether ``path`` no longer names the open file (moved away, deleted).

    Lines written to a file that logrotate moved away, or that was deleted with
    its folder, would be lost without a word; one stat a round finds out.
    """
    try:
        now = os.stat(path)
    except OSError:
        return True
    was = os.fstat(handle.fileno())
    return (now.st_dev, now.st_ino) != (was.st_dev, was.st_ino)
