"""Which monitors the event loggers (logfile, db) record in a round."""

from __future__ import annotations

from simplemon.common import LoggerCommon
from simplemon.model import MonitorSnapshot, Status


def logged(monitor: MonitorSnapshot, common: LoggerCommon) -> bool:
    """Return whether a line or row is written for ``monitor`` this round (pure).

    Monitors checked or skipped this round are; disabled ones (``enabled = no``,
    ``runon`` another host) were not checked and are not. With ``heartbeat``
    (SimpleMonitor's meaning: only monitors executed this loop) skipped ones are
    not either.
    """
    if not monitor.ran or monitor.state.status is Status.DISABLED:
        return False
    return not (common.heartbeat and monitor.state.status is Status.SKIPPED)
