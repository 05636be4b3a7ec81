"""Options every monitor, alerter or logger section accepts, declared once.

Plugin-specific options live in each plugin's own Options record; the loader splits
a section's keys between the two.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path
from typing import Literal

from simplemon.options import opt
from simplemon.parsers import ParseContext, command, minutes, parse_list
from simplemon.record import record
from simplemon.timefmt import timezone

#: Options SimpleMonitor defines that have no effect here; accepted with a warning.
IGNORED_MONITOR_KEYS = frozenset({"gps", "slug", "remote_alert"})
IGNORED_MAIN_KEYS = frozenset(
    {"remote", "remote_port", "key", "bind_host", "ipv4_only"}
)
IGNORED_ALERTER_KEYS = frozenset({"name", "debug_times"})
#: Per logger type: SimpleMonitor's map and resource-copying html options.
IGNORED_LOGGER_KEYS = {
    "html": frozenset({"copy_resources", "map", "map_start", "map_token"})
}


def ignored_keys(kind: str, type_name: str) -> frozenset[str]:
    """Return the SimpleMonitor options a plugin section accepts with a warning."""
    if kind == "monitor":
        return IGNORED_MONITOR_KEYS
    if kind == "alerter":
        return IGNORED_ALERTER_KEYS
    return IGNORED_LOGGER_KEYS.get(type_name, frozenset())


@record
class MainOptions:
    """The ``[monitor]`` section of monitor.ini."""

    interval: timedelta = opt(
        help="seconds between the starts of two rounds (the period, not a pause)",
        min=timedelta(seconds=1),
        example="60",
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


@record
class ReportingOptions:
    """The ``[reporting]`` section of monitor.ini."""

    loggers: tuple[str, ...] = opt((), help="names of the logger sections to use")
    alerters: tuple[str, ...] = opt((), help="names of the alerter sections to use")


def group_list(text: str, ctx: ParseContext) -> str:
    """Parse a monitor's group: one name or a comma list (SimpleMonitor allows both).

    Spaces inside a name are removed, as SimpleMonitor did (``web servers`` is
    group ``webservers``, the name its alerters had to use), so such a config
    keeps alerting; an alerter that says ``groups = web servers`` is warned about
    at load as matching no monitor, with the groups in use.
    """
    names = tuple("".join(name.split()) for name in parse_list(text))
    if not names:
        raise ValueError("expected a group name or a comma list, e.g. web, db")
    return ",".join(names)


def is_in_groups(group: str, groups: tuple[str, ...]) -> bool:
    """Return whether a monitor's ``group`` (``a`` or ``a,b``) is one of ``groups``.

    ``_all`` in ``groups`` matches every monitor.
    """
    return "_all" in groups or not set(groups).isdisjoint(group.split(","))


@record
class MonitorCommon:
    """Options every monitor accepts, whatever its type."""

    type: str = opt(help="the kind of check: http, ping, host, tcp, dns, null, fail")
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
        "default",
        parser=group_list,
        multiline=True,  # a comma list, as depend
        help="group name (or comma list of names), matched by alerters' and "
        "loggers' groups; spaces inside a name are removed, as in SimpleMonitor",
    )
    failure_doc: str | None = opt(
        None, multiline=True, help="link or text explaining what to do on failure"
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
        multiline=True,  # a long command may be wrapped (split as a shell would)
        help="command run (no shell, with a timeout) when the monitor fails",
    )
    recovered_command: str | None = opt(
        None,
        parser=command,
        multiline=True,
        help="command run (no shell, with a timeout) when the monitor recovers",
    )


@record
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
        "UTC",
        parser=timezone,
        help="time zone for times written by this logger (`local`: the machine's)",
    )
    dateformat: Literal["timestamp", "iso8601"] = opt(
        "timestamp", help="how times are written: Unix timestamp or ISO 8601"
    )
    heartbeat: bool = opt(
        False,
        help="logfile, db: record only monitors whose check ran this round, not "
        "skipped ones (SimpleMonitor's meaning)",
    )


def clock_time(text: str, ctx: ParseContext) -> time:
    """Parse a time of day written ``HH:MM`` (24-hour clock).

    ``HH:MM:SS`` is accepted and its seconds dropped, as SimpleMonitor does.
    """
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::([0-5]\d))?\s*", text)
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError("expected a time of day as HH:MM, e.g. 22:00")
    return time(int(match.group(1)), int(match.group(2)))


@record
class AlerterCommon:
    """Options every alerter accepts (routing is decided in the core from these)."""

    type: str = opt(help="the kind of alerter: email, syslog, execute")
    enabled: bool = opt(True, help="whether the alerter is used at all")
    groups: tuple[str, ...] = opt(
        ("default",), help="monitor groups to alert for; `_all` alerts for every group"
    )
    limit: int = opt(
        1,
        min=1,
        help="alert when a monitor's virtual fail count reaches this (escalation)",
    )
    repeat: bool = opt(
        False, help="alert again at every multiple of `limit` while still failing"
    )
    urgent: bool = opt(
        False, help="an urgent alerter ignores monitors configured with urgent=0"
    )
    times_type: Literal["always", "only", "not"] = opt(
        "always",
        help="`only`: alert only between time_lower and time_upper; `not`: never "
        "between them; `always`: any time (`days` still applies)",
    )
    time_lower: time | None = opt(
        None, parser=clock_time, help="start of the window, HH:MM (times_tz)"
    )
    time_upper: time | None = opt(
        None,
        parser=clock_time,
        help="end of the window, HH:MM; earlier than time_lower wraps midnight",
    )
    days: tuple[int, ...] = opt(
        (0, 1, 2, 3, 4, 5, 6),
        min=0,
        max=6,
        help="days on which to alert, 0 = Monday … 6 = Sunday",
    )
    times_tz: str | None = opt(
        None,
        parser=timezone,
        help="time zone of time_lower/time_upper/days (default, or `local`: the "
        "machine's)",
    )
    tz: str = opt(
        "UTC",
        parser=timezone,
        help="time zone for times in messages (`local`: the machine's)",
    )
    delay: bool = opt(
        False,
        help="hold a failure that happens out of hours and send a catch-up when the "
        "window opens, if the monitor is still failing",
    )
    ooh_recovery: bool = opt(
        False,
        aliases=("ooh_success",),  # the name in SimpleMonitor's documentation
        help="send recoveries out of hours at once (otherwise they wait for hours)",
    )
    only_failures: bool = opt(False, help="never send recoveries")
    dry_run: bool = opt(
        False, help="decide and log alerts as usual but deliver nothing"
    )
    allow_reminders: bool = opt(
        False, help="send reminders at the monitor's `remind` interval while failed"
    )
    depend: tuple[str, ...] = opt(
        (),
        help="monitors this alerter needs; while one is failing, messages wait in "
        "the outbox and go out when it recovers",
    )
    retry_for: timedelta = opt(
        timedelta(days=1),
        min=timedelta(seconds=1),
        help="keep retrying a transiently failing delivery this long, then give up",
    )

    def __post_init__(self) -> None:
        if not self.days:
            raise ValueError("days: expected at least one day, e.g. 0, 1, 2, 3, 4")
        if self.times_type != "always":
            if self.time_lower is None or self.time_upper is None:
                raise ValueError(
                    f"times_type = {self.times_type} needs time_lower and time_upper"
                )
            if self.time_lower == self.time_upper:
                raise ValueError("time_lower and time_upper must differ")
