"""Loggers write beside the rounds: the backlog's decisions, and the feed's threads."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from simplemon.common import LoggerCommon
from simplemon.errors import DeliveryError
from simplemon.logger import ResultLogger
from simplemon.logger_backlog import (
    MAX_HELD_ROUNDS,
    MIN_HELD_ROUNDS,
    Backlog,
    history_limit,
)
from simplemon.logger_feed import LoggerFeeds
from simplemon.model import MonitorSnapshot, MonitorState, Snapshot, Status
from simplemon.record import record
from simplemon.sections import PluginConfig

T = datetime(2026, 1, 1, tzinfo=UTC)
WAIT = 10.0  # seconds any test waits for a thread, at most


def snap(number: int, monitors: int = 1) -> Snapshot:
    entries = tuple(
        MonitorSnapshot(f"m{i}", "tcp", "", MonitorState(), True)
        for i in range(monitors)
    )
    return Snapshot(T, number, "h", 60.0, entries)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# --- the backlog (pure) ------------------------------------------------------------


def test_rounds_coming_in_quick_succession_are_not_falling_behind():
    clock = Clock()
    for every_round in (True, False):
        backlog = Backlog("log", every_round=every_round, clock=clock)
        backlog.put(snap(1))
        backlog.take()
        for n in range(2, 5):  # a reload's early rounds, a fraction of a second apart
            clock.now += 0.1
            assert backlog.put(snap(n)) == []
        assert backlog.done() is None
        while backlog.take() is not None:
            assert backlog.done() is None
        # A status logger's rounds superseded then are not counted in a later episode.
        backlog.put(snap(5))
        backlog.take()
        clock.now += 60
        assert backlog.put(snap(6)) == []
        clock.now += 60
        assert len(backlog.put(snap(7))) == 1
        backlog.done()
        while backlog.take() is not None:
            line = backlog.done()
        assert line is not None
        assert line.endswith(
            ": 2 rounds written late, 0 dropped"
            if every_round
            else ": 1 round written late, 1 skipped (a later one was due)"
        )


def test_a_superseded_status_round_now_and_then_is_never_reported():
    clock = Clock()
    backlog = Backlog("page", every_round=False, clock=clock)
    for n in range(1, 40, 2):
        backlog.put(snap(n))
        backlog.take()
        clock.now += 0.5
        assert backlog.put(snap(n + 1)) == []  # supersedes nothing: one waits
        clock.now += 0.5
        backlog.done()
        assert backlog.take() == snap(n + 1)
        assert backlog.done() is None
    assert not backlog.behind


def test_history_limit_is_bounded_by_results_and_rounds():
    assert history_limit(1) == MAX_HELD_ROUNDS
    assert history_limit(1000) == 50
    assert history_limit(1_000_000) == MIN_HELD_ROUNDS
    assert history_limit(0) == MAX_HELD_ROUNDS


def test_a_logger_that_keeps_up_is_never_reported():
    backlog = Backlog("log", every_round=True, clock=Clock())
    for n in range(1, 5):
        assert backlog.put(snap(n)) == []
        assert backlog.take() == snap(n)
        assert backlog.done() is None


def test_one_round_waiting_is_not_behind_two_are_then_one_line_until_caught_up():
    clock = Clock()
    backlog = Backlog("log", every_round=True, clock=clock)
    backlog.put(snap(1))
    backlog.take()  # round 1 hangs
    clock.now += 60
    assert backlog.put(snap(2)) == []
    clock.now += 60
    [line] = backlog.put(snap(3))
    assert line == (
        "logger log: fell behind, still at round 1 after 120.0s; 2 rounds wait "
        f"(it keeps up to {MAX_HELD_ROUNDS}, then drops the oldest)"
    )
    for n in range(4, 10):
        clock.now += 60
        assert backlog.put(snap(n)) == []  # never a line per round
    clock.now += 30  # round 1's write returns
    assert backlog.done() is None  # rounds still wait
    written = []
    caught_up: str | None = None
    while (s := backlog.take()) is not None:
        written.append(s.round_number)
        caught_up = backlog.done()
    assert written == list(range(2, 10))
    assert caught_up == (
        "logger log: caught up after 450.0s behind: 8 rounds written late, 0 dropped"
    )
    assert not backlog.behind


def test_a_full_history_backlog_drops_the_oldest_and_says_so_once():
    clock = Clock()
    backlog = Backlog("db", every_round=True, clock=clock)
    monitors = 10_000  # 5 rounds' worth: held at the floor of 10
    backlog.put(snap(1, monitors))
    backlog.take()
    lines = []
    for n in range(2, 16):
        clock.now += 60
        lines += backlog.put(snap(n, monitors))
    assert [s.round_number for s in backlog.waiting] == list(range(6, 16))
    assert len(lines) == 2
    assert "fell behind" in lines[0]
    assert lines[1] == (
        "logger db: 10 rounds are waiting, the most it keeps; from now on the "
        "oldest is dropped for each new one"
    )
    assert backlog.unwritten() == 11
    backlog.done()
    while backlog.take() is not None:
        line = backlog.done()
    assert line is not None
    assert line.endswith(": 10 rounds written late, 4 dropped")


def test_a_status_logger_keeps_only_the_latest_round():
    clock = Clock()
    backlog = Backlog("page", every_round=False, clock=clock)
    backlog.put(snap(1))
    backlog.take()
    clock.now += 60
    assert backlog.put(snap(2)) == []
    clock.now += 60
    [line] = backlog.put(snap(3))
    assert line.endswith("; only the latest round will be written")
    clock.now += 60
    assert backlog.put(snap(4)) == []
    assert [s.round_number for s in backlog.waiting] == [4]
    backlog.done()
    assert backlog.take() == snap(4)
    caught_up = backlog.done()
    assert caught_up is not None
    assert caught_up.endswith(": 1 round written late, 2 skipped (a later one was due)")


def test_behind_again_after_catching_up_is_reported_again():
    clock = Clock()
    backlog = Backlog("log", every_round=True, clock=clock)
    for episode in range(2):
        lines = []
        backlog.put(snap(10 * episode))
        backlog.take()
        for n in range(1, 4):
            clock.now += 60
            lines += backlog.put(snap(10 * episode + n))
        assert len(lines) == 1
        backlog.done()
        while backlog.take() is not None:
            line = backlog.done()
        assert line is not None
        assert "3 rounds written late" in line


# --- the feeds (real threads) ------------------------------------------------------


@record
class Opts:
    target: str = "a"


class Gate(ResultLogger[Opts]):
    """A logger whose writes block while its gate is closed; notes what it did."""

    type_name = "gate"
    Options = Opts

    def __init__(self, name: str = "log", options: Opts | None = None, **kw: Any):
        super().__init__(name, options or Opts(), LoggerCommon(type="gate", **kw))
        self.gate = threading.Event()
        self.gate.set()
        self.calls: list[str] = []
        self.active = 0
        self.overlapped = False
        self.entered = threading.Event()
        self.fail = False

    def _enter(self, what: str) -> None:
        self.active += 1
        self.overlapped |= self.active > 1
        self.entered.set()
        assert self.gate.wait(WAIT)
        self.calls.append(what)
        self.active -= 1

    def write(self, snapshot: Snapshot) -> None:
        self._enter(f"write {snapshot.round_number}")
        if self.fail:
            raise DeliveryError("disk full")

    def reopen(self) -> None:
        self._enter("reopen")

    def stopped(self, at: datetime) -> None:
        self._enter(f"stopped {at:%H:%M}")
        if self.fail:
            raise RuntimeError("template broken")

    def close(self) -> None:
        self._enter("close")


def config(plugin: Gate) -> PluginConfig:
    return PluginConfig(plugin.name, "gate", plugin.common, plugin, "monitor.ini")


OK = {"m0": Status.OK}


def test_a_hung_logger_never_holds_up_the_hand_off_and_writes_in_order_later():
    hung, healthy = Gate("hung", groups=("_all",)), Gate("fine", groups=("_all",))
    hung.gate.clear()
    feeds = LoggerFeeds([config(hung), config(healthy)])
    for n in range(1, 6):
        feeds.hand_off(snap(n), OK)  # returns at once although "hung" is stuck
    assert hung.entered.wait(WAIT)
    assert feeds.close(0.05) == ["hung"]
    assert healthy.calls == [*(f"write {n}" for n in range(1, 6)), "close"]
    hung.gate.set()  # the share is back: what it was given is written in order
    assert wait(lambda: hung.calls[-1:] == ["close"])
    assert hung.calls == [*(f"write {n}" for n in range(1, 6)), "close"]
    assert not hung.overlapped


def test_a_stop_names_the_hung_logger_and_what_it_did_not_write(caplog):
    hung = Gate("results", groups=("_all",))
    hung.gate.clear()
    feeds = LoggerFeeds([config(hung)])
    for n in range(1, 4):
        feeds.hand_off(snap(n), OK)
    assert hung.entered.wait(WAIT)
    with caplog.at_level(logging.WARNING):
        assert feeds.close(0.1) == ["results"]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert errors[0].startswith("logger results: still at round 1 after waiting 0.")
    assert errors[0].endswith("stopping without it: 3 rounds not written")
    hung.gate.set()


def test_reopen_and_a_reload_of_the_same_logger_never_run_beside_a_write():
    old = Gate("log", groups=("_all",))
    old.gate.clear()
    feeds = LoggerFeeds([config(old)])
    feeds.hand_off(snap(1), OK)
    assert old.entered.wait(WAIT)
    feeds.hand_off(snap(2), OK)
    new = Gate("log", groups=("_all",))  # logrotate's SIGHUP: same settings
    feeds.reload([config(new)])
    feeds.reopen()
    feeds.hand_off(snap(3), OK)
    old.gate.set()
    assert feeds.close(WAIT) == []
    # The old one finishes its write and is closed before the new one starts;
    # the round that waited is written by the new one, in order.
    assert old.calls == ["write 1", "close"]
    assert new.calls == ["reopen", "write 2", "write 3", "close"]


def test_a_reload_that_changes_or_removes_a_logger_does_not_wait_behind_it():
    old, gone = Gate("log", groups=("_all",)), Gate("gone", groups=("_all",))
    old.gate.clear()
    feeds = LoggerFeeds([config(old), config(gone)])
    feeds.hand_off(snap(1), OK)
    feeds.hand_off(snap(2), OK)
    assert old.entered.wait(WAIT)
    moved = Gate("log", Opts(target="b"), groups=("_all",))  # pointed elsewhere
    feeds.reload([config(moved)])
    feeds.hand_off(snap(3), OK)
    assert wait(lambda: moved.calls == ["write 3"])  # not behind the hung one
    assert wait(lambda: gone.calls == ["write 1", "write 2", "close"])
    old.gate.set()
    assert feeds.close(WAIT) == []
    assert old.calls == ["write 1", "write 2", "close"]  # its history, then closed
    assert moved.calls == ["write 3", "close"]


def test_a_failing_write_is_logged_once_and_its_end_once(caplog):
    plugin = Gate("log", groups=("_all",))
    plugin.fail = True
    feeds = LoggerFeeds([config(plugin)])
    with caplog.at_level(logging.WARNING):
        for n in range(1, 4):
            feeds.hand_off(snap(n), OK)
        assert wait(lambda: len(plugin.calls) == 3)
        plugin.fail = False
        feeds.hand_off(snap(4), OK)
        assert feeds.close(WAIT) == []
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "logger log: write failed: disk full",
        "logger log: writing again (the problem lasted 3 rounds)",
    ]


@pytest.mark.parametrize("depend_status", [Status.FAILED, Status.OK])
def test_enabled_groups_and_depend_are_decided_at_hand_off(depend_status):
    off = Gate("off", enabled=False, groups=("_all",))
    dep = Gate("dep", depend=("m0",), groups=("_all",))
    feeds = LoggerFeeds([config(off), config(dep)])
    feeds.hand_off(snap(1), {"m0": depend_status})
    assert feeds.close(WAIT) == []
    assert off.calls == ["close"]
    written = ["write 1"] if depend_status is Status.OK else []
    assert dep.calls == [*written, "close"]


STOP = datetime(2026, 1, 1, 19, 40, tzinfo=UTC)


def test_a_final_stop_calls_stopped_once_after_the_last_write_and_before_close():
    slow, off = Gate("slow", groups=("_all",)), Gate("off", enabled=False)
    slow.gate.clear()
    feeds = LoggerFeeds([config(slow), config(off)])
    for n in range(1, 3):
        feeds.hand_off(snap(n), OK)
    assert slow.entered.wait(WAIT)
    slow.gate.set()  # the rounds still waiting are written before the stop's call
    assert feeds.close(WAIT, stopped_at=STOP) == []
    assert slow.calls == ["write 1", "write 2", "stopped 19:40", "close"]
    assert off.calls == ["close"]  # a disabled logger is not told


def test_a_close_that_is_not_a_final_stop_never_calls_stopped():
    plugin = Gate("log", groups=("_all",))
    feeds = LoggerFeeds([config(plugin)])
    feeds.hand_off(snap(1), OK)
    assert feeds.close(WAIT) == []
    assert plugin.calls == ["write 1", "close"]


def test_a_reload_s_removed_logger_is_closed_but_not_told_of_the_final_stop():
    gone, kept = Gate("gone", groups=("_all",)), Gate("kept", groups=("_all",))
    gone.gate.clear()
    feeds = LoggerFeeds([config(gone), config(kept)])
    feeds.hand_off(snap(1), OK)
    assert gone.entered.wait(WAIT)
    again = Gate("kept", groups=("_all",))  # the reload's instance, same settings
    feeds.reload([config(again)])
    gone.gate.set()
    assert feeds.close(WAIT, stopped_at=STOP) == []
    assert gone.calls == ["write 1", "close"]
    assert kept.calls == ["write 1", "close"]
    assert again.calls == ["stopped 19:40", "close"]


def test_a_failing_stopped_is_logged_and_the_logger_still_closed(caplog):
    broken, fine = Gate("broken", groups=("_all",)), Gate("fine", groups=("_all",))
    feeds = LoggerFeeds([config(broken), config(fine)])
    feeds.hand_off(snap(1), OK)
    assert wait(lambda: broken.calls == ["write 1"])
    broken.fail = True
    with caplog.at_level(logging.WARNING):
        assert feeds.close(WAIT, stopped_at=STOP) == []
    assert broken.calls == ["write 1", "stopped 19:40", "close"]
    assert fine.calls == ["write 1", "stopped 19:40", "close"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        "logger broken: internal error in stopped"
    ]
    assert feeds.problems.failed("broken", "internal error") is False  # counted


def wait(predicate: Any, timeout: float = WAIT) -> bool:
    done = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return True
        done.wait(0.01)
    return bool(predicate())
