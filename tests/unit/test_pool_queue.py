"""A check queued for a worker thread counts its time from its start (issue 5's bench:
400 one-second http checks on 32 threads were failed as "did not finish within 5s"
without ever starting); a queue behind workers stuck for good still gives up."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

from simplemon.common import MainOptions, MonitorCommon
from simplemon.config import Config
from simplemon.model import CheckResult, Status
from simplemon.monitor import Monitor
from simplemon.record import record
from simplemon.scheduler import Scheduler
from simplemon.sections import PluginConfig


@record
class NoOptions:
    pass


class Sleeper(Monitor[NoOptions]):
    """A healthy check that takes ``takes`` seconds, or waits for ``block``."""

    type_name = "sleeper"
    Options = NoOptions

    def __init__(self, name, *, takes=0.0, timeout=5.0, block=None):
        super().__init__(name, NoOptions())
        self.takes = takes
        self.timeout = timeout
        self.block = block
        self.calls = 0

    def check(self) -> CheckResult:
        self.calls += 1
        if self.block is not None:
            self.block.wait(30)
        time.sleep(self.takes)
        return CheckResult(True, "fine", self.takes)

    def timeout_seconds(self) -> float:
        return self.timeout


def scheduler(monitors, *, workers, margin, clock=time.monotonic):
    entries = tuple(
        PluginConfig(m.name, "sleeper", MonitorCommon(type="sleeper"), m, "m.ini")
        for m in monitors
    )
    main = MainOptions(interval=timedelta(seconds=60))
    config = Config(Path("monitor.ini"), main, entries, (), ())
    return Scheduler(config, max_workers=workers, deadline_margin=margin, clock=clock)


def messages(s: Scheduler) -> dict[str, str]:
    return {name: state.last_message for name, state in s.states.items()}


def test_checks_waiting_for_the_one_worker_are_not_failed_before_they_start():
    # Each takes 0.2 s of its 0.5 s (+0.2 s margin): all five are healthy, but the
    # fourth and fifth end 0.8 and 1.0 s after they were queued.
    checks = [Sleeper(f"s{i}", takes=0.2, timeout=0.5) for i in range(5)]
    s = scheduler(checks, workers=1, margin=0.2)
    try:
        report = s.run_once()
        assert messages(s) == {f"s{i}": "fine" for i in range(5)}
        assert report.failed == []
    finally:
        s.executor.shutdown()


def test_a_queue_behind_a_stuck_worker_gives_up_and_says_so():
    release = threading.Event()
    stuck = Sleeper("stuck", timeout=0.1, block=release)
    queued = Sleeper("queued", timeout=0.1)
    now = [0.0]  # the rounds' clock; deadlines run on the real one
    s = scheduler([stuck, queued], workers=1, margin=0.1, clock=lambda: now[0])
    try:
        started = time.monotonic()
        s.run_once(tick=0.0)
        assert time.monotonic() - started < 5  # the round ended on its own
        assert messages(s) == {
            "stuck": "check did not finish within 0.1s",
            "queued": "check did not start within 0.1s: no worker was free",
        }
        assert queued.calls == 0
        now[0] = 60.0
        s.run_once(tick=60.0)  # still stuck: neither runs twice
        assert messages(s) == {
            "stuck": "previous check is still running",
            "queued": "previous check is still waiting for a worker thread",
        }
        assert (stuck.calls, queued.calls) == (1, 0)
    finally:
        release.set()
        s.executor.shutdown(5)
    assert queued.calls == 1  # it ran once the worker was free; never twice
    assert s.states["queued"].status is Status.FAILED
