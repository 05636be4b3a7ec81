"""Alert times, windows and days across DST and midnight; a type change on reload."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from alerters._message import body
from simplemon import policy
from simplemon.alert_events import MonitorView
from simplemon.alert_hours import is_in_hours
from simplemon.alerting import decide
from simplemon.common import AlerterCommon
from simplemon.model import CheckResult, MonitorState, NotificationRecord

NOON = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)  # a Monday
BAD = CheckResult(False, "down")
OK = CheckResult(True, "fine")


def mail(**kwargs: object) -> AlerterCommon:
    return AlerterCommon(type="email", **kwargs)  # type: ignore[arg-type]


def test_alert_times_count_from_the_first_tolerated_failure():
    # docs/migrating.md: SimpleMonitor counts from when tolerance was exceeded.
    state = MonitorState()
    for minute in range(3):
        previous = state
        state = policy.apply_result(state, BAD, 2, NOON + timedelta(minutes=minute))
    now = NOON + timedelta(minutes=2)
    view = MonitorView("web", previous, state)
    (event,) = decide(view, "mail", mail(), NotificationRecord(), now).events
    assert event.failed_at == NOON
    assert event.downtime_seconds == 120


def test_days_apply_to_the_day_of_now_inside_a_window_wrapping_midnight():
    night = mail(
        times_type="only",
        time_lower=time(22),
        time_upper=time(6),
        times_tz="Europe/London",
        days=(0, 1, 2, 3, 4),
    )
    friday_late = datetime(2026, 1, 9, 23, 0, tzinfo=UTC)
    saturday_early = datetime(2026, 1, 10, 1, 0, tzinfo=UTC)
    monday_early = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    sunday_late = datetime(2026, 1, 4, 23, 0, tzinfo=UTC)
    assert is_in_hours(night, friday_late)
    assert not is_in_hours(night, saturday_early)
    assert is_in_hours(night, monday_early)
    assert not is_in_hours(night, sunday_late)


def test_held_recovery_message_gives_the_time_of_the_recovery_not_of_sending():
    office = AlerterCommon(
        type="email",
        times_type="only",
        time_lower=time(9),
        time_upper=time(17),
        times_tz="UTC",
    )
    failed = policy.apply_result(MonitorState(), BAD, 0, NOON)
    record = decide(
        MonitorView("web", MonitorState(), failed),
        "mail",
        office,
        NotificationRecord(),
        NOON,
    ).record
    evening = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)
    ok = policy.apply_result(failed, OK, 0, evening)
    held = decide(MonitorView("web", failed, ok), "mail", office, record, evening)
    assert held.events == ()
    morning = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
    (event,) = decide(
        MonitorView("web", ok, ok), "mail", office, held.record, morning
    ).events
    assert event.downtime_seconds == 6 * 3600
    text = body(event)
    assert "Recovered at:   2026-01-05T18:00:00+00:00" in text
    assert "Was down for:   0+06:00:00" in text


def test_window_in_times_tz_follows_the_dst_change():
    day_shift = mail(
        times_type="only",
        time_lower=time(8),
        time_upper=time(20),
        times_tz="America/New_York",
    )
    # 2026-03-08: US clocks go forward at 02:00, so 08:00 is 12:00 UTC, not 13:00.
    assert not is_in_hours(day_shift, datetime(2026, 3, 7, 12, 30, tzinfo=UTC))
    assert is_in_hours(day_shift, datetime(2026, 3, 7, 13, 0, tzinfo=UTC))
    assert not is_in_hours(day_shift, datetime(2026, 3, 8, 11, 59, tzinfo=UTC))
    assert is_in_hours(day_shift, datetime(2026, 3, 8, 12, 0, tzinfo=UTC))


def test_message_times_in_tz_take_each_moment_own_offset_across_dst():
    # Europe/London goes from GMT to BST at 01:00 UTC on 2026-03-29.
    start = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    failed = policy.apply_result(MonitorState(), BAD, 0, start)
    record = decide(
        MonitorView("web", MonitorState(), failed),
        "m",
        mail(),
        NotificationRecord(),
        start,
    ).record
    end = start + timedelta(hours=1)
    ok = policy.apply_result(failed, OK, 0, end)
    (event,) = decide(MonitorView("web", failed, ok), "m", mail(), record, end).events
    text = body(event, tz="Europe/London")
    assert "Recovered at:   2026-03-29T02:30:00+01:00" in text
    assert "Failing since:  2026-03-29T00:30:00+00:00" in text
    assert "Was down for:   0+01:00:00" in text


def test_reload_changing_a_monitor_type_starts_it_fresh_but_owes_the_recovery(
    tmp_path, clock
):
    from simplemon.state_store import StateStore
    from tests.unit.test_notifier import build, config, monitor, queued

    store = StateStore(tmp_path / "s.db")
    scheduler, notifier = build(store, config(monitor("web", True)), clock)
    scheduler.run_once()
    clock.advance(1)
    scheduler.run_once()
    assert scheduler.states["web"].virtual_fail_count == 2
    new = config(monitor("web", False))  # same name, type fail -> null
    scheduler.reload(new)
    notifier.reload(new)
    assert scheduler.states["web"].checks == 0  # SimpleMonitor refuses the change
    clock.advance(1)
    scheduler.run_once()
    assert [kind for kind, _ in queued(store)] == ["failure", "recovery"]
    store.close()


def test_failing_again_before_a_held_recovery_dates_messages_from_the_new_failure():
    # Told of a failure on Monday 16:00; it recovered at 18:00 (recovery held for
    # the window) and failed again on Tuesday 08:00. The catch-up and the final
    # recovery are about the new outage: down since 08:00, not since Monday.
    office = mail(
        times_type="only",
        time_lower=time(9),
        time_upper=time(17),
        times_tz="UTC",
        delay=True,
    )
    monday = datetime(2026, 1, 5, tzinfo=UTC)
    steps = [
        (monday + timedelta(hours=16), BAD),
        (monday + timedelta(hours=18), OK),
        (monday + timedelta(hours=32), BAD),  # Tuesday 08:00, out of hours
        (monday + timedelta(hours=33), BAD),  # 09:00: the window opens
        (monday + timedelta(hours=33, minutes=30), OK),
    ]
    state, record, sent = MonitorState(), NotificationRecord(), []
    for now, result in steps:
        previous = state
        state = policy.apply_result(state, result, 0, now)
        decision = decide(MonitorView("web", previous, state), "m", office, record, now)
        record = decision.record
        sent += [
            (e.kind.value, e.failed_at, e.downtime_seconds) for e in decision.events
        ]
    tuesday_8 = monday + timedelta(hours=32)
    assert sent == [
        ("failure", monday + timedelta(hours=16), 0.0),
        ("catchup", tuesday_8, 3600.0),
        ("recovery", tuesday_8, 5400.0),
    ]


def test_catchup_held_for_an_outage_that_recovered_is_not_sent_in_the_next_one():
    office = mail(
        times_type="only",
        time_lower=time(9),
        time_upper=time(17),
        times_tz="UTC",
        delay=True,
        limit=2,
        repeat=True,
    )
    monday = datetime(2026, 1, 5, tzinfo=UTC)
    steps = [
        (monday + timedelta(hours=15, minutes=59), BAD),
        (monday + timedelta(hours=16), BAD),  # count 2: failure
        (monday + timedelta(hours=18), BAD),
        (monday + timedelta(hours=19), BAD),  # count 4, out of hours: held
        (monday + timedelta(hours=20), OK),  # recovered: the catch-up is moot
        (monday + timedelta(hours=33, minutes=30), BAD),  # Tuesday, count 1 < limit
        (monday + timedelta(hours=33, minutes=31), OK),
    ]
    state, record, sent = MonitorState(), NotificationRecord(), []
    for now, result in steps:
        previous = state
        state = policy.apply_result(state, result, 0, now)
        decision = decide(MonitorView("web", previous, state), "m", office, record, now)
        record = decision.record
        sent += [(e.kind.value, e.created_at.hour) for e in decision.events]
    assert sent == [("failure", 16), ("recovery", 9)]


def test_an_hour_long_outage_across_the_fall_back_says_one_hour_in_local_time(
    monkeypatch,
):
    import time as systime

    from alerters._message import substitutions

    monkeypatch.setenv("TZ", "America/New_York")
    systime.tzset()
    try:
        # 2026-11-01: 01:00-02:00 EDT, then 01:00-02:00 EST again.
        start = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
        failed = policy.apply_result(MonitorState(), BAD, 0, start)
        record = decide(
            MonitorView("web", MonitorState(), failed),
            "m",
            mail(),
            NotificationRecord(),
            start,
        ).record
        end = start + timedelta(hours=1)  # 01:30 EST
        ok = policy.apply_result(failed, OK, 0, end)
        (event,) = decide(
            MonitorView("web", failed, ok), "m", mail(), record, end
        ).events
        text = body(event, tz="local")
        values = substitutions(event, tz="local")
    finally:
        monkeypatch.undo()
        systime.tzset()
    assert "Recovered at:   2026-11-01T01:30:00-05:00" in text
    assert "Failing since:  2026-11-01T01:30:00-04:00" in text
    assert "Was down for:   0+01:00:00" in text
    assert (values["days"], values["hours"], values["minutes"]) == ("0", "1", "0")


def _outage(failed: datetime, recovered: datetime, round_end: datetime, **opts):
    """Fail at ``failed``, recover at ``recovered``; the rounds end at ``round_end``."""
    down = policy.apply_result(MonitorState(), BAD, 0, failed)
    up = policy.apply_result(down, OK, 0, recovered)
    record = decide(
        MonitorView("web", MonitorState(), down),
        "mail",
        mail(**opts),
        NotificationRecord(),
        failed,
    ).record
    return decide(MonitorView("web", down, up), "mail", mail(**opts), record, round_end)


def test_a_recovery_is_dated_by_its_check_not_by_the_round_that_ended_later():
    # A slow check held the round 8 s past the check that saw the monitor up: the
    # history logs stamp that check with its own time, and so must the alert.
    failed = NOON + timedelta(seconds=21)
    recovered = NOON + timedelta(seconds=24)
    (event,) = _outage(failed, recovered, recovered + timedelta(seconds=8)).events
    assert event.created_at == recovered + timedelta(seconds=8)
    assert event.downtime_seconds == 3
    assert "Recovered at:   2026-01-05T12:00:24+00:00" in body(event)


def test_a_recovery_held_out_of_hours_keeps_the_time_of_its_check():
    # in hours at the failure (noon), out of them at the recovery
    night = {
        "times_type": "only",
        "time_lower": time(11),
        "time_upper": time(12, 0, 10),
    }
    recovered = NOON + timedelta(seconds=24)
    decision = _outage(NOON, recovered, recovered + timedelta(seconds=8), **night)
    assert decision.events == ()
    assert decision.record.recovery_held_at == recovered


@pytest.mark.parametrize(
    ("round_end", "downtime"),
    [
        (65, 60),  # the round ended 5 s after the check that saw it down
        (30, 30),  # the wall clock was set back between the check and the round's
        # end: a check time after the round is not believed
    ],
)
def test_a_failure_counts_its_downtime_to_the_check_that_saw_it(round_end, downtime):
    end = NOON + timedelta(seconds=round_end)
    previous = policy.apply_result(MonitorState(), BAD, 1, NOON)
    state = policy.apply_result(previous, BAD, 1, NOON + timedelta(seconds=60))
    view = MonitorView("web", previous, state)
    (event,) = decide(view, "mail", mail(), NotificationRecord(), end).events
    assert event.created_at == end
    assert event.downtime_seconds == downtime


def test_downtimes_are_whole_seconds_between_the_whole_seconds_shown():
    # since 12:00:21.9, up at 12:00:24.1: the message shows :21 and :24, so 3 s
    failed = NOON + timedelta(seconds=21.9)
    recovered = NOON + timedelta(seconds=24.1)
    (event,) = _outage(failed, recovered, recovered).events
    assert event.downtime_seconds == 3
    text = body(event)
    assert "Failing since:  2026-01-05T12:00:21+00:00" in text
    assert "Recovered at:   2026-01-05T12:00:24+00:00" in text
    assert "0+00:00:03" in text
