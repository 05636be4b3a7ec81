"""The ``json`` logger: the status page's machine-readable twin, written atomically.

Carries SimpleMonitor's fields (``status``, ``virtual_fail_count``, ``result``…) plus
the same states and figures as the ``html`` page.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from loggers._history import History
from loggers._history_figures import MonitorHistory
from loggers._status import (
    MonitorView,
    StatusView,
    paused_gc,
    status_view,
)
from simplemon.common import LoggerCommon
from simplemon.errors import DeliveryError
from simplemon.logger import ResultLogger
from simplemon.model import Snapshot
from simplemon.options import opt
from simplemon.paths import write_atomic, write_problem
from simplemon.record import record, replace

HISTORY_NAME = ".simplemon-history.db"
# SimpleMonitor's "status": Skipped, OK while no failure is beyond tolerance, else Fail.
_LEGACY_STATUS = {"failed": "Fail", "skipped": "Skipped"}


@record
class JsonOptions:
    """Options of the json logger."""

    filename: Path = opt(
        help="JSON file to write (replaced atomically every round)",
        example="status.json",
    )
    history: Path | None = opt(
        None,
        help="SQLite file for availability and recent checks (default "
        f"`{HISTORY_NAME}` next to `filename`; may be shared with an html logger)",
    )


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def monitor_json(view: MonitorView) -> dict[str, Any]:
    """Return one monitor's JSON object (pure)."""
    legacy = _LEGACY_STATUS.get(view.state, "OK")
    if view.state == "stale":
        legacy = "Fail" if view.virtual_fail_count > 0 else "OK"
    return {
        "status": legacy,
        "virtual_fail_count": view.virtual_fail_count,
        "result": view.message,
        # The first failed check of the outage, tolerated ones included, as the
        # alerts' failure time (SimpleMonitor: when tolerance was exceeded); shown
        # once the outage counts.
        "first_failure_time": _time(view.first_failure)
        if view.virtual_fail_count > 0
        else None,
        # Always a number, as in SimpleMonitor (0 before a check); duration_ms
        # says null when no check's duration is known.
        "last_run_duration": 0 if view.duration_ms is None else view.duration_ms / 1000,
        "dependencies": list(view.depend),
        "state": view.state,
        "state_detail": view.detail,
        "type": view.type_name,
        "description": view.description,
        "group": view.group,
        "since": _time(view.since),
        "failures": view.failures,
        "tolerance": view.tolerance,
        "last_checked": _time(view.checked_at),
        "age_seconds": view.age_seconds,
        "duration_ms": view.duration_ms,
        "availability": view.availability,
        "recent": [{"time": t, "ok": ok, "ms": ms} for t, ok, ms in view.samples],
        "failure_doc": view.failure_doc,
    }


def document(view: StatusView) -> dict[str, Any]:
    """Return the whole JSON document for a round (pure)."""
    stopped = {} if view.stopped_at is None else {"stopped_at": _time(view.stopped_at)}
    return {
        "generated": _time(view.generated_at),
        **stopped,  # the daemon stopped for good: the file is no longer updated
        "hostname": view.hostname,
        "interval": view.interval,
        "stale_after_seconds": view.stale_after_seconds,
        "overall": view.banner_state,
        "summary": view.banner,
        "counts": view.counts,
        "monitors": {m.name: monitor_json(m) for m in view.monitors},
    }


class JsonLogger(ResultLogger[JsonOptions]):
    """Write every monitor's state and availability to a JSON file each round."""

    type_name = "json"
    every_round = False  # the current status: only the latest round matters
    output_kind = "file"
    Options = JsonOptions

    def __init__(
        self, name: str, options: JsonOptions, common: LoggerCommon | None = None
    ) -> None:
        super().__init__(name, options, common)
        default = options.filename.parent / HISTORY_NAME
        self.history = History(options.history or default)
        #: What the last file was made from, for the stopped one.
        self._last: tuple[Snapshot, dict[str, MonitorHistory]] | None = None

    def write(self, snapshot: Snapshot) -> None:
        """Update history and replace the JSON file."""
        figures, problem = self.history.record_or_last(snapshot)
        self._last = snapshot, figures
        self._publish(snapshot, figures)
        if problem is not None:
            raise problem  # after the file: this round's states are shown anyway

    def stopped(self, at: datetime) -> None:
        """Rewrite the last round's file with ``stopped_at`` (none if none written)."""
        if self._last is not None:
            self._publish(*self._last, stopped_at=at)

    def _publish(
        self,
        snapshot: Snapshot,
        figures: dict[str, MonitorHistory],
        stopped_at: datetime | None = None,
    ) -> None:
        with paused_gc():
            # The view is freed before the collector resumes.
            view = status_view(snapshot, figures)
            if stopped_at is not None:
                view = replace(view, stopped_at=stopped_at)
            text = json.dumps(document(view), indent=2, ensure_ascii=False)
            del view
        try:
            self.options.filename.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.options.filename, text + "\n")
        except OSError as e:
            raise DeliveryError(f"cannot write {self.options.filename}: {e}") from e

    def close(self) -> None:
        """Close the history file."""
        self.history.close()

    def problems(self) -> list[str]:
        """Say why the file could not be written (it is replaced via a temp file)."""
        problem = write_problem(self.options.filename, needs_folder=True)
        return [problem] if problem else []

    def output_files(self) -> dict[str, Path]:
        """Return the JSON file replaced every round (not the shared history)."""
        return {"filename": self.options.filename}

    def database_files(self) -> dict[str, Path]:
        """Return the history database (shared with db loggers at will)."""
        default = self.options.filename.parent / HISTORY_NAME
        return {"history": self.options.history or default}

    def describe(self) -> str:
        """Summarise where the file goes."""
        return f"writing monitor status as JSON to {self.options.filename}"
