"""The status view shared by the ``html`` and ``json`` loggers, and atomic file writes.

Turns a snapshot plus history into display states and figures, so the page and its
JSON twin always agree. No templates and no SQL here.
"""

from __future__ import annotations

import gc
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import NamedTuple

from loggers._history_figures import MonitorHistory, Sample
from loggers._redact import redact
from simplemon.model import MonitorSnapshot, Snapshot, Status
from simplemon.record import field, record, replace
from simplemon.timefmt import zone

#: Display states, most urgent first: (key, label, symbol). Symbols and labels make
#: the state readable without colour.
STATES: tuple[tuple[str, str, str], ...] = (
    ("failed", "FAILED", "✗"),
    ("stale", "STALE", "◷"),
    ("failing", "FAILING", "!"),
    ("skipped", "SKIPPED", "↷"),
    ("unknown", "WAITING", "…"),
    ("ok", "OK", "✓"),
    ("disabled", "DISABLED", "\u2013"),
)
_ORDER = {key: i for i, (key, _, _) in enumerate(STATES)}
_LABEL = {key: (label, symbol) for key, label, symbol in STATES}
_CHECKED = (Status.OK, Status.FAILING, Status.FAILED)
NO_DATA = "\u2013"  # an en dash
_UNCHECKED = ("skipped", "unknown", "disabled")


class MonitorView(NamedTuple):
    """One monitor as the page and JSON show it (immutable).

    A named tuple rather than a record: 10,000 of them are built per round, and
    a named tuple is the cheapest to build.
    """

    name: str
    type_name: str
    description: str
    state: str  # a key of STATES
    label: str
    symbol: str
    detail: str  # e.g. "2 of 3 tolerated" or "last result: FAILED"
    since: datetime | None
    virtual_fail_count: int
    failures: int
    tolerance: int
    message: str
    checked_at: datetime | None
    age_seconds: float | None
    duration_ms: float | None
    availability: dict[str, float | None]
    samples: list[Sample]
    failure_doc: str | None
    failure_link: str | None  # failure_doc when it is an http(s) URL
    group: str
    depend: tuple[str, ...]
    first_failure: datetime | None = None  # first failed check of the streak


@record
class StatusView:
    """The whole page: banner, counts and monitors (most urgent first)."""

    generated_at: datetime
    hostname: str
    interval: float
    refresh_seconds: int
    stale_after_seconds: int
    banner_state: str  # ok, failing, failed, stale, unknown; stopped (see below)
    banner: str
    counts: dict[str, int]
    monitors: list[MonitorView] = field(default_factory=list)
    #: When the daemon stopped for good (the last round's view, no longer updated).
    stopped_at: datetime | None = None


def display_state(snapshot: Snapshot, monitor: MonitorSnapshot) -> tuple[str, str]:
    """Return (state key, detail text) for one monitor at the snapshot's time."""
    state = monitor.state
    # A check made in this round is current however long the round took (a hung
    # server's timeout longer than the interval holds the whole round).
    if (
        not monitor.ran
        and state.status in _CHECKED
        and state.last_checked_at is not None
    ):
        age = (snapshot.taken_at - state.last_checked_at).total_seconds()
        if age > 2 * max(snapshot.interval, monitor.gap):
            return "stale", f"last result: {state.status.value.upper()}"
    if state.status is Status.FAILING:
        return "failing", f"{state.failures} of {monitor.tolerance} tolerated"
    return state.status.value, ""


def monitor_view(
    snapshot: Snapshot, monitor: MonitorSnapshot, history: MonitorHistory
) -> MonitorView:
    """Build one monitor's view (pure)."""
    state = monitor.state
    key, detail = display_state(snapshot, monitor)
    label, symbol = _LABEL[key]
    checked = state.last_checked_at
    doc = monitor.failure_doc
    return MonitorView(
        name=monitor.name,
        type_name=monitor.type_name,
        description=redact(monitor.description),
        state=key,
        label=label,
        symbol=symbol,
        detail=detail,
        since=state.failed_at if key == "failed" else state.last_change_at,
        first_failure=state.first_failure_at,
        virtual_fail_count=state.virtual_fail_count,
        failures=state.failures,
        tolerance=monitor.tolerance,
        message=redact(state.last_message),
        checked_at=checked,
        age_seconds=None
        if checked is None
        else (snapshot.taken_at - checked).total_seconds(),
        duration_ms=None
        if state.last_duration is None
        else round(state.last_duration * 1000, 1),
        availability=history.availability,
        samples=history.samples,
        failure_doc=doc,
        failure_link=doc
        if doc and doc.lower().startswith(("http://", "https://"))
        else None,
        group=monitor.group,
        depend=monitor.depend,
    )


def _banner(counts: dict[str, int], total: int) -> tuple[str, str]:
    if not total:
        # Not a green "All 0 monitors OK": usually a typo in the logger's groups.
        return "unknown", "No monitors on this page (check the logger's groups)"
    if counts["failed"]:
        n = counts["failed"]
        return "failed", f"{n} of {total} monitor{'s' * (total != 1)} FAILED"
    if counts["stale"]:
        return "stale", f"{counts['stale']} monitor(s) not checked recently (STALE)"
    if counts["failing"]:
        return "failing", f"All OK; {counts['failing']} failing within tolerance"
    return _ok_banner(counts, total)


def _ok_banner(counts: dict[str, int], total: int) -> tuple[str, str]:
    """The banner when nothing failed: skipped, waiting and disabled are not OK."""
    others = ", ".join(
        f"{counts[key]} {label.lower()}"
        for key, label, _ in STATES
        if key in _UNCHECKED and counts[key]
    )
    ok = counts["ok"]
    if not others:
        return "ok", f"All {total} monitor{'s' * (total != 1)} OK"
    if not ok:
        return "unknown", f"No monitor checked: {others}"
    return "ok", f"{ok} monitor{'s' * (ok != 1)} OK; {others}"


def status_view(snapshot: Snapshot, histories: dict[str, MonitorHistory]) -> StatusView:
    """Build the page's view of a round (pure)."""
    empty = MonitorHistory()
    monitors = sorted(
        (
            monitor_view(snapshot, m, histories.get(m.name, empty))
            for m in snapshot.monitors
        ),
        key=lambda v: (_ORDER[v.state], v.name),
    )
    counts = {key: 0 for key, _, _ in STATES}
    for view in monitors:
        counts[view.state] += 1
    banner_state, banner = _banner(counts, len(monitors))
    return StatusView(
        generated_at=snapshot.taken_at,
        hostname=snapshot.hostname,
        interval=snapshot.interval,
        refresh_seconds=max(30, math.ceil(snapshot.interval)),
        # Pages come every interval, or every round when rounds take longer.
        stale_after_seconds=math.ceil(
            2 * max(snapshot.interval, snapshot.round_seconds)
        ),
        banner_state=banner_state,
        banner=banner,
        counts=counts,
        monitors=monitors,
    )


def stopped_view(view: StatusView, at: datetime, tz: str) -> StatusView:
    """Return the last round's ``view`` saying the daemon stopped at ``at`` (pure)."""
    # The last round's summary stays, in the past and not green: "1 of 3 FAILED"
    # is still worth knowing, but must not read as the current state.
    banner = (
        f"simplemon stopped at {format_moment(at, tz)}. Its last round, at "
        f"{format_moment(view.generated_at, tz)}: {view.banner}. Not updated since."
    )
    return replace(view, banner_state="stopped", banner=banner, stopped_at=at)


def format_percent(value: float | None) -> str:
    """Show availability with two decimals, never rounding a failure up to 100%."""
    if value is None:
        return NO_DATA
    return f"{math.floor(value * 10000) / 100:.2f}%"


def format_age(seconds: float | None) -> str:
    """Show an age compactly: 42s, 5m, 3h 10m, 2d 4h."""
    if seconds is None:
        return "never"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def format_moment(moment: datetime | None, tz: str) -> str:
    """Show a time in ``tz`` as ``2026-01-05 12:00:00 UTC``; a dash for None."""
    if moment is None:
        return NO_DATA
    return moment.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M:%S %Z")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Hold off the cyclic garbage collector while one round's view is built.

    A round allocates hundreds of thousands of short-lived, acyclic objects; with a
    large heap the collector's passes cost more than the work itself (measured: 0.5 s
    of 1.1 s at 10,000 monitors). Reference counting still frees everything; cycles,
    if any, are collected after the block. Drop big temporaries inside the block:
    whatever is still alive at its end is scanned once by the next collection.

    The html and json loggers write on threads of their own, so pauses overlap:
    the collector is off from the first one's start to the last one's end, then
    back as it was (a thread that found it paused by another must not decide).
    """
    global _pauses, _was_enabled  # noqa: PLW0603 - one collector per process
    with _pause_lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()


_pause_lock = threading.Lock()
_pauses = 0  # pauses in progress (threads inside paused_gc)
_was_enabled = False  # whether the collector was on when the first one began
