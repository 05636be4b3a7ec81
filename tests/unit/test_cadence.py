"""The daemon's rhythm, driven directly with a fake clock: no scheduler, no threads."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

from simplemon.cadence import SPREAD_SHARE, run_rounds, start_offsets


@dataclass
class Report:
    number: int


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def rounds(clock, work, intervals, loops, **kw):
    """Run ``loops`` rounds; round k takes work[k] seconds; return their ticks."""
    ticks: list[float] = []

    def run_round(tick):
        ticks.append(tick - 100.0)
        clock.now += work[len(ticks) - 1]
        return Report(len(ticks))

    interval = iter(intervals)
    count = run_rounds(
        run_round,
        lambda: next(interval),
        clock,
        threading.Event(),
        loops=loops,
        sleep=clock.sleep,
        **kw,
    )
    assert count == loops
    return ticks


def test_ticks_are_fixed_however_long_each_round_takes():
    clock = Clock()
    assert rounds(clock, [1, 9, 0, 5], [10] * 4, 4) == [0, 10, 20, 30]


def test_an_overrun_starts_the_next_round_at_once_and_the_rhythm_restarts_there(
    caplog,
):
    clock = Clock()
    # Round 1 takes 25 s of a 10 s interval: tick 10 is late, tick 20 is dropped.
    # Round 2 starts at once (25), and round 3 a full interval after it, not at the
    # old grid's 30: no monitor is ever checked twice within less than an interval.
    assert rounds(clock, [25, 1, 1], [10] * 3, 3) == [0, 25, 35]
    assert "round 1 overran the 10s interval; skipping 1 tick\n" in caplog.text


def test_an_overrun_by_less_than_an_interval_says_the_next_round_starts_at_once(
    caplog,
):
    clock = Clock()
    # Round 1 takes 15 s of a 10 s interval: no tick is skipped, round 2 runs at 15.
    assert rounds(clock, [15, 1], [10] * 2, 2) == [0, 15]
    assert (
        "round 1 overran the 10s interval; the next round starts at once" in caplog.text
    )
    assert "skipping" not in caplog.text


def test_an_overrun_by_several_intervals_counts_the_ticks_skipped(caplog):
    clock = Clock()
    assert rounds(clock, [35, 1], [10] * 2, 2) == [0, 35]
    # Ticks 10, 20 and 30 passed: the round at 35 stands for 10; 20 and 30 are dropped.
    assert "round 1 overran the 10s interval; skipping 2 ticks" in caplog.text


def test_a_new_interval_applies_from_the_next_tick():
    clock = Clock()
    # A reload during round 2 makes the interval 30 s.
    assert rounds(clock, [0, 0, 0, 0], [10, 30, 30, 30], 4) == [0, 10, 40, 70]


def test_waits_are_cut_into_seconds_so_signals_are_handled_between_rounds():
    clock = Clock()
    calls: list[float] = []
    rounds(
        clock, [0.5, 0], [3.5, 3.5], 2, between_rounds=lambda: calls.append(clock.now)
    )
    assert clock.slept == [1.0, 1.0, 1.0]
    assert calls == [101.5, 102.5, 103.5]


def test_each_report_is_handed_over_in_order():
    clock = Clock()
    seen: list[int] = []
    rounds(clock, [0, 0, 0], [5] * 3, 3, on_round=lambda r: seen.append(r.number))
    assert seen == [1, 2, 3]


def test_a_stop_during_the_wait_ends_the_loop_without_another_round():
    stop = threading.Event()
    clock = Clock()
    ran: list[float] = []

    def run_round(tick):
        ran.append(tick)
        return Report(len(ran))

    def sleep(seconds):
        clock.now += seconds
        stop.set()

    assert run_rounds(run_round, lambda: 60.0, clock, stop, sleep=sleep) == 1
    assert ran == [100.0]


def test_no_offsets_while_every_monitor_has_a_worker():
    assert start_offsets(["a", "b"], workers=2, interval=60.0) == {}


@pytest.mark.parametrize(("count", "workers"), [(3, 2), (10, 3), (100, 32)])
def test_batches_of_workers_start_evenly_over_the_first_part_of_the_interval(
    count, workers
):
    order = [f"m{i}" for i in range(count)]
    offsets = start_offsets(order, workers=workers, interval=60.0)
    batches = -(-count // workers)
    step = SPREAD_SHARE * 60.0 / batches
    assert [offsets[n] for n in order] == [(k // workers) * step for k in range(count)]
    assert max(offsets.values()) < SPREAD_SHARE * 60.0
    # Each batch is at most ``workers`` monitors.
    assert max(list(offsets.values()).count(v) for v in offsets.values()) <= workers


def test_signals_and_reloads_are_handled_between_rounds_that_overrun():
    # Every round takes longer than the interval, so there is never a wait: a
    # SIGHUP or a touched hup_file must still be acted on between two rounds
    # (before, the daemon reloaded only while waiting, i.e. never).
    clock = Clock()
    calls: list[float] = []
    rounds(
        clock, [25, 25, 25], [10] * 3, 3, between_rounds=lambda: calls.append(clock.now)
    )
    assert calls == [125.0, 150.0]


def test_a_round_that_ends_exactly_on_the_next_tick_is_followed_by_between_rounds():
    clock = Clock()
    calls: list[float] = []
    rounds(clock, [10, 10], [10] * 2, 2, between_rounds=lambda: calls.append(clock.now))
    assert calls == [110.0]


def run_with_reload(reload_at, intervals, due_now=None, loops=3):
    """Run ``loops`` instant rounds; a reload at clock ``reload_at`` (from 100)
    switches the interval from intervals[0] to intervals[1]; return the ticks."""
    clock = Clock()
    ticks: list[float] = []
    current = [intervals[0]]

    def run_round(tick):
        ticks.append(tick - 100.0)
        return Report(len(ticks))

    def between_rounds():
        if clock.now - 100.0 == reload_at:
            current[0] = intervals[1]
            return True
        return False

    run_rounds(
        run_round,
        lambda: current[0],
        clock,
        threading.Event(),
        loops=loops,
        sleep=clock.sleep,
        between_rounds=between_rounds,
        due_now=due_now,
    )
    return ticks


def test_a_reload_that_shortens_the_interval_does_not_wait_out_the_old_one():
    # interval 60 -> 10 by a reload 5 s after round 1: the next round is 10 s after
    # round 1, not 60 s (a long interval made the daemon sit on its new settings).
    assert run_with_reload(5, [60, 10]) == [0, 10, 20]


def test_a_reload_that_shortens_the_interval_past_now_runs_a_round_at_once():
    assert run_with_reload(30, [60, 10]) == [0, 30, 40]


def test_a_reload_that_lengthens_the_interval_counts_it_from_the_last_round():
    assert run_with_reload(5, [10, 60]) == [0, 60, 120]


def test_a_reload_with_checks_due_now_runs_them_without_moving_the_rhythm():
    # A monitor added by the reload is checked at once (round at 5); the others
    # keep their ticks (60, 120).
    asked: list[int] = []

    def due_now():
        asked.append(1)
        return True

    assert run_with_reload(5, [60, 60], due_now=due_now, loops=3) == [0, 5, 60]
    assert asked == [1]


def test_a_reload_with_nothing_due_now_runs_no_extra_round():
    assert run_with_reload(5, [60, 60], due_now=lambda: False) == [0, 60, 120]
