"""Pure text building shared by the alerter plugins: subjects, bodies, one-liners.

No I/O here. Everything that may reach a header, a log line or a command is made
from an AlertEvent here, so the neutralising of hostile text lives in one place.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

from simplemon.model import AlertEvent, EventKind
from simplemon.record import record
from simplemon.timefmt import format_duration, format_time

# C0/C1 controls plus the Unicode line and paragraph separators: anything a terminal,
# a mail header or a syslog parser could take as the end of a line.
_CONTROL_RUN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")

#: Longest one-line message (characters); syslog relays commonly drop beyond ~1 KiB.
ONE_LINE_LIMIT = 1000

_VERBS = {
    EventKind.FAILURE: "failed",
    EventKind.RECOVERY: "succeeded",
    EventKind.REMINDER: "still failing",
    EventKind.CATCHUP: "failed earlier",
}


def one_line(text: str) -> str:
    """Return ``text`` with each run of control characters (CR, LF, NUL…) as a space."""
    return _CONTROL_RUN.sub(" ", text).strip()


def verb(kind: EventKind) -> str:
    """Return the verb the subject uses for ``kind`` (``failed``, ``succeeded``…)."""
    return _VERBS[kind]


def subject(event: AlertEvent) -> str:
    """Return the short notification line, e.g. ``Monitor web on host1 failed``.

    Always a single line: safe to use as a mail Subject.
    """
    text = f"Monitor {event.monitor} on {event.hostname} {verb(event.kind)}"
    return one_line(text)


@record
class Downtime:
    """A downtime split the way SimpleMonitor's command placeholders expect."""

    days: int
    hours: int
    minutes: int
    seconds: int

    @classmethod
    def from_seconds(cls, total: float) -> Downtime:
        """Split ``total`` seconds (negative counts as zero) into d/h/m/s."""
        days, rest = divmod(max(0, int(total)), 86400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        return cls(days, hours, minutes, seconds)


def shown_downtime(event: AlertEvent) -> int:
    """Return the downtime in whole seconds, as the times shown beside it imply.

    Times are shown to the second (cut, not rounded), so the downtime is the
    difference of the two shown times: failed at 12:00:00.9 and recovered at
    12:03:00.1 is 3 minutes, as a reader subtracting them finds, not 2:59.
    """
    if event.failed_at is None:
        return max(0, int(event.downtime_seconds))
    start = event.failed_at.timestamp()
    return max(0, math.floor(start + event.downtime_seconds) - math.floor(start))


def body(event: AlertEvent, tz: str = "UTC") -> str:
    """Return the full plain-text message for ``event`` (ends with a newline).

    Server-provided text (``info``) is kept as sent, with its continuation lines
    indented so it cannot pose as one of the labelled lines.
    """
    lines = [
        f"Monitor {one_line(event.monitor)} on {event.hostname} {verb(event.kind)}."
    ]
    lines.append("")
    failed_at = format_time(event.failed_at, tz=tz)
    downtime = format_duration(shown_downtime(event))
    if event.kind is EventKind.RECOVERY:
        lines.append(_field("Recovered at", format_time(recovered_at(event), tz=tz)))
        lines.append(_field("Failing since", failed_at))
        lines.append(_field("Was down for", downtime))
        lines.append(_field("Fail count", str(event.last_virtual_fail_count)))
    else:
        lines.append(_field("Failing since", failed_at))
        lines.append(_field("Down for", downtime))
        lines.append(_field("Fail count", str(event.virtual_fail_count)))
    lines.append(_field("Result", event.info))
    lines.append(_field("Description", event.description))
    if event.failure_doc and event.kind is not EventKind.RECOVERY:
        lines.append(_field("Documentation", event.failure_doc))
    if event.kind is EventKind.CATCHUP:
        lines += ["", "This failure happened outside the alerter's hours and was held."]
    if event.kind is EventKind.REMINDER:
        lines += ["", "This is a reminder: the monitor has not recovered yet."]
    return "\n".join(lines) + "\n"


def recovered_at(event: AlertEvent) -> datetime:
    """Return when a recovery happened: a recovery held out of hours is sent later.

    Its downtime runs from ``failed_at`` to the recovery itself, not to the sending.
    """
    if event.failed_at is None:
        return event.created_at
    return event.failed_at + timedelta(seconds=event.downtime_seconds)


def _field(label: str, value: str) -> str:
    # Continuation lines are indented past the label column.
    pad = " " * 16
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    shown = ("\n" + pad).join(line.rstrip() for line in lines)
    # An empty value leaves no trailing blanks after the label.
    return f"{label + ':':<{len(pad)}}{shown}".rstrip()


def single_line(event: AlertEvent, tz: str = "UTC") -> str:
    """Return the event as one line (syslog): kind, subject, times, count and result.

    Control characters are neutralised and the line is cut at ONE_LINE_LIMIT.
    """
    downtime = format_duration(shown_downtime(event))
    since = format_time(event.failed_at, tz=tz)
    if event.kind is EventKind.RECOVERY:
        detail = f"was down {downtime} since {since}"
    else:
        detail = (
            f"since {since}, down {downtime}, fail count {event.virtual_fail_count}"
        )
    text = one_line(f"{event.kind.value}: {subject(event)} ({detail}): {event.info}")
    if len(text) > ONE_LINE_LIMIT:
        text = text[: ONE_LINE_LIMIT - 3] + "..."
    return text


#: Placeholder names the execute alerter accepts (SimpleMonitor's set).
PLACEHOLDERS = (
    "hostname",
    "name",
    "days",
    "hours",
    "minutes",
    "seconds",
    "failed_at",
    "virtual_fail_count",
    "last_virtual_fail_count",
    "info",
    "description",
    "failure_doc",
)


def substitutions(event: AlertEvent, tz: str = "UTC") -> dict[str, str]:
    """Return the value of every placeholder in PLACEHOLDERS for ``event``.

    NUL characters, which no argv item or environment value can hold, are dropped.
    """
    down = Downtime.from_seconds(shown_downtime(event))
    values = {
        "hostname": event.hostname,
        "name": event.monitor,
        "days": str(down.days),
        "hours": str(down.hours),
        "minutes": str(down.minutes),
        "seconds": str(down.seconds),
        "failed_at": format_time(event.failed_at, tz=tz),
        "virtual_fail_count": str(event.virtual_fail_count),
        "last_virtual_fail_count": str(event.last_virtual_fail_count),
        "info": event.info,
        "description": event.description,
        "failure_doc": event.failure_doc or "",
    }
    return {key: value.replace("\x00", "") for key, value in values.items()}


def environment_name(placeholder: str) -> str:
    """Return the environment variable carrying ``placeholder``, e.g. SIMPLEMON_INFO."""
    return "SIMPLEMON_" + placeholder.upper()
