"""A reference model of alert windows, held alerts and reminders, and its generators.

The model reads local times with the C library (``TZ`` + ``time.localtime``), not
with ``zoneinfo``, so it is an independent reading of the time zone database, and it
tests windows with modular arithmetic instead of comparisons. Instants are drawn with
a seeded ``random.Random`` and biased to where clocks misbehave: DST transitions
(spring-forward gaps, fall-back repeated hours, Lord Howe's 30-minute step), local
midnight, the edges of the window, Sunday to Monday and leap days.
"""

from __future__ import annotations

import os
import random
import time as systime
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from simplemon.common import AlerterCommon

#: Every kind of zone: UTC, the machine's (``local``, and unset = the machine's),
#: DST north and south, a 30-minute DST step, +12:45/+13:45, negative offsets.
ZONES: tuple[str | None, ...] = (
    "UTC",
    "local",
    None,
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/St_Johns",
    "Pacific/Marquesas",
)
#: What ``TZ`` says while the tests run, i.e. what ``local`` means.
MACHINE_TZ = "Europe/Berlin"
#: (kind, start of the outage, its end or the time of sending)
Event = tuple[str, datetime | None, datetime]
START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2029, 1, 1, tzinfo=UTC)


@contextmanager
def machine_zone(name: str = MACHINE_TZ) -> Iterator[None]:
    """Run with ``TZ=name`` (what ``local`` means), restoring the old TZ after."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = name
    systime.tzset()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        systime.tzset()


def zone_name(times_tz: str | None) -> str:
    return MACHINE_TZ if times_tz in (None, "local") else times_tz


def libc_local(
    moments: Sequence[datetime], times_tz: str | None
) -> list[tuple[int, int]]:
    """Return (weekday, minute of day) of each moment in ``times_tz``, by libc."""
    with machine_zone(zone_name(times_tz)):
        out = []
        for m in moments:
            t = systime.localtime(m.timestamp())
            out.append((t.tm_wday, t.tm_hour * 60 + t.tm_min))
    return out


def ref_in_hours(options: AlerterCommon, local: tuple[int, int]) -> bool:
    """The model's answer: is a moment whose local (weekday, minute) is given in?"""
    weekday, minute = local
    if weekday not in options.days:
        return False
    if options.times_type == "always":
        return True
    assert options.time_lower is not None
    assert options.time_upper is not None
    lo = options.time_lower.hour * 60 + options.time_lower.minute
    hi = options.time_upper.hour * 60 + options.time_upper.minute
    inside = (minute - lo) % 1440 < (hi - lo) % 1440
    return inside if options.times_type == "only" else not inside


# --- generators ------------------------------------------------------------------


def transitions(name: str) -> list[datetime]:
    """Return the UTC instants at which ``name``'s UTC offset changes (2024-2028)."""
    tz = ZoneInfo(name)
    found = []
    day = START
    before = day.astimezone(tz).utcoffset()
    while day < END:
        after_day = day + timedelta(days=1)
        after = after_day.astimezone(tz).utcoffset()
        if after != before:
            lo, hi = day, after_day
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(tz).utcoffset() == before:
                    lo = mid
                else:
                    hi = mid
            found.append(hi.replace(microsecond=0))
        day, before = after_day, after
    return found


_TRANSITIONS: dict[str, list[datetime]] = {}


def zone_transitions(times_tz: str | None) -> list[datetime]:
    name = zone_name(times_tz)
    if name not in _TRANSITIONS:
        _TRANSITIONS[name] = transitions(name)
    return _TRANSITIONS[name]


def local_to_utc(
    day: datetime, clock: time, times_tz: str | None, fold: int
) -> datetime:
    """Return the UTC instant of local ``clock`` on ``day`` (may be in a DST gap)."""
    tz = ZoneInfo(zone_name(times_tz))
    local = datetime.combine(day.date(), clock, tzinfo=tz).replace(fold=fold)
    return local.astimezone(UTC)


def random_options(rng: random.Random) -> AlerterCommon:
    """An alerter with a random window, zone, days and hold/recovery flags."""
    times_type: Literal["always", "only", "not"] = rng.choice(
        ("only", "only", "not", "always")
    )
    lower = upper = None
    if times_type != "always":
        lo = rng.choice((rng.randrange(1440), rng.choice((0, 60, 120, 150, 1439))))
        hi = lo
        while hi == lo:  # time_lower == time_upper is a configuration error
            hi = rng.choice(
                (rng.randrange(1440), (lo + rng.choice((1, 30, 720))) % 1440)
            )
        lower, upper = time(lo // 60, lo % 60), time(hi // 60, hi % 60)
    days = tuple(sorted(rng.sample(range(7), rng.choice((1, 1, 2, 5, 6, 7)))))
    return AlerterCommon(
        type="email",
        times_type=times_type,
        time_lower=lower,
        time_upper=upper,
        days=days,
        times_tz=rng.choice(ZONES),
        delay=rng.random() < 0.6,
        ooh_recovery=rng.random() < 0.3,
        only_failures=rng.random() < 0.15,
        limit=rng.choice((1, 1, 2, 3)),
        repeat=rng.random() < 0.3,
        allow_reminders=rng.random() < 0.6,
    )


def random_instant(rng: random.Random, options: AlerterCommon) -> datetime:
    """An instant biased to where local clocks misbehave for ``options``' zone."""
    kind = rng.randrange(7)
    tz = options.times_tz
    jitter = timedelta(
        seconds=rng.choice((0, 0, -1, 1, -59, 59, rng.randint(-7200, 7200)))
    )
    if kind == 0:
        return START + timedelta(
            seconds=rng.randrange(int((END - START).total_seconds()))
        )
    if kind in (1, 2) and zone_transitions(tz):
        return rng.choice(zone_transitions(tz)) + jitter
    day = START + timedelta(days=rng.randrange((END - START).days))
    if kind == 3:  # local midnight, Sunday to Monday included
        return local_to_utc(day, time(0), tz, rng.randrange(2)) + jitter
    if kind == 4:  # leap days
        leap = rng.choice(
            (datetime(2024, 2, 29, tzinfo=UTC), datetime(2028, 2, 29, tzinfo=UTC))
        )
        leap += timedelta(days=rng.choice((-1, 0, 1)))
        clock = rng.choice(
            (time(0), time(23, 59, 59), time(rng.randrange(24), rng.randrange(60)))
        )
        return local_to_utc(leap, clock, tz, 0) + jitter
    if options.time_lower is None or options.time_upper is None:
        return local_to_utc(day, time(rng.randrange(24)), tz, 0) + jitter
    edge = rng.choice((options.time_lower, options.time_upper))
    return local_to_utc(day, edge, tz, rng.randrange(2)) + jitter


STEPS = (30, 60, 300, 1020, 1800, 3600, 3600 * 3, 3600 * 11)


def random_timeline(
    rng: random.Random, options: AlerterCommon, rounds: int
) -> list[datetime]:
    """Round instants from a biased start, with irregular (always positive) steps."""
    now = random_instant(rng, options)
    moments = []
    for _ in range(rounds):
        moments.append(now)
        now += timedelta(seconds=rng.choice(STEPS) + rng.choice((0, 1, 7)))
    return moments


def random_results(rng: random.Random, rounds: int) -> list[bool]:
    """Runs of failures and successes (a Markov chain), True = check OK."""
    ok = rng.random() < 0.5
    stay = rng.choice((0.6, 0.85, 0.95))
    out = []
    for _ in range(rounds):
        out.append(ok)
        if rng.random() > stay:
            ok = not ok
    return out


# --- the alerting model ----------------------------------------------------------


@dataclass
class Model:
    """What one alerter must be sent about one monitor, decided from the promise.

    Every failure-side message gives the start of the current failure streak (the
    first failed check, tolerated ones included); a recovery gives the start of the
    streak it ends and the time it came back, even when it was held.
    """

    options: AlerterCommon
    tolerance: int
    remind: timedelta | None
    failures: int = 0
    streak_start: datetime | None = None
    announced_at: datetime | None = None  # last message of an announced outage
    outage_start: datetime | None = None  # streak announced, for its recovery
    held: bool = False
    recovered_at: datetime | None = None  # held recovery

    def step(self, ok: bool, now: datetime, in_hours: bool) -> list[Event]:
        """Return the events for one round: (kind, outage start, end or now)."""
        if ok:
            return self._ok(now, in_hours)
        self.failures += 1
        if self.streak_start is None:
            self.streak_start = now
        vfc = self.failures - self.tolerance
        if vfc <= 0:  # within tolerance: only a held recovery may go out
            if self.recovered_at is not None and in_hours:
                return [self._recovery(self.recovered_at)]
            return []
        if self.recovered_at is not None:
            # Failed again before a held recovery could be sent: the recovery is
            # moot and the outage now told of is this streak.
            self.recovered_at = None
            self.outage_start = self.streak_start
        kind = self._failure_kind(vfc, now, in_hours)
        if kind is None:
            return []
        self.announced_at = now
        self.outage_start = self.streak_start
        self.held = False
        return [(kind, self.streak_start, now)]

    def _failure_kind(self, vfc: int, now: datetime, in_hours: bool) -> str | None:
        o = self.options
        if vfc == o.limit or (o.repeat and vfc % o.limit == 0):
            if in_hours:
                # A held failure is told as the catch-up it is, even when the
                # window opens on a repeat (alerting.md: Events).
                return "catchup" if self.held else "failure"
            self.held = self.held or o.delay
            return None
        if self.held and in_hours:
            return "catchup"
        due = (
            o.allow_reminders
            and self.remind
            and self.announced_at is not None
            and now - self.announced_at >= self.remind
        )
        return "reminder" if due and in_hours else None

    def _ok(self, now: datetime, in_hours: bool) -> list[Event]:
        self.failures = 0
        self.streak_start = None
        self.held = False
        if self.announced_at is None or self.options.only_failures:
            self.announced_at = self.outage_start = self.recovered_at = None
            return []
        if self.recovered_at is None and not (in_hours or self.options.ooh_recovery):
            self.recovered_at = now
            return []
        if self.recovered_at is not None and not in_hours:
            return []
        return [self._recovery(self.recovered_at or now)]

    def _recovery(self, end: datetime) -> Event:
        event = ("recovery", self.outage_start, end)
        self.announced_at = self.outage_start = self.recovered_at = None
        return event
