"""Alert windows, held alerts and reminders against a reference model, seeded.

See tests/peers/clock_model.py: local times come from libc (not zoneinfo), windows are
tested with modular arithmetic, and instants cluster at DST transitions, midnight,
window edges and leap days in every kind of zone.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any, TypeVar

import pytest

from simplemon import policy
from simplemon.alert_events import MonitorView
from simplemon.alert_hours import is_in_hours
from simplemon.alerting import decide
from simplemon.model import CheckResult, MonitorState, NotificationRecord
from simplemon.state_codec import codec
from tests.peers.clock_model import (
    Model,
    libc_local,
    machine_zone,
    random_instant,
    random_options,
    random_results,
    random_timeline,
    ref_in_hours,
)

OK = CheckResult(True, "fine")
BAD = CheckResult(False, "down")
WINDOW_CASES = 4000
WINDOW_INSTANTS = 10
LIFECYCLES = 1500
T = TypeVar("T")


@pytest.fixture(autouse=True)
def _machine_zone():
    with machine_zone():
        yield


def test_is_in_hours_agrees_with_libc_at_dst_midnight_and_window_edges():
    rng = random.Random(20260329)
    wrong = []
    for _ in range(WINDOW_CASES):
        options = random_options(rng)
        moments = [random_instant(rng, options) for _ in range(WINDOW_INSTANTS)]
        expected = libc_local(moments, options.times_tz)
        for moment, local in zip(moments, expected, strict=True):
            want = ref_in_hours(options, local)
            if is_in_hours(options, moment) != want:
                wrong.append((options, moment.isoformat(), local, want))
    assert wrong == [], f"{len(wrong)} wrong, e.g. {wrong[:3]}"


def restarted(obj: T) -> T:
    """``obj`` as a restart reads it back from the state file."""
    c = codec(type(obj))
    return c.decode(c.encode(obj))


def simulate(rng: random.Random) -> tuple[list[Any], list[Any], list[Any]]:
    """Run one random alerter through a random outage history; return what differs.

    Every few rounds the state and record go through the state file's encoding, as
    after a restart. Besides the model, each event is checked on its own: nothing
    out of hours but an ``ooh_recovery``, times never in the future, downtimes that
    match their times.
    """
    options = random_options(rng)
    tolerance = rng.choice((0, 0, 1, 2))
    remind = rng.choice((None, timedelta(minutes=rng.choice((1, 20, 60, 180)))))
    rounds = rng.randrange(40, 120)
    moments = random_timeline(rng, options, rounds)
    results = random_results(rng, rounds)
    locals_ = libc_local(moments, options.times_tz)
    hours = [ref_in_hours(options, local) for local in locals_]
    model = Model(options, tolerance, remind)
    state, record = MonitorState(), NotificationRecord()
    got, want = [], []
    for i, (now, ok, in_hours) in enumerate(zip(moments, results, hours, strict=True)):
        previous = state
        state = policy.apply_result(state, OK if ok else BAD, tolerance, now)
        view = MonitorView("web", previous, state, remind=remind)
        decision = decide(view, "pager", options, record, now)
        record = decision.record
        if rng.random() < 0.2:
            state, record = restarted(state), restarted(record)
        for e in decision.events:
            assert e.failed_at is not None
            assert e.failed_at <= now
            end = e.failed_at + timedelta(seconds=e.downtime_seconds)
            assert end <= now
            ooh_ok = e.kind.value == "recovery" and options.ooh_recovery
            assert in_hours or ooh_ok, (e.kind, now, locals_[i], options)
            got.append((i, e.kind.value, e.failed_at, end))
        want += [(i, *w) for w in model.step(ok, now, in_hours)]
    return got, want, [options, tolerance, remind, moments[0], results]


def test_decisions_over_random_outages_match_the_model():
    rng = random.Random(15)
    mismatches = []
    for case in range(LIFECYCLES):
        got, want, setup = simulate(rng)
        if got != want:
            mismatches.append((case, setup, got, want))
    if mismatches:
        case, setup, got, want = mismatches[0]
        first = next(
            (g, w)
            for g, w in zip(
                got + [None] * len(want), want + [None] * len(got), strict=False
            )
            if g != w
        )
        pytest.fail(
            f"{len(mismatches)} of {LIFECYCLES} histories differ; case {case}: "
            f"{setup[:4]}\nfirst difference (got, want): {first}"
        )
