"""Dependencies end to end against a reference model, seeded.

Random dependency graphs (chains, diamonds, several parents, depth up to 5), monitors
with tolerance 0-3, some disabled or ``runon`` elsewhere, some with ``gap``; random
up/down runs for every monitor; alerters with limit/repeat/only_failures and
sometimes ``depend``; SIGHUP reloads that remove, rename, disable or enable a parent;
restarts on the same state file. Everything goes through the real Scheduler,
Notifier, Dispatcher and state file on a fake clock; the expectations come from
tests/peers/dep_model.py, written from the docs.
"""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import Future
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from simplemon.common import AlerterCommon, MainOptions, MonitorCommon
from simplemon.config import Config
from simplemon.dispatch import Dispatcher
from simplemon.model import AlertEvent, CheckResult, EventKind
from simplemon.monitor import Monitor
from simplemon.notifier import Notifier
from simplemon.record import record
from simplemon.scheduler import Scheduler
from simplemon.sections import PluginConfig
from simplemon.state_store import StateStore
from tests.peers.dep_model import (
    DOWN,
    HOSTNAME,
    MAX_DEPTH,
    Alt,
    Model,
    Mon,
    random_alerters,
    random_graph,
    random_outcomes,
    reloaded,
)
from tests.peers.fake_clock import FakeClock

CASES = 80
INTERVAL = 60
SITUATIONS = (
    "skipped: a parent failing within its tolerance",
    "skipped: the child had failed before its parent",
    "skipped: parent and child down in the same round",
    "child still down once its parent is up: checked",
    "recovery after a skip",
    "alerter depend: messages held",
    "reminder superseded",
    "restart",
    "remove",
    "rename",
    "disable",
    "enable",
    "a chain of depth 5",
    "several parents",
)


@record
class NoOptions:
    pass


class Scripted(Monitor[NoOptions]):
    """Returns what the test set for this round, under its base name."""

    type_name = "scripted"
    Options = NoOptions

    def __init__(self, name: str, world: World) -> None:
        super().__init__(name, NoOptions())
        self.world = world

    def check(self) -> CheckResult:
        self.world.ran.add(self.name)
        ok = self.world.outcome[self.name.rstrip("r")]
        return CheckResult(ok, "fine" if ok else "down", 0.0)

    def timeout_seconds(self) -> float:
        return 1.0


class Recorder:
    def __init__(self, name: str, world: World) -> None:
        self.name = name
        self.world = world

    def handles(self, kind: EventKind) -> bool:
        return True

    def send(self, event: AlertEvent) -> None:
        self.world.sent.append(
            (
                self.world.round,
                self.name,
                event.kind.value,
                event.monitor,
                self.world.round_of[event.created_at],
            )
        )


class Inline:
    """Runs each check at once on the caller's thread: deterministic and fast."""

    def submit(self, fn: Any, *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args))
        return future


class World:
    def __init__(self) -> None:
        self.outcome: dict[str, bool] = {}
        self.ran: set[str] = set()
        self.sent: list[tuple[int, str, str, str, int]] = []
        self.round = 0
        self.round_of: dict[datetime, int] = {}


def build_config(world: World, mons: list[Mon], alts: list[Alt]) -> Config:
    monitors = tuple(
        PluginConfig(
            m.name,
            "scripted",
            MonitorCommon(
                type="scripted",
                depend=m.parents,
                tolerance=m.tolerance,
                enabled=m.enabled,
                runon=m.runon,
                gap=timedelta(seconds=m.gap * INTERVAL),
                remind=timedelta(minutes=m.remind) if m.remind else None,
            ),
            Scripted(m.name, world),
            "monitors.ini",
        )
        for m in mons
    )
    alerters = tuple(
        PluginConfig(
            a.name,
            "recorder",
            AlerterCommon(
                type="recorder",
                limit=a.limit,
                repeat=a.repeat,
                only_failures=a.only_failures,
                allow_reminders=a.allow_reminders,
                depend=a.depend,
            ),
            Recorder(a.name, world),
            "monitor.ini",
        )
        for a in alts
    )
    main = MainOptions(interval=timedelta(seconds=INTERVAL))
    return Config(Path("monitor.ini"), main, monitors, alerters, ())


class Daemon:
    """The pieces `python monitor.py` wires together, on one state file."""

    def __init__(self, store: StateStore, cfg: Config, clock: FakeClock) -> None:
        self.dispatcher = Dispatcher(store, cfg.alerters, now=clock.now)
        self.notifier = Notifier(
            store,
            self.dispatcher,
            cfg,
            states=store.load_states(),
            records=store.load_records(),
        )
        self.scheduler = Scheduler(
            cfg,
            hostname=HOSTNAME,
            executor=Inline(),
            now=clock.now,
            clock=clock.monotonic,
            observers=[self.notifier],
            states=self.notifier.states,
        )

    def reload(self, cfg: Config) -> None:
        self.scheduler.reload(cfg)
        self.notifier.reload(cfg)

    def deliver(self, cfg: Config) -> None:
        for alerter in cfg.alerters:
            for _ in range(10):  # 50 rows a call; a case queues far fewer
                before = len(self.dispatcher.outbox.pending(alerter.name))
                self.dispatcher.deliver_due(alerter.name)
                if len(self.dispatcher.outbox.pending(alerter.name)) in (0, before):
                    break


def simulate(rng: random.Random, path: Path) -> dict[str, Any]:
    """Run one random scenario through simplemon and the model; return both sides."""
    mons = random_graph(rng)
    alts = random_alerters(rng, [m.name for m in mons])
    rounds = rng.randint(12, 24)
    outcomes = random_outcomes(rng, [m.name for m in mons], rounds)
    reload_at = rng.randrange(3, rounds) if rng.random() < 0.7 else None
    restart_at = rng.randrange(2, rounds) if rng.random() < 0.4 else None
    world, clock = World(), FakeClock()
    cfg = build_config(world, mons, alts)
    model = Model({m.name: m for m in mons}, {a.name: a for a in alts})
    store = StateStore(path)
    daemon = Daemon(store, cfg, clock)
    got_ran, want_ran, got_status, want_status, log = [], [], [], [], []
    for r in range(rounds):
        world.round = r
        world.round_of[clock.now()] = r
        if r == restart_at:
            log.append(f"round {r}: restart")
            daemon = Daemon(store, cfg, clock)
            model.restart()
        if r == reload_at:
            what, mons, alts = reloaded(rng, mons, alts)
            log.append(f"round {r}: reload, {what}")
            cfg = build_config(world, mons, alts)
            daemon.reload(cfg)
            model.reload({m.name: m for m in mons}, {a.name: a for a in alts})
        world.outcome = outcomes[r]
        world.ran = set()
        daemon.scheduler.run_once(tick=clock.monotonic())
        daemon.deliver(cfg)
        got_ran.append((r, sorted(world.ran)))
        want_ran.append((r, sorted(model.round(r, outcomes[r]))))
        model.deliver(r)
        got_status.append(
            (r, {n: s.status.value for n, s in daemon.scheduler.states.items()})
        )
        want_status.append((r, {n: s.status for n, s in model.states.items()}))
        clock.advance(INTERVAL)
    store.close()
    seen = model.seen
    seen.update(e.split(": ")[1].split(", ")[-1].split()[0] for e in log)
    if depth(mons) == MAX_DEPTH:
        seen["a chain of depth 5"] += 1
    if any(len(m.parents) > 1 for m in mons):
        seen["several parents"] += 1
    setup = {
        "monitors": mons,
        "alerters": alts,
        "outcomes": outcomes,
        "events": log,
    }
    return {
        "ran": (got_ran, want_ran),
        "status": (got_status, want_status),
        "sent": (world.sent, model.sent),
        "setup": setup,
        "seen": seen,
    }


def depth(mons: list[Mon]) -> int:
    parents = {m.name: m.parents for m in mons}
    memo: dict[str, int] = {}

    def d(name: str) -> int:
        if name not in memo:
            memo[name] = 1 + max((d(p) for p in parents[name]), default=0)
        return memo[name]

    return max(d(m.name) for m in mons)


def first_difference(got: list[Any], want: list[Any]) -> tuple[Any, Any]:
    for g, w in zip(got + [None] * len(want), want + [None] * len(got), strict=False):
        if g != w:
            return g, w
    return None, None


def test_random_dependency_graphs_run_skip_and_alert_as_documented(tmp_path):
    rng = random.Random(20260105)
    failures = []
    seen: Counter[str] = Counter()
    for case in range(CASES):
        result = simulate(rng, tmp_path / f"state-{case}.db")
        seen.update(result["seen"])
        for aspect in ("ran", "status", "sent"):
            got, want = result[aspect]
            if got != want:
                failures.append((case, aspect, *first_difference(got, want)))
                if len(failures) == 1:
                    first_setup = result["setup"]
                break
    if failures:
        case, aspect, got, want = failures[0]
        pytest.fail(
            f"{len(failures)} of {CASES} cases differ; first: case {case}, {aspect}\n"
            f"got:  {got}\nwant: {want}\nsetup: {first_setup}"
        )
    # Every situation the docs single out came up often enough to mean something.
    rare = {k: seen[k] for k in SITUATIONS if seen[k] < 5}
    assert not rare, f"too rare: {rare}; seen: {dict(seen)}"


def test_no_failure_or_reminder_while_a_parent_is_down(tmp_path):
    """The promise itself, checked on every event of every case, model aside."""
    rng = random.Random(77)
    for case in range(CASES // 4):
        world, clock = World(), FakeClock()
        mons = random_graph(rng)
        alts = random_alerters(rng, [m.name for m in mons])
        alts = [Alt(a.name, limit=a.limit, repeat=a.repeat) for a in alts]
        cfg = build_config(world, mons, alts)
        store = StateStore(tmp_path / f"promise-{case}.db")
        daemon = Daemon(store, cfg, clock)
        parents = {m.name: m.parents for m in mons}
        for r, outcome in enumerate(random_outcomes(rng, list(parents), 20)):
            world.round, world.outcome, world.ran = r, outcome, set()
            world.round_of[clock.now()] = r
            daemon.scheduler.run_once(tick=clock.monotonic())
            states = daemon.scheduler.states
            for item in store.pending(alts[0].name):
                e = item.event
                if e.kind is EventKind.RECOVERY or world.round_of[e.created_at] != r:
                    continue
                down = [p for p in parents[e.monitor] if states[p].status.value in DOWN]
                assert not down, (case, r, e.kind, e.monitor, down)
                assert e.monitor in world.ran, (case, r, e.monitor)
            for item in store.pending(alts[0].name):
                store.finish(item.row_id, "delivered", clock.now())
            clock.advance(INTERVAL)
        store.close()


def play(tmp_path: Path, mons: list[Mon], scripts: dict[str, str], alert=None):
    """Run rounds where scripts give each monitor's result per round ('o'/'f').

    Returns what the alerter was sent, as (round, kind, monitor), and each
    round's statuses.
    """
    world, clock = World(), FakeClock()
    cfg = build_config(world, mons, [alert or Alt("a0")])
    store = StateStore(tmp_path / "state.db")
    daemon = Daemon(store, cfg, clock)
    statuses = []
    for r in range(len(next(iter(scripts.values())))):
        world.round, world.outcome = r, {n: s[r] == "o" for n, s in scripts.items()}
        world.round_of[clock.now()] = r
        daemon.scheduler.run_once(tick=clock.monotonic())
        daemon.deliver(cfg)
        statuses.append({n: s.status.value for n, s in daemon.scheduler.states.items()})
        clock.advance(INTERVAL)
    store.close()
    return [(r, kind, m) for r, _, kind, m, _ in world.sent], statuses


def test_a_parent_failing_within_tolerance_skips_its_child_silently(tmp_path):
    mons = [Mon("parent", tolerance=2), Mon("child", ("parent",))]
    sent, statuses = play(tmp_path, mons, {"parent": "ffo", "child": "fff"})
    assert [s["child"] for s in statuses] == ["skipped", "skipped", "failed"]
    assert sent == [(2, "failure", "child")]


def test_a_child_still_down_when_its_parent_recovers_is_alerted_once(tmp_path):
    mons = [Mon("parent"), Mon("child", ("parent",), remind=5)]
    sent, _ = play(tmp_path, mons, {"parent": "ffoooo", "child": "ffffff"})
    assert sent == [
        (0, "failure", "parent"),
        (2, "recovery", "parent"),
        (2, "failure", "child"),
    ]


def test_a_child_down_before_its_parent_is_quiet_until_the_parent_is_back(tmp_path):
    # The child's reminder falls due while it is skipped: it waits for the parent.
    mons = [Mon("parent"), Mon("child", ("parent",), remind=2)]
    scripts = {"parent": "offfooo", "child": "ffffffo"}
    sent, statuses = play(tmp_path, mons, scripts, Alt("a0", allow_reminders=True))
    assert [s["child"] for s in statuses][1:4] == ["skipped"] * 3
    assert sent == [
        (0, "failure", "child"),
        (1, "failure", "parent"),
        (4, "recovery", "parent"),
        (4, "reminder", "child"),
        (6, "recovery", "child"),
    ]
