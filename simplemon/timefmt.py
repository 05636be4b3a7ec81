"""Times: the wall clock's now, and times rendered for humans and files alike."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import tzinfo

    from simplemon.parsers import ParseContext


def utc_now() -> datetime:
    """Return the current wall-clock time, timezone-aware in UTC.

    The default clock of the scheduler and of delivery; tests pass their own.
    """
    return datetime.now(UTC)


#: SimpleMonitor's (arrow's) name for the machine's own time zone.
LOCAL = "local"


def timezone(text: str, ctx: ParseContext) -> str:
    """Accept an IANA time zone name such as UTC or Europe/London, or ``local``."""
    # zoneinfo is imported on first use: a config that names no time zone never
    # pays for it (``-t`` start-up time).
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # noqa: PLC0415

    name = text.strip()
    if name.lower() == LOCAL:
        return LOCAL
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            "expected a time zone name, e.g. UTC or Europe/London"
        ) from None
    return name


def zone(tz: str) -> tzinfo | None:
    """Return the zone named ``tz``; None for ``local`` (``astimezone(None)``)."""
    if tz == LOCAL:
        return None
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    return ZoneInfo(tz)


def format_time(
    moment: datetime | None, dateformat: str = "iso8601", tz: str = "UTC"
) -> str:
    """Format ``moment`` as a Unix timestamp or ISO 8601 in ``tz``; '-' for None."""
    if moment is None:
        return "-"
    if dateformat == "timestamp":
        return str(int(moment.timestamp()))
    return moment.astimezone(zone(tz)).isoformat(timespec="seconds")


def format_duration(seconds: float) -> str:
    """Format a downtime as SimpleMonitor does: ``1+02:03:04`` (days+h:m:s)."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    mins, secs = divmod(rest, 60)
    return f"{days}+{hours:02d}:{mins:02d}:{secs:02d}"
