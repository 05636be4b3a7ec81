"""Start spreading in the daemon: deterministic offsets, driven by the fake clock."""

import threading
from datetime import timedelta
from pathlib import Path

from simplemon.common import MainOptions, MonitorCommon
from simplemon.config import Config
from simplemon.model import CheckResult
from simplemon.monitor import Monitor
from simplemon.record import record
from simplemon.scheduler import Scheduler
from simplemon.sections import PluginConfig


@record
class NoOptions:
    pass


class StartRecorder(Monitor[NoOptions]):
    type_name = "rec"
    Options = NoOptions

    def __init__(self, name, clock, starts):
        super().__init__(name, NoOptions())
        self.clock = clock
        self.starts = starts

    def check(self) -> CheckResult:
        self.starts.append((self.name, round(self.clock.monotonic() - 1000, 6)))
        return CheckResult(True, "fine", 0.0)


def scheduler(clock, starts, count, workers, depend=None):
    depend = depend or {}
    monitors = tuple(
        PluginConfig(
            f"m{i}",
            "rec",
            MonitorCommon(type="rec", depend=depend.get(f"m{i}", ())),
            StartRecorder(f"m{i}", clock, starts),
            "m.ini",
        )
        for i in range(count)
    )
    config = Config(
        Path("monitor.ini"),
        MainOptions(interval=timedelta(seconds=30)),
        monitors,
        (),
        (),
    )
    return Scheduler(
        config,
        clock=clock.monotonic,
        now=clock.now,
        max_workers=workers,
        sleep=clock.advance,
    )


def test_daemon_spreads_batches_of_workers_over_half_the_interval(clock):
    starts: list[tuple[str, float]] = []
    s = scheduler(clock, starts, 10, workers=2)
    s.run_forever(threading.Event(), loops=2)
    first = dict(starts[:10])
    # 5 batches of 2 over 15 s (half of interval=30): one batch every 3 s.
    assert first == {f"m{i}": (i // 2) * 3.0 for i in range(10)}
    second = dict(starts[10:])
    assert second == {name: t + 30 for name, t in first.items()}


def test_one_shot_round_starts_everything_at_once(clock):
    starts: list[tuple[str, float]] = []
    s = scheduler(clock, starts, 10, workers=2)
    s.run_once()
    assert sorted(t for _, t in starts) == [0.0] * 10


def test_no_spreading_when_workers_cover_every_monitor(clock):
    starts: list[tuple[str, float]] = []
    s = scheduler(clock, starts, 4, workers=4)
    assert s.start_offsets() == {}
    s.run_forever(threading.Event(), loops=1)
    assert [t for _, t in starts] == [0.0] * 4


def test_spread_dependent_starts_after_its_dependency_and_its_own_offset(clock):
    starts: list[tuple[str, float]] = []
    s = scheduler(clock, starts, 6, workers=1, depend={"m1": ("m4",)})
    offsets = s.start_offsets()
    s.run_forever(threading.Event(), loops=1)
    started = dict(starts)
    assert started["m1"] >= started["m4"]
    assert all(started[n] >= offsets[n] for n in started)
    assert len(started) == 6


def test_a_released_dependent_does_not_wait_behind_later_monitors(clock):
    # m5 depends on m0; once m0 is done, m5 (offset 2.5 s) must start at its own
    # offset, not after m9 (the last batch) as a FIFO queue would make it.
    starts: list[tuple[str, float]] = []
    s = scheduler(clock, starts, 10, workers=2, depend={"m5": ("m0",)})
    offsets = s.start_offsets()
    s.run_forever(threading.Event(), loops=1)
    started = dict(starts)
    assert started["m5"] == offsets["m5"]
    assert [name for name, _ in starts].index("m5") < [n for n, _ in starts].index("m9")


def test_stop_during_a_spread_round_starts_the_rest_at_once(clock):
    starts: list[tuple[str, float]] = []
    stop = threading.Event()
    s = scheduler(clock, starts, 10, workers=2)

    def sleep(seconds: float) -> None:
        clock.advance(seconds)
        if clock.monotonic() - 1000 >= 6:
            stop.set()

    s.sleep = sleep
    s.run_forever(stop, loops=5)
    assert len(starts) == 10  # the round completes, nothing is dropped
    assert max(t for _, t in starts) == 6.0  # the rest started at once, not at 12 s
    assert s.round_number == 1


def test_a_monitor_added_by_a_reload_starts_at_once_not_at_its_spread_offset(clock):
    # m10, added 25 s into a 30 s interval, would sit 12.5 s at its offset in a
    # spread round: past the next tick, which then ran late with an overrun warning.
    starts: list[tuple[str, float]] = []
    s = scheduler(clock, starts, 10, workers=2)
    bigger = scheduler(clock, starts, 11, workers=2).config
    reloaded: list[bool] = []

    def between_rounds():
        if not reloaded and clock.monotonic() - 1000 >= 25:
            s.reload(bigger)
            reloaded.append(True)
            return True
        return False

    s.run_forever(threading.Event(), loops=3, between_rounds=between_rounds)
    assert starts[10] == ("m10", 25.0)
    assert starts[11] == ("m0", 30.0)  # the regular tick kept its time
