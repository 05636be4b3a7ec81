import threading
from datetime import timedelta
from pathlib import Path

import pytest

from simplemon.common import LoggerCommon, MainOptions, MonitorCommon
from simplemon.config import Config
from simplemon.errors import DeliveryError
from simplemon.logger import ResultLogger
from simplemon.model import CheckResult, MonitorState, Snapshot, Status
from simplemon.monitor import Monitor
from simplemon.probe import Probe
from simplemon.probe_loop import ProbeLoop
from simplemon.record import record
from simplemon.scheduler import Scheduler
from simplemon.sections import PluginConfig


@record
class FakeOptions:
    pass


class FakeMonitor(Monitor[FakeOptions]):
    """Return scripted results; record calls."""

    type_name = "fake"
    Options = FakeOptions

    def __init__(
        self, name, script="o", *, clock=None, takes=0.0, timeout=5.0, block=None
    ):
        super().__init__(name, FakeOptions())
        self.script = script
        self.calls = 0
        self.clock = clock
        self.takes = takes
        self.timeout = timeout
        self.block = block

    def check(self) -> CheckResult:
        step = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        if self.clock is not None and self.takes:
            self.clock.advance(self.takes)
        if self.block is not None:
            self.block.wait(10)
        if step == "x":
            raise RuntimeError("boom")
        return CheckResult(step == "o", "fine" if step == "o" else "broken", 0.01)

    def timeout_seconds(self) -> float:
        return self.timeout


class RecordingLogger(ResultLogger[FakeOptions]):
    type_name = "recording"
    Options = FakeOptions

    def __init__(self, name="rec", fail=False, **common):
        super().__init__(name, FakeOptions(), LoggerCommon(type="recording", **common))
        self.snapshots: list[Snapshot] = []
        self.fail = fail

    def write(self, snapshot: Snapshot) -> None:
        if self.fail:
            raise DeliveryError("disk full")
        self.snapshots.append(snapshot)


def make_config(monitors, loggers=(), interval=30):
    entries = []
    for plugin, common in monitors:
        entries.append(
            PluginConfig(
                plugin.name,
                "fake",
                MonitorCommon(type="fake", **common),
                plugin,
                "m.ini",
            )
        )
    log_entries = tuple(
        PluginConfig(lg.name, "recording", lg.common, lg, "monitor.ini")
        for lg in loggers
    )
    return Config(
        Path("monitor.ini"),
        MainOptions(interval=timedelta(seconds=interval)),
        tuple(entries),
        (),
        log_entries,
    )


def make(monitors, clock, **kw):
    loggers = kw.pop("loggers", ())
    config = make_config(monitors, loggers, kw.pop("interval", 30))
    return Scheduler(config, clock=clock.monotonic, now=clock.now, max_workers=4, **kw)


def test_failed_dependency_skips_dependents_without_running_them(clock):
    parent = FakeMonitor("parent", "f")
    child = FakeMonitor("child")
    grandchild = FakeMonitor("grandchild")
    other = FakeMonitor("other")
    s = make(
        [
            (grandchild, {"depend": ("child",)}),
            (child, {"depend": ("parent",)}),
            (parent, {}),
            (other, {}),
        ],
        clock,
    )
    report = s.run_once()
    assert (child.calls, grandchild.calls, other.calls) == (0, 0, 1)
    assert s.states["child"].status is Status.SKIPPED
    assert s.states["grandchild"].status is Status.SKIPPED
    assert s.states["child"].last_message == "depends on parent, which is failed"
    assert sorted(report.skipped) == ["child", "grandchild"]
    assert report.failed == ["parent"]


def test_failure_within_tolerance_still_skips_dependents(clock):
    parent = FakeMonitor("parent", "fo")
    child = FakeMonitor("child")
    s = make([(parent, {"tolerance": 3}), (child, {"depend": ("parent",)})], clock)
    s.run_once()
    assert s.states["parent"].status is Status.FAILING
    assert s.states["child"].status is Status.SKIPPED
    clock.advance(30)
    s.run_once(tick=clock.monotonic())
    assert child.calls == 1
    assert s.states["child"].status is Status.OK


def test_skip_leaves_child_failure_count_unchanged(clock):
    parent = FakeMonitor("parent", "oof")
    child = FakeMonitor("child", "f")
    s = make([(parent, {}), (child, {"depend": ("parent",), "tolerance": 5})], clock)
    for _ in range(3):
        s.run_once(tick=clock.monotonic())
        clock.advance(30)
    assert child.calls == 2
    assert s.states["child"].status is Status.SKIPPED
    assert s.states["child"].failures == 2


def test_dependency_not_due_this_round_uses_its_latest_status(clock):
    parent = FakeMonitor("parent", "f")
    child = FakeMonitor("child")
    s = make(
        [(parent, {"gap": timedelta(minutes=10)}), (child, {"depend": ("parent",)})],
        clock,
    )
    s.states["parent"] = MonitorState(status=Status.OK)
    s.run_once(tick=clock.monotonic())  # both run; parent now failed
    clock.advance(30)
    # parent is failing so it is due every interval regardless of gap
    s.run_once(tick=clock.monotonic())
    assert parent.calls == 2
    assert child.calls == 0


def test_gap_spaces_checks_of_healthy_monitors(clock):
    slow = FakeMonitor("slow")
    fast = FakeMonitor("fast")
    s = make([(slow, {"gap": timedelta(seconds=90)}), (fast, {})], clock)
    for _ in range(4):
        s.run_once(tick=clock.monotonic())
        clock.advance(30)
    assert fast.calls == 4
    assert slow.calls == 2  # at 0s and 90s


def test_exception_in_check_is_a_failed_result_and_others_still_run(clock, caplog):
    bad = FakeMonitor("bad", "x")
    good = FakeMonitor("good")
    s = make([(bad, {}), (good, {})], clock)
    s.run_once()
    assert s.states["bad"].status is Status.FAILED
    assert s.states["bad"].last_message == "internal error: RuntimeError: boom"
    assert s.states["good"].status is Status.OK
    assert caplog.text.count("Traceback") == 1


def test_a_monitor_whose_probe_breaks_is_checked_on_a_thread_instead(clock, caplog):
    class BrokenProbe(FakeMonitor):
        def probe(self):
            raise RuntimeError("no probe today")

    odd = BrokenProbe("odd")
    s = make([(odd, {})], clock)
    s.run_once()
    assert odd.calls == 1
    assert s.states["odd"].status is Status.OK
    assert "monitor odd: internal error making its probe" in caplog.text


def test_hung_check_fails_at_its_deadline_and_is_not_started_twice(clock):
    release = threading.Event()
    hung = FakeMonitor("hung", timeout=0.05, block=release)
    good = FakeMonitor("good")
    s = make([(hung, {}), (good, {})], clock, deadline_margin=0.05)
    s.run_once()
    assert s.states["hung"].status is Status.FAILED
    assert s.states["hung"].last_message == "check did not finish within 0.05s"
    assert s.states["good"].status is Status.OK
    clock.advance(30)
    s.run_once(tick=clock.monotonic())
    assert hung.calls == 1
    assert s.states["hung"].last_message == "previous check is still running"
    release.set()


def test_disabled_and_runon_elsewhere_are_not_run(clock):
    off = FakeMonitor("off")
    there = FakeMonitor("there")
    here = FakeMonitor("here")
    child = FakeMonitor("child")
    s = make(
        [
            (off, {"enabled": False}),
            (there, {"runon": "db7"}),
            (here, {"runon": "web1"}),
            (child, {"depend": ("off",)}),
        ],
        clock,
        hostname="web1",
    )
    snapshots = []
    s.observers.append(
        type("Keep", (), {"after_round": lambda _, sn, p: snapshots.append(sn)})()
    )
    report = s.run_once()
    assert (off.calls, there.calls, here.calls, child.calls) == (0, 0, 1, 1)
    assert s.states["off"].status is Status.DISABLED
    assert s.states["there"].last_message == "runs only on db7"
    # Not checked, so neither counted as checked nor marked as run for the loggers.
    assert sorted(report.ran) == ["child", "here"]
    ran = {m.name: m.ran for m in snapshots[0].monitors}
    assert ran == {"off": False, "there": False, "here": True, "child": True}


def test_runon_matches_the_hostname_in_any_case_as_in_simplemonitor(clock):
    here = FakeMonitor("here")
    s = make([(here, {"runon": "Web1"})], clock, hostname="WEB1")
    s.run_once()
    assert here.calls == 1


def test_loggers_get_one_snapshot_per_round_filtered_by_group(clock):
    a = FakeMonitor("a")
    b = FakeMonitor("b")
    everything = RecordingLogger("all", groups=("_all",))
    web_only = RecordingLogger("web", groups=("web",))
    broken = RecordingLogger("broken", fail=True, groups=("_all",))
    s = make(
        [(a, {"group": "web"}), (b, {})], clock, loggers=[broken, everything, web_only]
    )
    s.run_once()
    s.close_loggers()  # they write beside the rounds: wait for them
    assert len(everything.snapshots) == 1
    assert [m.name for m in everything.snapshots[0].monitors] == ["a", "b"]
    assert [m.name for m in web_only.snapshots[0].monitors] == ["a"]


def test_logger_depend_suspends_writes_while_dependency_is_down(clock):
    link = FakeMonitor("link", "fo")
    rec = RecordingLogger("rec", groups=("_all",), depend=("link",))
    s = make([(link, {})], clock, loggers=[rec])
    s.run_once()
    s.close_loggers()  # they write beside the rounds: wait for them
    assert rec.snapshots == []
    clock.advance(30)
    s.run_once(tick=clock.monotonic())
    s.close_loggers()
    assert len(rec.snapshots) == 1


class RoundStarts:
    """An observer noting when each round started (its end minus the work time)."""

    def __init__(self, clock, takes):
        self.clock, self.takes, self.starts = clock, takes, []

    def after_round(self, snapshot, previous):
        self.starts.append(round(self.clock.monotonic() - 1000 - self.takes))


def round_starts(clock, takes, loops):
    worker = FakeMonitor("w", clock=clock, takes=takes)
    s = make([(worker, {})], clock, sleep=clock.advance)
    observer = RoundStarts(clock, takes)
    s.observers.append(observer)
    s.run_forever(threading.Event(), loops=loops)
    return observer.starts


def test_rounds_keep_their_period_when_work_takes_time(clock):
    assert round_starts(clock, takes=10, loops=4) == [0, 30, 60, 90]


def test_overrun_starts_next_round_at_once_and_skips_missed_ticks(clock, caplog):
    assert round_starts(clock, takes=70, loops=3) == [0, 70, 140]
    assert "overran" in caplog.text


def test_probe_results_are_put_on_one_line_like_check_results(clock):
    class Instant(Probe):
        timeout = 1.0

        def start(self, io):
            io.finish(CheckResult(False, "refused\n  by   peer", 0.0))

        def expire(self):
            return CheckResult(False, "expired")

    class Probing(FakeMonitor):
        def probe(self):
            return Instant()

    s = make([(Probing("p"), {}), (FakeMonitor("c", "f"), {})], clock)
    s.run_once()
    assert s.states["p"].last_message == "refused by peer"
    assert s.states["c"].last_message == "broken"


def test_a_check_that_returns_no_result_is_an_internal_error(clock):
    class Silent(FakeMonitor):
        def check(self):
            return None

    s = make([(Silent("s"), {})], clock)
    s.run_once()
    assert s.states["s"].last_message == "internal error: check returned no result"


def test_a_round_that_breaks_does_not_stop_the_daemon(clock, caplog):
    worker = FakeMonitor("w")
    s = make([(worker, {})], clock, sleep=clock.advance)
    real_round, calls = s._run_round, []

    def flaky(*args):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("bug in the round")
        real_round(*args)

    s._run_round = flaky
    assert s.run_forever(threading.Event(), loops=3) == 3
    assert "round failed; the next one starts on schedule" in caplog.text
    assert worker.calls == 2  # the rounds after the broken one ran


def test_reload_keeps_state_by_name_and_type(clock):
    a = FakeMonitor("a", "f")
    b = FakeMonitor("b", "f")
    s = make([(a, {}), (b, {})], clock)
    s.run_once()
    a2 = FakeMonitor("a", "f")
    c = FakeMonitor("c")
    new = make_config([(a2, {}), (c, {})])
    s.reload(new)
    assert s.states["a"].failures == 1
    assert s.states["c"] == MonitorState()
    assert "b" not in s.states
    clock.advance(1)
    s.run_once(tick=clock.monotonic())
    assert c.calls == 1  # new monitors run at once
    assert a2.calls == 0  # a keeps its schedule
    assert s.states["a"].failures == 1


class Described(FakeMonitor):
    def __init__(self, name, text):
        super().__init__(name)
        self.text = text

    def describe(self) -> str:
        return self.text


def test_a_snapshot_takes_each_monitors_config_as_of_the_last_reload(clock):
    # What a snapshot takes from the config is worked out once per config (issue 5):
    # a reload must still show the new description, group and tolerance.
    s = make([(Described("a", "old https://u:pw@h/"), {"group": "g1"})], clock)
    s.run_once()
    first = s.snapshot(["a"]).get("a")
    new = make_config([(Described("a", "new"), {"group": "g2", "tolerance": 2})])
    s.reload(new)
    clock.advance(60)
    s.run_once(tick=clock.monotonic())
    second = s.snapshot(["a"]).get("a")
    assert first is not None
    assert second is not None
    assert (first.description, first.group, first.tolerance) == (
        "old https://***@h/",
        "g1",
        0,
    )
    assert (second.description, second.group, second.tolerance) == ("new", "g2", 2)
    assert (second.state, second.ran) == (s.states["a"], True)


@pytest.mark.parametrize("workers", [1, 3])
def test_many_monitors_with_chains_all_settle(clock, workers):
    monitors = []
    for i in range(30):
        common = {"depend": (f"m{i - 1}",)} if i % 3 else {}
        monitors.append((FakeMonitor(f"m{i}", "f" if i == 10 else "o"), common))
    config = make_config(monitors)
    s = Scheduler(config, clock=clock.monotonic, now=clock.now, max_workers=workers)
    report = s.run_once()
    assert len(report.ran) == 30
    assert sorted(report.skipped) == ["m11"]


def test_reloads_that_rename_monitors_leave_nothing_of_the_old_names(clock):
    # A daemon reloaded for months must not keep a trace of every monitor it ever had.
    release = threading.Event()
    hung = FakeMonitor("hung", timeout=0.05, block=release)
    s = make([(FakeMonitor("m0", "f"), {}), (hung, {})], clock, deadline_margin=0.05)
    s.run_once()
    assert set(s.roster.hung) == {"hung"}
    for generation in range(1, 20):
        s.reload(make_config([(FakeMonitor(f"m{generation}", "f"), {})]))
        clock.advance(30)
        s.run_once(tick=clock.monotonic())
    release.set()
    assert set(s.roster.details) == {"m19"}
    assert set(s.roster.hung) == set()
    assert set(s.roster.last_tick) == {"m19"}


def test_alerts_are_decided_before_loggers_write(clock):
    # A logger may be slow (a locked database, a page for thousands of monitors, a
    # hung NFS mount): the round's alerts must not wait behind it.
    order: list[str] = []

    class SlowLogger(RecordingLogger):
        def write(self, snapshot: Snapshot) -> None:
            order.append("logger")

    class Alerting:
        def after_round(self, snapshot, previous):
            order.append("alerting")

    s = make(
        [(FakeMonitor("a", "f"), {})],
        clock,
        loggers=[SlowLogger("slow", groups=("_all",))],
        observers=[Alerting()],
    )
    s.run_once()
    s.close_loggers()  # they write beside the rounds: wait for them
    assert order == ["alerting", "logger"]


def test_probes_waiting_for_a_free_slot_are_not_given_up_on_before_they_start():
    # More probes than the loop runs at once (half the open-files limit): a probe
    # waits its turn while those ahead of it time out on their own (hosts that
    # went away). Its deadline ran from the round's start, so healthy monitors
    # queued behind were failed with "check did not finish within 0.3s" without
    # ever being checked, and at the next round "previous check is still running".
    class Silent(Probe):
        timeout = 0.3

        def start(self, io):
            pass  # no answer: ends at its own timeout

        def expire(self):
            return CheckResult(False, "no answer within 0.3s")

    class Instant(Probe):
        timeout = 0.3

        def start(self, io):
            io.finish(CheckResult(True, "answered"))

        def expire(self):
            return CheckResult(False, "no answer within 0.3s")

    class Probing(FakeMonitor):
        def __init__(self, name, probe):
            super().__init__(name, timeout=0.3)
            self.made = probe

        def probe(self):
            return self.made()

    monitors: list[tuple[FakeMonitor, dict[str, object]]] = [
        (Probing(f"gone{i}", Silent), {}) for i in range(2)
    ]
    monitors += [(Probing(f"up{i}", Instant), {}) for i in range(2)]
    loop = ProbeLoop(max_active=1)
    now = [0.0]  # the rounds' clock; deadlines run on the real one
    try:
        s = Scheduler(
            make_config(monitors),
            clock=lambda: now[0],
            max_workers=2,
            deadline_margin=0.1,
            probe_loop=loop,
        )
        for tick in (0.0, 1000.0):  # the second round: a later tick, due again
            now[0] = tick
            s.run_once(tick=tick)
            messages = {name: st.last_message for name, st in s.states.items()}
            assert messages == {
                "gone0": "no answer within 0.3s",
                "gone1": "no answer within 0.3s",
                "up0": "answered",
                "up1": "answered",
            }
    finally:
        loop.close()


def test_a_recovery_is_logged_once_at_the_default_level(clock, caplog):
    flaky = FakeMonitor("flaky", "ffoo")
    steady = FakeMonitor("steady")
    s = make([(flaky, {"tolerance": 1}), (steady, {})], clock)
    caplog.set_level("INFO", logger="simplemon")
    for _ in range(4):
        s.run_once(tick=clock.monotonic())
        clock.advance(30)
    infos = [r.getMessage() for r in caplog.records if r.levelname == "INFO"]
    assert infos == ["monitor flaky: recovered: fine"]


def test_a_failed_monitor_skipped_meanwhile_logs_its_recovery(clock, caplog):
    # child fails, is skipped while its parent is down (its outage goes on), then
    # passes: its outage ends there, as its recovery alert says.
    parent = FakeMonitor("parent", "ofo")
    child = FakeMonitor("child", "fo")
    s = make([(parent, {}), (child, {"depend": ("parent",)})], clock)
    caplog.set_level("INFO", logger="simplemon")
    statuses = []
    for _ in range(3):
        s.run_once(tick=clock.monotonic())
        statuses.append(s.states["child"].status)
        clock.advance(30)
    assert statuses == [Status.FAILED, Status.SKIPPED, Status.OK]
    recovered = [r.getMessage() for r in caplog.records if "recovered" in r.message]
    assert recovered == [
        "monitor parent: recovered: fine",
        "monitor child: recovered: fine",
    ]


def test_a_failing_monitor_disabled_by_a_reload_says_so_once(clock, caplog):
    # Alerters send a recovery when a failing monitor is disabled: the console
    # says why the outage ended, once, at the default level.
    s = make([(FakeMonitor("web", "f"), {})], clock)
    s.run_once()
    s.reload(make_config([(FakeMonitor("web", "f"), {"enabled": False})]))
    caplog.set_level("INFO", logger="simplemon")
    for _ in range(3):
        clock.advance(30)
        s.run_once(tick=clock.monotonic())
    infos = [r.getMessage() for r in caplog.records if r.levelname == "INFO"]
    assert infos == ["monitor web: no longer checked (disabled) while failing"]
    assert s.states["web"].status is Status.DISABLED
