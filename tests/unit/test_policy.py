from datetime import UTC, datetime, timedelta

import pytest

from simplemon import policy
from simplemon.model import CheckResult, MonitorState, Status

T0 = datetime(2026, 1, 1, tzinfo=UTC)
OK = CheckResult(True, "fine", 0.1)
BAD = CheckResult(False, "refused", 0.2)


def run(sequence: str, tolerance: int) -> list[MonitorState]:
    state = MonitorState()
    states = []
    for i, step in enumerate(sequence):
        now = T0 + timedelta(minutes=i)
        if step == "s":
            state = policy.apply_skip(state, "skipped", now)
        else:
            state = policy.apply_result(
                state, OK if step == "o" else BAD, tolerance, now
            )
        states.append(state)
    return states


@pytest.mark.parametrize(
    ("sequence", "tolerance", "statuses", "vfcs"),
    [
        ("o", 0, "O", [0]),
        ("f", 0, "F", [1]),
        ("ff", 0, "FF", [1, 2]),
        ("fff", 2, "iiF", [0, 0, 1]),
        ("ffffo", 2, "iiFFO", [0, 0, 1, 2, 0]),
        ("fofff", 1, "iOiFF", [0, 0, 0, 1, 2]),
        ("ffsf", 1, "iFSF", [0, 1, 1, 2]),
        ("fsff", 1, "iSFF", [0, 0, 1, 2]),
    ],
)
def test_tolerance_table(sequence, tolerance, statuses, vfcs):
    letters = {
        "O": Status.OK,
        "F": Status.FAILED,
        "i": Status.FAILING,
        "S": Status.SKIPPED,
    }
    states = run(sequence, tolerance)
    assert [s.status for s in states] == [letters[c] for c in statuses]
    assert [s.virtual_fail_count for s in states] == vfcs


def test_skip_keeps_failure_streak_and_first_failure_time():
    states = run("ffsf", 0)
    assert states[2].failures == 2
    assert states[3].failures == 3
    assert states[3].first_failure_at == T0


def test_failed_at_is_when_tolerance_was_exceeded():
    states = run("offf", 1)
    assert states[1].first_failure_at == T0 + timedelta(minutes=1)
    assert states[1].failed_at is None
    assert states[2].failed_at == T0 + timedelta(minutes=2)
    assert states[3].failed_at == T0 + timedelta(minutes=2)


def test_success_clears_streak_and_counts_availability():
    final = run("ffo", 0)[-1]
    assert final.failures == 0
    assert final.first_failure_at is None
    assert (final.checks, final.successes) == (3, 1)


def test_last_change_only_moves_on_status_change():
    states = run("ooff", 0)
    assert states[1].last_change_at == T0
    assert states[2].last_change_at == T0 + timedelta(minutes=2)
    assert states[3].last_change_at == T0 + timedelta(minutes=2)


def test_blocking_dependency_counts_failing_failed_and_skipped():
    statuses = {"a": Status.OK, "b": Status.FAILING, "c": Status.SKIPPED}
    assert policy.blocking_dependency(("a",), statuses) is None
    assert policy.blocking_dependency(("a", "b"), statuses) == "b"
    assert policy.blocking_dependency(("c",), statuses) == "c"
    assert policy.blocking_dependency(("a",), {"a": Status.DISABLED}) is None


def test_a_failed_outage_stays_failed_when_a_reload_raises_tolerance():
    failed = run("ff", 0)[-1]  # announced: FAILED, virtual fail count 2
    later = policy.apply_result(failed, BAD, 5, T0 + timedelta(minutes=2))
    assert (later.status, later.virtual_fail_count) == (Status.FAILED, 3)
    assert later.failed_at == failed.failed_at
    assert policy.apply_result(later, OK, 5, T0).status == Status.OK


def test_a_failing_monitor_within_a_raised_tolerance_keeps_counting_against_it():
    failing = run("f", 1)[-1]
    later = policy.apply_result(failing, BAD, 5, T0 + timedelta(minutes=1))
    assert (later.status, later.virtual_fail_count) == (Status.FAILING, 0)


def test_a_monitor_enabled_again_gets_its_whole_tolerance_back():
    # Failed once within tolerance 1, then disabled: once enabled again, one failure
    # is still within tolerance (no alert), the second one fails it.
    failing = run("f", 1)[-1]
    disabled = policy.apply_disabled(failing, "disabled", T0 + timedelta(minutes=1))
    assert (disabled.failures, disabled.virtual_fail_count) == (0, 0)
    once = policy.apply_result(disabled, BAD, 1, T0 + timedelta(minutes=2))
    assert (once.status, once.virtual_fail_count) == (Status.FAILING, 0)
    twice = policy.apply_result(once, BAD, 1, T0 + timedelta(minutes=3))
    assert (twice.status, twice.virtual_fail_count) == (Status.FAILED, 1)


def test_status_page_since_of_a_skipped_monitor_is_when_the_skip_began():
    states = run("oss", 0)
    assert states[1].last_change_at == T0 + timedelta(minutes=1)
    assert states[2].last_change_at == T0 + timedelta(minutes=1)


def test_status_page_since_of_a_disabled_monitor_is_when_it_was_disabled():
    ok = run("o", 0)[-1]
    first = policy.apply_disabled(ok, "disabled", T0 + timedelta(minutes=1))
    again = policy.apply_disabled(first, "disabled", T0 + timedelta(minutes=2))
    assert first.last_change_at == T0 + timedelta(minutes=1)
    assert again.last_change_at == T0 + timedelta(minutes=1)
