"""Differential testing of alert decisions against SimpleMonitor 1.15.

A *case* is a configuration (monitor and alerter options as INI text, the very
strings a user's monitors.ini / monitor.ini would hold) plus a scripted outcome per
monitor per round, a start time and an interval. ``random_case`` draws one from a
seed; ``run_ours`` runs it through simplemon's Scheduler and Notifier on a fake clock;
``run_simplemonitor`` runs a batch through SimpleMonitor's own classes in a
subprocess of its venv (tests/peers/sm_driver.py). Both give the alerts decided, as
``(round, alerter, monitor, kind)`` in SimpleMonitor's vocabulary: ``failure`` (a
reminder is a failure there), ``catchup``, ``success``.

``compare`` lines them up, setting aside what docs/migrating.md and docs/alerting.md
document as deliberate differences (see ``DOCUMENTED``), and returns the rest.
"""

from __future__ import annotations

import json
import random
import subprocess
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from simplemon.common import AlerterCommon, MainOptions, MonitorCommon
from simplemon.config import Config
from simplemon.dispatch import Dispatcher
from simplemon.model import AlertEvent, CheckResult, EventKind
from simplemon.monitor import Monitor
from simplemon.notifier import Notifier
from simplemon.options import build_options
from simplemon.parsers import ParseContext
from simplemon.scheduler import Scheduler
from simplemon.sections import PluginConfig
from simplemon.state_store import StateStore
from simplemon.timefmt import zone as tz
from tests.peers.fake_clock import FakeClock

SM_PYTHON = Path("/opt/smvenv/bin/python")
DRIVER = Path(__file__).with_name("sm_driver.py")
HOSTNAME = "here"
#: Our event kinds in SimpleMonitor's words (its reminders are failures).
SM_KIND = {
    EventKind.FAILURE: "failure",
    EventKind.REMINDER: "failure",
    EventKind.CATCHUP: "catchup",
    EventKind.RECOVERY: "success",
}

Alert = tuple[int, str, str, str]  # round, alerter, monitor, kind


# --------------------------------------------------------------------- cases


def _hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def random_case(rng: random.Random, *, depend: bool = True) -> dict[str, Any]:
    """Draw one case: 1-4 monitors, 1-3 alerters, 6-40 rounds."""
    interval = rng.choice([60, 60, 60, 30, 45, 90, 120])
    rounds = rng.randint(6, 40)
    day = datetime(2026, 1, 5) + timedelta(days=rng.randrange(7))  # any weekday
    minute = rng.choice([rng.randrange(24 * 60), 23 * 60 + rng.randrange(50, 60)])
    start = day + timedelta(minutes=minute, seconds=rng.choice([0, 0, 0, 30, 59]))
    zone = rng.choice(["UTC", "UTC", "Asia/Kolkata", "America/New_York"])
    names = [f"m{i}" for i in range(rng.randint(1, 4))]
    monitors = [
        {
            "name": name,
            "options": _monitor_options(rng, names[:i] if depend else [], interval),
            "outcomes": _outcomes(rng, rounds),
        }
        for i, name in enumerate(names)
    ]
    alerters = []
    for j in range(rng.randint(1, 3)):
        opts = _alerter_options(rng, names)
        if rng.random() < 0.5:
            opts.update(_window(rng, start, interval * rounds, zone))
        alerters.append({"name": f"a{j}", "options": opts})
    return {
        "start": start.replace(tzinfo=None).isoformat() + "+00:00",
        "interval": interval,
        "rounds": rounds,
        "monitors": monitors,
        "alerters": alerters,
    }


def _maybe(rng: random.Random, opts: dict[str, str], odds: dict[str, Any]) -> None:
    """Set each key of ``odds`` (``key: (chance, choices)``) with its chance."""
    for key, (chance, choices) in odds.items():
        if rng.random() < chance:
            opts[key] = str(rng.choice(choices))


def _monitor_options(
    rng: random.Random, earlier: list[str], interval: int
) -> dict[str, str]:
    opts = {"type": "scripted"}
    _maybe(
        rng,
        opts,
        {
            "tolerance": (0.6, [0, 1, 2, 3]),
            "remind": (0.3, [1, 2, 3, 5]),
            "urgent": (0.15, ["0", "no"]),
            "group": (0.2, ["web", "db", "web,db"]),
            "gap": (0.1, [interval, 2 * interval, 150]),
            "notify": (0.05, ["no"]),
        },
    )
    if earlier and rng.random() < 0.3:
        opts["depend"] = ",".join(rng.sample(earlier, rng.randint(1, len(earlier))))
    return opts


def _alerter_options(rng: random.Random, monitors: list[str]) -> dict[str, str]:
    opts = {"type": "recorder"}
    _maybe(
        rng,
        opts,
        {
            "limit": (0.7, [1, 1, 2, 3, 4]),
            "repeat": (0.4, ["1", "0"]),
            "delay": (0.3, ["yes"]),
            "only_failures": (0.2, ["yes"]),
            "ooh_recovery": (0.2, ["yes"]),
            "allow_reminders": (0.4, ["yes"]),
            "urgent": (0.15, ["yes"]),
            "groups": (0.2, ["web", "db", "_all", "web,default"]),
            "dry_run": (0.1, ["yes"]),
            "depend": (0.1, monitors),
        },
    )
    return opts


def _outcomes(rng: random.Random, rounds: int) -> list[bool]:
    """Runs of ups and downs, some long enough to cross limits and reminders."""
    out: list[bool] = []
    up = rng.random() < 0.6
    while len(out) < rounds:
        out.extend([up] * rng.choice([1, 1, 2, 3, 4, 6, 9, 15]))
        up = not up
    return out[:rounds]


def _window(
    rng: random.Random, start: datetime, span_seconds: int, zone: str
) -> dict[str, str]:
    """A window with edges inside the case, so rounds cross them (no wrap)."""
    local = start.replace(tzinfo=tz("UTC")).astimezone(tz(zone))
    for _ in range(20):
        lo = local + timedelta(seconds=rng.randrange(-300, span_seconds))
        hi = lo + timedelta(seconds=rng.randrange(60, span_seconds + 120))
        lo, hi = lo.replace(second=0), hi.replace(second=0)
        if _hhmm(lo) < _hhmm(hi):  # SimpleMonitor's windows cannot wrap midnight
            break
    else:
        lo, hi = local.replace(hour=0, minute=0), local.replace(hour=23, minute=59)
    opts = {
        "times_type": rng.choice(["only", "only", "not", "always"]),
        "time_lower": _hhmm(lo),
        "time_upper": _hhmm(hi),
        "times_tz": zone,
    }
    if opts["times_type"] == "always":
        del opts["time_lower"], opts["time_upper"]
    if rng.random() < 0.3:
        days = sorted(rng.sample(range(7), rng.randint(1, 6)))
        opts["days"] = ",".join(map(str, days))
    return opts


# ---------------------------------------------------------------- SimpleMonitor


def have_simplemonitor() -> bool:
    return SM_PYTHON.exists()


def run_simplemonitor(cases: list[dict[str, Any]], timeout: float = 300) -> list[Any]:
    """Run ``cases`` through SimpleMonitor 1.15 in its own python; one result each."""
    done = subprocess.run(
        [str(SM_PYTHON), str(DRIVER)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"sm_driver failed:\n{done.stderr[-3000:]}")
    results: list[Any] = json.loads(done.stdout)
    return results


# ------------------------------------------------------------------ simplemon


@dataclass(frozen=True)
class _NoOptions:
    pass


class _Scripted(Monitor[_NoOptions]):
    type_name = "scripted"
    Options = _NoOptions

    def __init__(self, name: str, world: _World) -> None:
        super().__init__(name, _NoOptions())
        self.world = world

    def check(self) -> CheckResult:
        self.world.ran.add(self.name)
        ok = self.world.outcome[self.name]
        return CheckResult(ok, "fine" if ok else "down", 0.0)

    def timeout_seconds(self) -> float:
        return 1.0


class _Recorder:
    def handles(self, kind: EventKind) -> bool:
        return True

    def send(self, event: AlertEvent) -> None:
        pass


class _Inline:
    def submit(self, fn: Any, *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args))
        return future


class _World:
    def __init__(self) -> None:
        self.outcome: dict[str, bool] = {}
        self.ran: set[str] = set()


class _Skips:
    """A round observer noting which monitors each round skipped, and all statuses."""

    def __init__(self) -> None:
        self.rounds: list[list[str]] = []
        self.statuses: list[dict[str, str]] = []

    def after_round(self, snapshot: Any, previous: Any) -> None:
        self.statuses.append({m.name: m.state.status.value for m in snapshot.monitors})
        self.rounds.append(
            sorted(
                m.name
                for m in snapshot.monitors
                if m.ran and m.state.status.value == "skipped"
            )
        )


class _CapturingStore(StateStore):
    """The real state file, noting every event a round commits."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.events: list[AlertEvent] = []

    def save_round(self, states: Any, records: Any, events: Any, **kw: Any) -> None:
        events = list(events)
        super().save_round(states, records, events, **kw)
        self.events.extend(events)


def _common(cls: Any, items: dict[str, str], section: str, kind: str) -> Any:
    value, errors = build_options(
        cls,
        items,
        ParseContext(),
        file="x.ini",
        section=section,
        type_name=items["type"],
        kind=kind,
    )
    if errors:
        raise ValueError("; ".join(str(e) for e in errors))
    return value


def build_config(case: dict[str, Any], world: _World) -> Config:
    monitors = tuple(
        PluginConfig(
            m["name"],
            "scripted",
            _common(MonitorCommon, m["options"], m["name"], "monitor"),
            _Scripted(m["name"], world),
            "monitors.ini",
        )
        for m in case["monitors"]
    )
    alerters = tuple(
        PluginConfig(
            a["name"],
            "recorder",
            _common(AlerterCommon, a["options"], a["name"], "alerter"),
            _Recorder(),
            "monitor.ini",
        )
        for a in case["alerters"]
    )
    main = MainOptions(interval=timedelta(seconds=case["interval"]))
    return Config(Path("monitor.ini"), main, monitors, alerters, ())


def run_ours(case: dict[str, Any], state_file: Path) -> dict[str, Any]:
    """Run ``case`` through simplemon's Scheduler and Notifier on a fake clock."""
    world, clock = _World(), FakeClock()
    clock.wall = datetime.fromisoformat(case["start"])
    cfg = build_config(case, world)
    store = _CapturingStore(state_file)
    try:
        dispatcher = Dispatcher(store, cfg.alerters, now=clock.now)
        skips = _Skips()
        notifier = Notifier(store, dispatcher, cfg, states={}, records={})
        scheduler = Scheduler(
            cfg,
            hostname=HOSTNAME,
            executor=_Inline(),
            now=clock.now,
            clock=clock.monotonic,
            observers=[notifier, skips],
            states={},
        )
        round_of: dict[datetime, int] = {}
        ran = []
        for r in range(case["rounds"]):
            round_of[clock.now()] = r
            world.outcome = {m["name"]: m["outcomes"][r] for m in case["monitors"]}
            world.ran = set()
            scheduler.run_once(tick=clock.monotonic())
            ran.append(sorted(world.ran))
            clock.advance(case["interval"])
        alerts = [
            [
                round_of[e.created_at],
                e.alerter,
                e.monitor,
                SM_KIND[e.kind],
                e.kind.value,
            ]
            for e in store.events
        ]
    finally:
        store.close()
    return {
        "alerts": alerts,
        "ran": ran,
        "skipped": skips.rounds,
        "statuses": skips.statuses,
    }


# ------------------------------------------------------------------ comparing

#: Why an alert may differ: what docs/migrating.md and docs/alerting.md document.
DOCUMENTED = {
    "unannounced recovery": "SimpleMonitor sends a recovery for a failure this "
    "alerter never announced (dropped out of hours); simplemon does not",
    "held recovery": "a recovery out of hours is held until the window opens "
    "(SimpleMonitor drops it)",
    "owed recovery": "after a held recovery the alerter still owes the first "
    "outage's recovery, so it hears reminders of the next outage",
    "reminder after catch-up": "SimpleMonitor never sends reminders after a catch-up",
    "catch-up for a reminder": "with delay, SimpleMonitor turns a reminder due out "
    "of hours into a catch-up; simplemon sends the reminder when the window opens",
    "dependency scheduling": "the monitor was checked or skipped differently "
    "(migrating.md: skipped monitors, dependency within tolerance, a child that "
    "had already failed, a parent that recovers), or SimpleMonitor's skip reset "
    "its failure count",
}


def _did(ran: list[str], skipped: list[str]) -> dict[str, str]:
    return dict.fromkeys(ran, "ran") | dict.fromkeys(skipped, "skip")


def diverged(sm: dict[str, Any], ours: dict[str, Any]) -> dict[str, int]:
    """Return, per monitor, the first round its checks and skips differ."""
    out: dict[str, int] = {}
    for r, (sm_ran, our_ran) in enumerate(zip(sm["ran"], ours["ran"], strict=True)):
        sm_did = _did(sm_ran, sm["skipped"][r])
        our_did = _did(our_ran, ours["skipped"][r])
        for name in set(sm_did) | set(our_did) | set(sm["reset"][r]):
            if sm_did.get(name) != our_did.get(name) or name in sm["reset"][r]:
                out.setdefault(name, r)
    return out


def compare(case: dict[str, Any], sm: dict[str, Any], ours: dict[str, Any]) -> Any:
    """Return ``(unexplained, explained)`` differences, one per (alerter, monitor).

    Each is ``(reason, alerter, monitor, round, SimpleMonitor's kinds, ours)`` at the
    first round where the two disagree about the pair; later rounds of that pair
    follow from it and are not compared.
    """
    pairs = {(a[1], a[2]) for a in sm["alerts"] + ours["alerts"]}
    split = diverged(sm, ours)
    unexplained: list[Any] = []
    explained: list[Any] = []
    for alerter, monitor in sorted(pairs):
        theirs = _by_round(sm["alerts"], alerter, monitor)
        mine = _by_round(ours["alerts"], alerter, monitor)
        rounds = sorted(
            r
            for r in set(theirs) | set(mine)
            if sorted(k for k, _ in theirs.get(r, []))
            != sorted(k for k, _ in mine.get(r, []))
        )
        if not rounds:
            continue
        r = rounds[0]
        reason = _documented(r, theirs, mine, ours["statuses"], monitor)
        if r >= split.get(monitor, r + 1):
            reason = "dependency scheduling"
        item = (
            reason,
            alerter,
            monitor,
            r,
            [k for k, _ in theirs.get(r, [])],
            [k for _, k in mine.get(r, [])],
        )
        (explained if reason else unexplained).append(item)
    return unexplained, explained


def _kinds(alerts: dict[int, list[tuple[str, str]]], r: int) -> list[str]:
    return sorted(k for k, _ in alerts.get(r, []))


def _by_round(
    alerts: list[Any], alerter: str, monitor: str
) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = {}
    for a in alerts:
        if (a[1], a[2]) == (alerter, monitor):
            out.setdefault(a[0], []).append((a[3], a[4] if len(a) > 4 else a[3]))
    return out


def _documented(
    r: int,
    theirs: dict[int, list[tuple[str, str]]],
    mine: dict[int, list[tuple[str, str]]],
    statuses: list[dict[str, str]],
    monitor: str,
) -> str | None:
    sm_kinds = {k for k, _ in theirs.get(r, [])}
    our_kinds = {k for _, k in mine.get(r, [])}
    before = [(q, k) for q in sorted(mine) if q < r for _, k in mine[q]]
    last_q, last = before[-1] if before else (-1, "recovery")
    ok_since = any(
        statuses[q].get(monitor) in ("ok", "disabled") for q in range(last_q + 1, r)
    )
    if sm_kinds == {"success"} and not our_kinds and last == "recovery":
        return "unannounced recovery"
    if our_kinds == {"recovery"} and not sm_kinds and last != "recovery" and ok_since:
        return "held recovery"
    if our_kinds == {"reminder"} and last != "recovery" and ok_since:
        return "owed recovery"
    if our_kinds == {"reminder"} and not sm_kinds and last == "catchup":
        return "reminder after catch-up"
    if our_kinds == {"reminder"} and sm_kinds == {"catchup"}:
        return "catch-up for a reminder"
    return None
