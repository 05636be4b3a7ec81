"""Options every monitor, alerter or logger section accepts, declared once.

Plugin-specific options live in each plugin's own Options dataclass; the loader splits
a section's keys between the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal

from simplemon.options import command, minutes, opt
from simplemon.timefmt import timezone

#: Options SimpleMonitor defines that have no effect here; accepted with a warning.
IGNORED_MONITOR_KEYS = frozenset({"gps", "slug", "remote_alert"})
IGNORED_MAIN_KEYS = frozenset({"remote", "remote_port", "key", "bind_host"})


@dataclass(frozen=True)
class MainOptions:
    """The ``[monitor]`` section of monitor.ini."""

    interval: timedelta = opt(
        help="seconds between the starts of two rounds (the period, not a pause)",
        min=timedelta(seconds=1),
    )
    monitors: Path = opt(
        Path("monitors.ini"), help="file defining the monitors, relative to monitor.ini"
    )
    monitors_dir: Path | None = opt(
        None, help="folder whose *.ini files (sorted) add to or override monitors"
    )
    pidfile: Path | None = opt(None, help="write the process id here while running")
    hup_file: Path | None = opt(
        None, help="reload the configuration when this file's modification time changes"
    )
    state_file: Path = opt(
        Path("simplemon-state.db"),
        help="SQLite file keeping monitor state and the alert outbox across restarts",
    )


@dataclass(frozen=True)
class ReportingOptions:
    """The ``[reporting]`` section of monitor.ini."""

    loggers: tuple[str, ...] = opt((), help="names of the logger sections to use")
    alerters: tuple[str, ...] = opt((), help="names of the alerter sections to use")


@dataclass(frozen=True)
class MonitorCommon:
    """Options every monitor accepts, whatever its type."""

    type: str = opt(help="the kind of check: http, ping, tcp, dns, null, fail")
    depend: tuple[str, ...] = opt(
        (), help="monitors that must be OK for this one to run (comma list)"
    )
    tolerance: int = opt(
        0, min=0, help="failures in a row to ignore before the monitor counts as failed"
    )
    urgent: bool = opt(True, help="whether failures matter to urgent alerters")
    notify: bool = opt(True, help="whether alerters are told about this monitor at all")
    gap: timedelta = opt(
        timedelta(0),
        min=timedelta(0),
        help="least seconds between checks while OK (failing monitors run every round)",
    )
    group: str = opt(
        "default", help="group name, matched by alerters' and loggers' groups"
    )
    failure_doc: str | None = opt(
        None, help="link or text explaining what to do on failure"
    )
    enabled: bool = opt(True, help="whether the monitor runs at all")
    runon: str | None = opt(
        None, help="run only on the host with this hostname (others show it disabled)"
    )
    remind: timedelta | None = opt(
        None, parser=minutes, help="minutes between reminders while failed"
    )
    recover_command: str | None = opt(
        None,
        parser=command,
        help="command run (no shell, with a timeout) when the monitor fails",
    )
    recovered_command: str | None = opt(
        None,
        parser=command,
        help="command run (no shell, with a timeout) when the monitor recovers",
    )


@dataclass(frozen=True)
class LoggerCommon:
    """Options every logger accepts."""

    type: str = opt(help="the kind of logger: logfile, db, dbstatus, html, json")
    enabled: bool = opt(True, help="whether the logger runs at all")
    groups: tuple[str, ...] = opt(
        ("default",), help="monitor groups to log; `_all` logs every group"
    )
    depend: tuple[str, ...] = opt(
        (), help="monitors that must be OK for this logger to write"
    )
    tz: str = opt(
        "UTC", parser=timezone, help="time zone for times written by this logger"
    )
    dateformat: Literal["timestamp", "iso8601"] = opt(
        "timestamp", help="how times are written: Unix timestamp or ISO 8601"
    )
    heartbeat: bool = opt(
        False, help="write every round, even for monitors not checked in it"
    )


@dataclass(frozen=True)
class AlerterCommon:
    """Options every alerter accepts (routing is decided in the core from these)."""

    type: str = opt(help="the kind of alerter: email, syslog, execute")
    enabled: bool = opt(True, help="whether the alerter is used at all")
    groups: tuple[str, ...] = opt(
        ("default",), help="monitor groups to alert for; `_all` alerts for every group"
    )
