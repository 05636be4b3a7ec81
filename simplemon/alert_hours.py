"""When an alerter may send: its days, its times and the zone they are read in.

Split from alerting.py: the calendar arithmetic of ``days``, ``times_type``,
``time_lower``/``time_upper`` and ``times_tz`` is one concern, tested on its own,
apart from the rules that decide which events a monitor's change gives.
"""

from __future__ import annotations

from datetime import datetime, time

from simplemon.common import AlerterCommon
from simplemon.timefmt import zone

_EVERY_DAY = frozenset(range(7))


def _in_window(moment: time, lower: time, upper: time) -> bool:
    if lower < upper:
        return lower <= moment < upper
    # A window such as 22:00-06:00 wraps midnight (SimpleMonitor's never matches).
    return moment >= lower or moment < upper


def is_in_hours(options: AlerterCommon, now: datetime) -> bool:
    """Return whether ``now`` lies inside the alerter's allowed days and times.

    Days and times are read in ``times_tz`` (the machine's zone when unset); the day
    is the day of ``now`` itself, also inside a window that wraps midnight.
    """
    if options.times_type == "always" and _EVERY_DAY.issubset(options.days):
        return True  # the usual case: no need to read the local time
    local = now.astimezone(zone(options.times_tz) if options.times_tz else None)
    if local.weekday() not in options.days:
        return False
    if options.times_type == "always":
        return True
    assert options.time_lower is not None  # noqa: S101 (checked by AlerterCommon)
    assert options.time_upper is not None  # noqa: S101
    inside = _in_window(local.time(), options.time_lower, options.time_upper)
    return inside if options.times_type == "only" else not inside
