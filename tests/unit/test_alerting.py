"""Table tests of the pure alerting decisions on an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from simplemon import policy
from simplemon.alert_events import Decision, MonitorView, has_crossed
from simplemon.alert_hours import is_in_hours
from simplemon.alerting import REMOVED_INFO, decide, decide_removed, is_quiet
from simplemon.common import AlerterCommon
from simplemon.model import (
    CheckResult,
    EventKind,
    MonitorState,
    NotificationRecord,
    Status,
)
from simplemon.record import replace

MONDAY_NOON = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)  # 2026-01-05 is a Monday
OK = CheckResult(True, "fine")
BAD = CheckResult(False, "connection refused")
F, R, C, M = "failure", "recovery", "catchup", "reminder"


def common(**kwargs) -> AlerterCommon:
    return AlerterCommon(type="email", **kwargs)


def run(
    steps: str,
    alerters: dict[str, AlerterCommon],
    *,
    tolerance: int = 0,
    start: datetime = MONDAY_NOON,
    every: timedelta = timedelta(minutes=1),
    **monitor: object,
) -> list[tuple[int, str, str]]:
    """Drive rounds ('x' fail, 'o' ok, 's' skipped, '.' not run); return events."""
    state = MonitorState()
    records = {name: NotificationRecord() for name in alerters}
    now = start
    sent: list[tuple[int, str, str]] = []
    for i, step in enumerate(steps):
        previous = state
        if step == "x":
            state = policy.apply_result(state, BAD, tolerance, now)
        elif step == "o":
            state = policy.apply_result(state, OK, tolerance, now)
        elif step == "s":
            state = policy.apply_skip(state, "skipped", now)
        view = MonitorView("web", previous, state, **monitor)  # type: ignore[arg-type]
        for name, options in alerters.items():
            decision = decide(view, name, options, records[name], now, "host1")
            records[name] = decision.record
            sent.extend((i, name, e.kind.value) for e in decision.events)
        now += every
    return sent


# --- escalation, repeat, tolerance ---------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "tolerance", "expected"),
    [
        # one alerter at limit=1, one at limit=3: escalation
        ("xxxxxo", 0, [(0, "a1", F), (2, "a3", F), (5, "a1", R), (5, "a3", R)]),
        # a short outage reaches only the first level; the recovery goes only there
        ("xxo", 0, [(0, "a1", F), (2, "a1", R)]),
        # tolerance delays the virtual fail count
        ("xxxxo", 2, [(2, "a1", F), (4, "a1", R)]),
        # within tolerance: nothing at all
        ("xxoxxo", 2, []),
        # skips neither fail nor recover; the recovery after them is still sent
        ("xsssxo", 0, [(0, "a1", F), (5, "a1", R)]),
        # a skipped child that never failed produces nothing
        ("ssso", 0, []),
        # 'not run' rounds (gap) never re-trigger
        ("x...o", 0, [(0, "a1", F), (4, "a1", R)]),
        # a second outage is announced again
        ("xoxo", 0, [(0, "a1", F), (1, "a1", R), (2, "a1", F), (3, "a1", R)]),
    ],
)
def test_escalation_by_limit_table(steps, tolerance, expected):
    alerters = {"a1": common(limit=1), "a3": common(limit=3)}
    assert run(steps, alerters, tolerance=tolerance) == expected


@pytest.mark.parametrize(
    ("limit", "steps", "rounds"),
    [
        (1, "xxxx", [0, 1, 2, 3]),
        (2, "xxxxxxx", [1, 3, 5]),
        (3, "xxxxxxx", [2, 5]),
    ],
)
def test_repeat_alerts_at_every_multiple_of_limit(limit, steps, rounds):
    events = run(steps, {"a": common(limit=limit, repeat=True)})
    assert [i for i, _, kind in events if kind == F] == rounds


def test_without_repeat_only_one_failure_is_sent():
    assert run("x" * 10, {"a": common(limit=2)}) == [(1, "a", F)]


def reloaded(
    steps: str,
    before: AlerterCommon,
    after: AlerterCommon,
    at: int,
    start: datetime = MONDAY_NOON,
    every: timedelta = timedelta(minutes=1),
) -> list[tuple[int, str]]:
    """Drive one alerter whose options a reload changes from round ``at`` on."""
    state, record, now = MonitorState(), NotificationRecord(), start
    sent: list[tuple[int, str]] = []
    for i, step in enumerate(steps):
        previous = state
        state = policy.apply_result(state, BAD if step == "x" else OK, 0, now)
        view = MonitorView("web", previous, state)
        options = before if i < at else after
        decision = decide(view, "a", options, record, now, "host1")
        record = decision.record
        sent.extend((i, e.kind.value) for e in decision.events)
        now += every
    return sent


def test_a_limit_raised_past_an_announced_outage_sends_no_second_failure():
    # Announced at 1; a reload makes the limit 3, which the count reaches at round 2.
    sent = reloaded("xxxxxo", common(limit=1), common(limit=3), at=1)
    assert sent == [(0, F), (5, R)]


def test_after_a_raised_limit_the_next_outage_is_announced_at_the_new_limit():
    sent = reloaded("xxxoxxxxo", common(limit=1), common(limit=3), at=1)
    assert sent == [(0, F), (3, R), (6, F), (8, R)]


def test_a_raised_limit_with_repeat_still_alerts_at_its_multiples():
    sent = reloaded("xxxxxxo", common(limit=1), common(limit=3, repeat=True), at=1)
    assert sent == [(0, F), (2, F), (5, F), (6, R)]


@pytest.mark.parametrize(
    ("previous", "current", "limit", "repeat", "expected"),
    [
        (0, 1, 1, False, True),
        (1, 2, 1, False, False),
        (1, 2, 1, True, True),
        (2, 3, 3, False, True),
        (3, 4, 3, True, False),
        (5, 6, 3, True, True),
        (0, 5, 3, False, True),  # a jump past the limit still counts once
        (3, 3, 3, True, False),  # no new failure: nothing
        (4, 0, 1, True, False),
    ],
)
def test_has_crossed_table(previous, current, limit, repeat, expected):
    assert has_crossed(previous, current, limit, repeat) is expected


# --- routing: urgent, groups, notify, enabled ----------------------------------------


@pytest.mark.parametrize(
    ("alerter", "monitor", "alerted"),
    [
        ({"urgent": True}, {"urgent": False}, False),
        ({"urgent": True}, {"urgent": True}, True),
        ({"urgent": False}, {"urgent": False}, True),
        ({"groups": ("db",)}, {"group": "default"}, False),
        ({"groups": ("db",)}, {"group": "db"}, True),
        ({"groups": ("db", "web")}, {"group": "web"}, True),
        ({"groups": ("_all",)}, {"group": "anything"}, True),
        ({}, {"notify": False}, False),
        ({"enabled": False}, {}, False),
    ],
)
def test_routing_table(alerter, monitor, alerted):
    events = run("xo", {"a": common(**alerter)}, **monitor)
    assert events == ([(0, "a", F), (1, "a", R)] if alerted else [])


# --- reminders ---


def test_reminders_every_remind_interval_while_failed():
    events = run(
        "x" * 12 + "o",
        {"a": common(allow_reminders=True)},
        remind=timedelta(minutes=5),
    )
    assert events == [(0, "a", F), (5, "a", M), (10, "a", M), (12, "a", R)]


def test_no_reminders_unless_the_alerter_allows_them():
    events = run("x" * 12, {"a": common()}, remind=timedelta(minutes=5))
    assert events == [(0, "a", F)]


def test_no_reminders_for_an_alerter_that_never_alerted():
    events = run(
        "x" * 12,
        {"a": common(limit=20, allow_reminders=True)},
        remind=timedelta(minutes=5),
    )
    assert events == []


# --- time windows ---


def at(hh: int, mm: int = 0, day: int = 0) -> datetime:
    return datetime(2026, 1, 5 + day, hh, mm, tzinfo=UTC)


@pytest.mark.parametrize(
    ("times_type", "lower", "upper", "moment", "expected"),
    [
        ("always", None, None, at(3), True),
        ("only", time(9), time(17), at(9), True),
        ("only", time(9), time(17), at(16, 59), True),
        ("only", time(9), time(17), at(17), False),
        ("only", time(9), time(17), at(8, 59), False),
        ("not", time(9), time(17), at(12), False),
        ("not", time(9), time(17), at(20), True),
        # windows that wrap midnight (SimpleMonitor's never match)
        ("only", time(22), time(6), at(23, 30), True),
        ("only", time(22), time(6), at(0), True),
        ("only", time(22), time(6), at(5, 59), True),
        ("only", time(22), time(6), at(6), False),
        ("only", time(22), time(6), at(12), False),
        ("only", time(22), time(6), at(21, 59), False),
        ("not", time(22), time(6), at(2), False),
        ("not", time(22), time(6), at(12), True),
    ],
)
def test_is_in_hours_table(times_type, lower, upper, moment, expected):
    options = common(
        times_type=times_type, time_lower=lower, time_upper=upper, times_tz="UTC"
    )
    assert is_in_hours(options, moment) is expected


@pytest.mark.parametrize(
    ("days", "moment", "expected"),
    [
        ((0,), at(12, day=0), True),  # Monday
        ((0,), at(12, day=1), False),  # Tuesday
        ((5, 6), at(12, day=5), True),  # Saturday
        ((0, 1, 2, 3, 4), at(12, day=6), False),  # Sunday
    ],
)
def test_days_table(days, moment, expected):
    assert is_in_hours(common(days=days, times_tz="UTC"), moment) is expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(15), True),  # 10:00 in New York
        (at(13), False),  # 08:00 in New York
        (at(22, 30), False),  # 17:30 in New York
    ],
)
def test_times_tz_reads_the_window_in_that_zone(moment, expected):
    options = common(
        times_type="only",
        time_lower=time(9),
        time_upper=time(17),
        times_tz="America/New_York",
    )
    assert is_in_hours(options, moment) is expected


def test_days_are_read_in_times_tz():
    # Monday 23:00 UTC is Tuesday 08:00 in Tokyo
    options = common(days=(1,), times_tz="Asia/Tokyo")
    assert is_in_hours(options, at(23, day=0))


def office(**kwargs) -> AlerterCommon:
    return common(
        times_type="only",
        time_lower=time(9),
        time_upper=time(17),
        times_tz="UTC",
        **kwargs,
    )


HOURLY = timedelta(hours=1)


def test_out_of_hours_failure_without_delay_is_dropped():
    # fails from 18:00 to 08:00 next day, recovers at 09:00 (still never announced)
    events = run("x" * 15 + "o", {"a": office()}, start=at(18), every=HOURLY)
    assert events == []


def test_delay_holds_failure_and_sends_catchup_when_window_opens():
    # 07:00 fail ... at 09:00 the window opens: catch-up; recovery at 11:00
    events = run("xxxxo", {"a": office(delay=True)}, start=at(7), every=HOURLY)
    assert events == [(2, "a", C), (4, "a", R)]


def test_window_opening_on_a_repeat_multiple_sends_the_catchup():
    # limit 2 with repeat: the count reaches 2 at 07:00 (held) and 4 just as the
    # window opens at 09:00. The held failure is told as the catch-up it is (as
    # SimpleMonitor does), not as a plain repeat that hides the night; 6 repeats.
    alerter = office(delay=True, limit=2, repeat=True)
    events = run("xxxxxxo", {"a": alerter}, start=at(6), every=HOURLY)
    assert events == [(3, "a", C), (5, "a", F), (6, "a", R)]


def test_reminders_follow_a_catchup():
    # Found against SimpleMonitor, which never reminds after a catch-up
    # (migrating.md): held at 07:00, caught up at 09:00, reminded at 11:00, 13:00.
    alerter = office(delay=True, allow_reminders=True)
    events = run("x" * 8, {"a": alerter}, start=at(7), every=HOURLY, remind=2 * HOURLY)
    assert events == [(2, "a", C), (4, "a", M), (6, "a", M)]


def test_a_reminder_due_out_of_hours_waits_as_a_reminder_even_with_delay():
    # Announced 15:00; the 17:00 and later reminders fall out of hours: one reminder
    # at 09:00 (SimpleMonitor sends a catch-up there), then every 2 hours.
    alerter = office(delay=True, allow_reminders=True)
    events = run(
        "x" * 21, {"a": alerter}, start=at(15), every=HOURLY, remind=2 * HOURLY
    )
    assert events == [(0, "a", F), (18, "a", M), (20, "a", M)]


def test_delay_drops_held_failure_that_recovered_out_of_hours():
    events = run("xxoooo", {"a": office(delay=True)}, start=at(5), every=HOURLY)
    assert events == []


def test_midnight_window_alerts_at_night_only():
    night = common(
        times_type="only", time_lower=time(22), time_upper=time(6), times_tz="UTC"
    )
    # fails at 23:00 → sent at once; a second outage at noon is not sent
    assert run("xo", {"a": night}, start=at(23), every=HOURLY) == [
        (0, "a", F),
        (1, "a", R),
    ]
    assert run("xo", {"a": night}, start=at(12), every=HOURLY) == []


def test_recovery_out_of_hours_waits_for_the_window():
    # announced at 16:00, recovers at 18:00: the recovery is sent at 09:00 next day
    events = run("xxo" + "o" * 16, {"a": office()}, start=at(16), every=HOURLY)
    assert events == [(0, "a", F), (17, "a", R)]


def test_ooh_recovery_sends_recovery_out_of_hours_at_once():
    events = run("xxo", {"a": office(ooh_recovery=True)}, start=at(16), every=HOURLY)
    assert events == [(0, "a", F), (2, "a", R)]


def test_a_recovery_held_out_of_hours_goes_at_once_when_a_reload_sets_ooh_recovery():
    # Announced at 16:00, back at 18:00 (held: out of hours); at 19:00 a reload
    # sets ooh_recovery = yes, which would have sent it at once: so it goes now.
    sent = reloaded("xxooo", office(), office(ooh_recovery=True), 3, at(16), HOURLY)
    assert sent == [(0, F), (3, R)]


def test_held_recovery_is_dropped_if_the_monitor_fails_again():
    # recovers at 18:00, fails again at 20:00 and is still failed in the morning
    events = run("xxoox" + "x" * 14, {"a": office()}, start=at(16), every=HOURLY)
    assert events == [(0, "a", F)]


def test_only_failures_never_sends_recoveries():
    assert run("xxo", {"a": common(only_failures=True)}) == [(0, "a", F)]


def test_dry_run_changes_no_decision():
    # dry_run is applied at delivery: the decisions (and records) are identical
    steps = "xxxoxo"
    assert run(steps, {"a": common(dry_run=True)}) == run(steps, {"a": common()})


# --- events, restarts, removal -------------------------------------------------------


def failed_state(vfc: int, since: datetime) -> MonitorState:
    return MonitorState(
        status=Status.FAILED,
        failures=vfc,
        virtual_fail_count=vfc,
        first_failure_at=since,
        failed_at=since,
        last_message="down",
    )


def test_failure_event_carries_times_counts_and_stable_id():
    state = policy.apply_result(MonitorState(), BAD, 0, MONDAY_NOON)
    view = MonitorView(
        "web", MonitorState(), state, description="GET /", failure_doc="d"
    )
    decision = decide(view, "mail", common(), NotificationRecord(), MONDAY_NOON, "h1")
    (event,) = decision.events
    assert event.kind is EventKind.FAILURE
    assert (event.monitor, event.alerter, event.hostname) == ("web", "mail", "h1")
    assert event.failed_at == MONDAY_NOON
    assert event.virtual_fail_count == 1
    assert (event.info, event.description, event.failure_doc) == (
        "connection refused",
        "GET /",
        "d",
    )
    again = decide(view, "mail", common(), NotificationRecord(), MONDAY_NOON, "h1")
    assert again.events[0].event_id == event.event_id
    other = decide(view, "sms", common(), NotificationRecord(), MONDAY_NOON, "h1")
    assert other.events[0].event_id != event.event_id
    assert decision.record.is_announced


def test_restart_while_down_sends_no_second_failure():
    since = MONDAY_NOON - timedelta(hours=1)
    loaded = failed_state(3, since)
    record = NotificationRecord(announced_at=since, failed_at=since)
    now = MONDAY_NOON
    current = policy.apply_result(loaded, BAD, 0, now)
    view = MonitorView("web", loaded, current)
    decision = decide(view, "mail", common(), record, now)
    assert decision.events == ()
    assert current.first_failure_at == since  # the outage's start continues


def test_recovered_while_process_was_down_gets_recovery_with_full_downtime():
    since = MONDAY_NOON - timedelta(hours=2)
    loaded = failed_state(5, since)
    record = NotificationRecord(
        announced_at=since, failed_at=since, last_virtual_fail_count=5
    )
    current = policy.apply_result(loaded, OK, 0, MONDAY_NOON)
    decision = decide(
        MonitorView("web", loaded, current), "m", common(), record, MONDAY_NOON
    )
    (event,) = decision.events
    assert event.kind is EventKind.RECOVERY
    assert event.downtime_seconds == 7200
    assert event.last_virtual_fail_count == 5
    assert decision.record == NotificationRecord()


def test_disabling_an_alerted_monitor_sends_a_final_recovery():
    since = MONDAY_NOON - timedelta(minutes=5)
    loaded = failed_state(2, since)
    record = NotificationRecord(announced_at=since, failed_at=since)
    current = policy.apply_disabled(loaded, "disabled", MONDAY_NOON)
    decision = decide(
        MonitorView("web", loaded, current), "m", common(), record, MONDAY_NOON
    )
    assert [e.kind for e in decision.events] == [EventKind.RECOVERY]
    assert decision.events[0].info == "disabled"


@pytest.mark.parametrize(
    ("record", "options", "sent"),
    [
        (NotificationRecord(announced_at=MONDAY_NOON), common(), True),
        (NotificationRecord(), common(), False),
        (NotificationRecord(held_since=MONDAY_NOON), common(), False),
        (
            NotificationRecord(announced_at=MONDAY_NOON),
            common(only_failures=True),
            False,
        ),
    ],
)
def test_removed_monitor_gets_final_notice_only_if_announced(record, options, sent):
    view = MonitorView("gone", MonitorState(), MonitorState())
    decision = decide_removed(view, "m", options, record, MONDAY_NOON)
    assert decision.record == NotificationRecord()
    assert [e.info for e in decision.events] == ([REMOVED_INFO] if sent else [])


def test_child_skipped_after_alert_still_recovers_when_it_runs_ok():
    # parent down → child skipped for a while; the child's outage was announced
    events = run("xxsssso", {"a": common()})
    assert events == [(0, "a", F), (6, "a", R)]


def test_catchup_record_survives_into_window_even_without_new_check():
    # a held failure is sent even if the monitor is not re-run in the round
    since = at(7)
    held = NotificationRecord(held_since=since)
    state = failed_state(4, since)
    view = MonitorView("web", state, state)
    decision = decide(view, "a", office(delay=True), held, at(9, 1))
    assert [e.kind for e in decision.events] == [EventKind.CATCHUP]
    assert decision.events[0].failed_at == since
    assert replace(decision.record, announced_at=None).held_since is None


def test_a_monitor_in_several_groups_alerts_alerters_of_any_of_them():
    alerters = {"db": common(groups=("db",)), "mail": common(groups=("mail",))}
    assert run("x", alerters, group="web,db") == [(0, "db", F)]


def test_recovery_carries_the_fail_count_reached_not_the_one_announced():
    since = MONDAY_NOON - timedelta(minutes=10)
    record = NotificationRecord(
        announced_at=since, failed_at=since, last_virtual_fail_count=1
    )
    before = failed_state(10, since)
    current = policy.apply_result(before, OK, 0, MONDAY_NOON)
    decision = decide(
        MonitorView("web", before, current), "m", common(), record, MONDAY_NOON
    )
    assert [e.last_virtual_fail_count for e in decision.events] == [10]


def test_held_recovery_keeps_the_fail_count_reached():
    record = NotificationRecord(
        announced_at=at(7), failed_at=at(7), last_virtual_fail_count=1
    )
    before = failed_state(6, at(7))
    current = policy.apply_result(before, OK, 0, at(7, 30))
    held = decide(MonitorView("web", before, current), "a", office(), record, at(7, 30))
    assert held.events == ()
    later = decide(
        MonitorView("web", current, current), "a", office(), held.record, at(9, 1)
    )
    assert [e.last_virtual_fail_count for e in later.events] == [6]


@pytest.mark.parametrize(
    "change", [{"notify": False}, {"urgent": False}, {"group": "elsewhere"}]
)
def test_recovery_is_still_sent_when_a_reload_unrouted_an_announced_monitor(change):
    since = MONDAY_NOON - timedelta(minutes=10)
    record = NotificationRecord(
        announced_at=since, failed_at=since, last_virtual_fail_count=2
    )
    before = failed_state(2, since)
    current = policy.apply_result(before, OK, 0, MONDAY_NOON)
    options = common(urgent=True)
    view = MonitorView("web", before, current, **change)
    decision = decide(view, "m", options, record, MONDAY_NOON)
    assert [e.kind for e in decision.events] == [EventKind.RECOVERY]
    still_failing = MonitorView("web", before, before, **change)
    assert decide(still_failing, "m", options, record, MONDAY_NOON).events == ()


# --- the notifier's shortcut ---

QUIET_OPTIONS = [
    {},
    {"urgent": True},
    {"groups": ("db",)},
    {"enabled": False},
    {"times_type": "only", "time_lower": time(1), "time_upper": time(2)},
    {
        "times_type": "only",
        "time_lower": time(1),
        "time_upper": time(2),
        "delay": True,
    },
    {"ooh_recovery": True},
    {"only_failures": True},
    {"allow_reminders": True},
]


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("options", QUIET_OPTIONS)
@pytest.mark.parametrize(
    "previous", [MonitorState(), MonitorState(Status.FAILED, 3, 3)]
)
def test_a_quiet_pair_is_one_decide_would_leave_alone(status, options, previous):
    current = MonitorState(status, failures=1, virtual_fail_count=1)
    view = MonitorView("web", previous, current, urgent=False, remind=timedelta(0))
    decision = decide(view, "a", common(**options), NotificationRecord(), MONDAY_NOON)
    assert is_quiet(status, NotificationRecord()) == (status is not Status.FAILED)
    if is_quiet(status, NotificationRecord()):
        assert decision == Decision((), NotificationRecord())


@pytest.mark.parametrize("status", list(Status))
def test_a_pair_with_a_record_is_never_quiet(status):
    for record in (
        NotificationRecord(announced_at=MONDAY_NOON),
        NotificationRecord(held_since=MONDAY_NOON),
        NotificationRecord(recovery_held_at=MONDAY_NOON),
    ):
        assert not is_quiet(status, record)


# --- found by mutation testing ---


@pytest.mark.parametrize(
    "change", [{"notify": False}, {"urgent": False}, {"group": "elsewhere"}]
)
def test_no_reminders_once_a_reload_unrouted_an_announced_monitor(change):
    # Only the recovery is still owed: reminders stop with the routing.
    since = MONDAY_NOON - timedelta(hours=2)
    record = NotificationRecord(
        announced_at=since, failed_at=since, last_virtual_fail_count=2
    )
    before = failed_state(2, since)
    current = policy.apply_result(before, BAD, 0, MONDAY_NOON)
    options = common(urgent=True, allow_reminders=True)
    routed = MonitorView("web", before, current, remind=HOURLY)
    assert [
        e.kind for e in decide(routed, "m", options, record, MONDAY_NOON).events
    ] == [EventKind.REMINDER]
    unrouted = MonitorView("web", before, current, remind=HOURLY, **change)
    assert decide(unrouted, "m", options, record, MONDAY_NOON).events == ()


def test_the_final_notice_of_a_removed_monitor_gives_fail_count_zero_and_the_last_one():
    since = MONDAY_NOON - timedelta(minutes=10)
    record = NotificationRecord(
        announced_at=since, failed_at=since, last_virtual_fail_count=1
    )
    view = MonitorView("gone", failed_state(4, since), MonitorState())
    (event,) = decide_removed(view, "m", common(), record, MONDAY_NOON).events
    assert (event.virtual_fail_count, event.last_virtual_fail_count) == (0, 4)
    assert event.downtime_seconds == 600


def test_an_alerter_enabled_again_gives_the_real_downtime_of_a_recovery_it_missed():
    # Told of a failure at 11:50, then disabled by a reload; the monitor recovers
    # at 12:00 (nothing sent: the alerter is off). Enabled again a day later, it
    # is sent the recovery owed, saying when the monitor really came back.
    since = MONDAY_NOON - timedelta(minutes=10)
    record = NotificationRecord(
        announced_at=since, failed_at=since, last_virtual_fail_count=1
    )
    before = failed_state(3, since)
    current = policy.apply_result(before, OK, 0, MONDAY_NOON)
    off = decide(
        MonitorView("web", before, current),
        "m",
        common(enabled=False),
        record,
        MONDAY_NOON,
    )
    assert off.events == ()
    still_off = decide(
        MonitorView("web", current, current),
        "m",
        common(enabled=False),
        off.record,
        MONDAY_NOON + HOURLY,
    )
    assert still_off.events == ()
    a_day_later = MONDAY_NOON + timedelta(days=1)
    on = decide(
        MonitorView("web", current, current),
        "m",
        common(),
        still_off.record,
        a_day_later,
    )
    (event,) = on.events
    assert event.kind is EventKind.RECOVERY
    assert event.downtime_seconds == 600
    assert event.last_virtual_fail_count == 3
    assert on.record == NotificationRecord()


def test_remind_zero_sends_no_reminders():
    events = run("x" * 5, {"a": common(allow_reminders=True)}, remind=timedelta(0))
    assert events == [(0, "a", F)]


@pytest.mark.parametrize("held", [False, True])
def test_a_recovery_gives_fail_count_zero(held):
    record = NotificationRecord(
        announced_at=at(7), failed_at=at(7), last_virtual_fail_count=3
    )
    before = failed_state(3, at(7))
    now = at(8) if held else at(10)
    current = policy.apply_result(before, OK, 0, now)
    decision = decide(
        MonitorView("web", before, current),
        "a",
        office(),
        record,
        now,
    )
    if held:
        decision = decide(
            MonitorView("web", current, current), "a", office(), decision.record, at(9)
        )
    (event,) = decision.events
    assert (event.virtual_fail_count, event.last_virtual_fail_count) == (0, 3)


def test_a_final_notice_with_no_known_start_gives_no_downtime():
    # A record stored without the outage's start (announced_at only): "down 0s",
    # not a made-up duration.
    view = MonitorView("gone", MonitorState(), MonitorState())
    record = NotificationRecord(announced_at=MONDAY_NOON - HOURLY)
    (event,) = decide_removed(view, "m", common(), record, MONDAY_NOON).events
    assert event.failed_at is None
    assert event.downtime_seconds == 0


def test_the_final_notice_of_a_monitor_removed_while_its_recovery_waited_ends_at_it():
    # Announced at 16:00, up again at 18:00 (out of hours: the recovery waits),
    # removed at 23:00: the notice says down 2 hours, not 7.
    record = NotificationRecord(
        announced_at=at(16), failed_at=at(16), last_virtual_fail_count=2
    )
    before = failed_state(2, at(16))
    current = policy.apply_result(before, OK, 0, at(18))
    held = decide(MonitorView("web", before, current), "a", office(), record, at(18))
    assert held.events == ()
    view = MonitorView("web", current, MonitorState())
    (event,) = decide_removed(view, "a", office(), held.record, at(23)).events
    assert event.info == REMOVED_INFO
    assert event.downtime_seconds == 2 * 3600
    assert event.last_virtual_fail_count == 2
