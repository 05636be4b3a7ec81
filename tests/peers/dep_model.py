"""A reference model of dependencies and alerting, written from the docs alone.

docs/configuration.md (Scheduling, States, Dependencies) and docs/alerting.md
(limit/repeat, reminders, recoveries, skips, alerter ``depend``, superseded
reminders, monitors removed by a reload). It knows nothing of simplemon's code: it
counts in rounds (one round per ``interval``) and names, nothing else.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field, replace

DOWN = ("failing", "failed", "skipped")  # a dependent of these is skipped
HOSTNAME = "here"
MAX_DEPTH = 5


@dataclass(frozen=True)
class Mon:
    name: str
    parents: tuple[str, ...] = ()
    tolerance: int = 0
    enabled: bool = True
    runon: str | None = None
    gap: int = 0  # rounds
    remind: int | None = None  # rounds (the monitor's ``remind``, in minutes)

    @property
    def runs_here(self) -> bool:
        elsewhere = self.runon is not None and self.runon.lower() != HOSTNAME
        return self.enabled and not elsewhere


@dataclass(frozen=True)
class Alt:
    name: str
    limit: int = 1
    repeat: bool = False
    only_failures: bool = False
    allow_reminders: bool = True
    depend: tuple[str, ...] = ()


@dataclass
class MonState:
    status: str = "unknown"
    failures: int = 0
    last_run: int | None = None  # round of the last check or skip (for ``gap``)


@dataclass
class Told:
    """What one alerter was told about one monitor."""

    last_message: int  # round of the failure or reminder last queued


@dataclass
class Queued:
    kind: str
    monitor: str
    created: int


@dataclass
class Model:
    monitors: dict[str, Mon]
    alerters: dict[str, Alt]
    states: dict[str, MonState] = field(default_factory=dict)
    told: dict[tuple[str, str], Told] = field(default_factory=dict)
    queues: dict[str, list[Queued]] = field(default_factory=dict)
    sent: list[tuple[int, str, str, str, int]] = field(default_factory=list)
    removed: list[tuple[Alt, str]] = field(default_factory=list)  # final notices due
    #: How often each situation the docs single out came up (coverage, not results).
    seen: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        for name in self.monitors:
            self.states.setdefault(name, MonState())
        for name in self.alerters:
            self.queues.setdefault(name, [])

    def vfc(self, name: str) -> int:
        st = self.states[name]
        return max(0, st.failures - self.monitors[name].tolerance)

    def order(self) -> list[str]:
        """Parents before children (any such order gives the same result)."""
        done: list[str] = []
        left = list(self.monitors)
        while left:
            for name in left:
                if all(p in done for p in self.monitors[name].parents):
                    done.append(name)
                    left.remove(name)
                    break
            else:  # pragma: no cover - generated graphs have no cycle
                raise AssertionError(f"cycle among {left}")
        return done

    def round(self, r: int, outcome: dict[str, bool]) -> set[str]:
        """Run round ``r``; return the monitors whose check ran."""
        before = {n: self.vfc(n) for n in self.monitors}
        was = {n: st.status for n, st in self.states.items()}
        ran: set[str] = set()
        for name in self.order():
            m, st = self.monitors[name], self.states[name]
            # A monitor runs when never run, when failing (every round), or when
            # ``gap`` (at least one interval) has passed since its last run.
            due = (
                st.last_run is None
                or st.status in DOWN
                or r - st.last_run >= max(1, m.gap)
            )
            if not due:
                continue
            st.last_run = r
            if not m.runs_here:
                st.status, st.failures = "disabled", 0
            elif any(self.states[p].status in DOWN for p in m.parents):
                st.status = "skipped"  # failure count unchanged
                self._note_skip(name, was[name], ran, outcome)
            else:
                ran.add(name)
                if outcome[name.rstrip("r")]:  # a renamed monitor keeps its script
                    st.status, st.failures = "ok", 0
                else:
                    st.failures += 1
                    st.status = "failed" if st.failures > m.tolerance else "failing"
        for name in self.monitors:
            for alerter in self.alerters.values():
                self._alert(r, name, alerter, before[name], was.get(name))
        # The final notices of monitors a reload removed come after the round's own.
        for alerter, name in self.removed:
            self._queue(alerter, "recovery", name, r)
        self.removed.clear()
        return ran

    def _note_skip(
        self, name: str, was: str, ran: set[str], outcome: dict[str, bool]
    ) -> None:
        parents = [self.states[p].status for p in self.monitors[name].parents]
        if "failing" in parents:
            self.seen["skipped: a parent failing within its tolerance"] += 1
        if was == "failed":
            self.seen["skipped: the child had failed before its parent"] += 1

        def up(n: str) -> bool:
            return outcome[n.rstrip("r")]

        just_failed = [p for p in self.monitors[name].parents if p in ran and not up(p)]
        if just_failed and not up(name) and was not in DOWN:
            self.seen["skipped: parent and child down in the same round"] += 1

    def _alert(self, r: int, name: str, a: Alt, before: int, was: str | None) -> None:
        m, st = self.monitors[name], self.states[name]
        key = (name, a.name)
        told = self.told.get(key)
        if st.status == "failed":
            now = self.vfc(name)
            crossed = before < a.limit <= now or (
                a.repeat and before >= a.limit and now // a.limit > before // a.limit
            )
            if was == "skipped" and (crossed or told):
                self.seen["child still down once its parent is up: checked"] += 1
            if crossed:
                self._queue(a, "failure", name, r)
                self.told[key] = Told(r)
            elif (
                a.allow_reminders
                and told
                and m.remind
                and r - told.last_message >= m.remind
            ):
                self._queue(a, "reminder", name, r)
                self.told[key] = Told(r)
        elif st.status in ("ok", "disabled") and told is not None:
            if was == "skipped":
                self.seen["recovery after a skip"] += 1
            if not a.only_failures:
                self._queue(a, "recovery", name, r)
            del self.told[key]

    def _queue(self, a: Alt, kind: str, monitor: str, r: int) -> None:
        self.queues[a.name].append(Queued(kind, monitor, r))

    def deliver(self, r: int) -> None:
        """Send what each alerter may send after round ``r``."""
        for a in self.alerters.values():
            if any(self.states[d].status in DOWN for d in a.depend):
                if self.queues[a.name]:
                    self.seen["alerter depend: messages held"] += 1
                continue  # held in the outbox
            queue = self.queues[a.name]
            for i, q in enumerate(queue):
                newer = any(later.monitor == q.monitor for later in queue[i + 1 :])
                if q.kind == "reminder" and newer:
                    self.seen["reminder superseded"] += 1
                    continue
                self.sent.append((r, a.name, q.kind, q.monitor, q.created))
            queue.clear()

    def restart(self) -> None:
        """A new process on the same state file: ``gap`` counts afresh."""
        for st in self.states.values():
            st.last_run = None

    def reload(self, monitors: dict[str, Mon], alerters: dict[str, Alt]) -> None:
        """SIGHUP: monitors gone get a final notice (a recovery) where announced."""
        for name in [n for n in self.monitors if n not in monitors]:
            for a in self.alerters.values():
                if self.told.pop((name, a.name), None) and not a.only_failures:
                    self.removed.append((alerters[a.name], name))
            del self.states[name]
        self.monitors = monitors
        self.alerters = alerters
        for name in monitors:
            self.states.setdefault(name, MonState())


# --- random scenarios -------------------------------------------------------------


def random_graph(rng: random.Random) -> list[Mon]:
    """Monitors in a random file order: a chain, a diamond or a random DAG."""
    shape = rng.choice(("chain", "diamond", "random", "random"))
    n = rng.randint(3, 9)
    parents: list[tuple[str, ...]] = []
    depth: list[int] = []
    for i in range(n):
        ps: tuple[int, ...]
        if shape == "chain" and i:
            ps = (i - 1,) if depth[i - 1] < MAX_DEPTH else ()
        elif shape == "diamond" and i:
            # 0 <- (1, 2) <- 3, then more diamonds on top of the last one
            base = ((i - 1) // 3) * 3
            ps = (base,) if i % 3 else (i - 2, i - 1)
            ps = tuple(p for p in ps if depth[p] < MAX_DEPTH)
        else:
            eligible = [j for j in range(i) if depth[j] < MAX_DEPTH]
            k = min(len(eligible), rng.choice((0, 1, 1, 2, 3)))
            ps = tuple(sorted(rng.sample(eligible, k)))
        parents.append(tuple(f"m{p}" for p in ps))
        depth.append(1 + max((depth[p] for p in ps), default=0))
    mons = [
        Mon(
            f"m{i}",
            parents[i],
            tolerance=rng.choice((0, 0, 1, 2, 3)),
            enabled=rng.random() > 0.08,
            runon=rng.choice((None,) * 12 + ("elsewhere", "HERE")),
            gap=rng.choice((0,) * 6 + (2, 3)),
            remind=rng.choice((None, None, 1, 2, 3)),
        )
        for i in range(n)
    ]
    rng.shuffle(mons)  # the file order is not the dependency order
    return mons


def random_alerters(rng: random.Random, names: list[str]) -> list[Alt]:
    count = rng.choice((1, 2, 2))
    return [
        Alt(
            f"a{i}",
            limit=rng.choice((1, 1, 2, 3)),
            repeat=rng.random() < 0.3,
            only_failures=rng.random() < 0.15,
            allow_reminders=rng.random() < 0.7,
            depend=(rng.choice(names),) if rng.random() < 0.35 else (),
        )
        for i in range(count)
    ]


def random_outcomes(rng: random.Random, names: list[str], rounds: int):
    """Per round, each monitor's result: runs of ups and downs, not coin flips."""
    up = {n: rng.random() < 0.6 for n in names}
    flip = {n: rng.choice((0.15, 0.3, 0.5)) for n in names}
    out = []
    for _ in range(rounds):
        for n in names:
            if rng.random() < flip[n]:
                up[n] = not up[n]
        out.append(dict(up))
    return out


def reloaded(
    rng: random.Random, mons: list[Mon], alts: list[Alt]
) -> tuple[str, list[Mon], list[Alt]]:
    """A SIGHUP's new configuration: a parent removed, renamed, or disabled."""
    parents = sorted({p for m in mons for p in m.parents}) or [mons[0].name]
    target = rng.choice(parents)
    what = rng.choice(("remove", "rename", "disable", "enable"))
    if what == "remove":
        new = [
            replace(m, parents=tuple(p for p in m.parents if p != target))
            for m in mons
            if m.name != target
        ]
        alts = [
            replace(a, depend=tuple(d for d in a.depend if d != target)) for a in alts
        ]
        return f"remove {target}", new, alts
    if what == "rename":
        to = f"{target}r"

        def ren(names: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(to if p == target else p for p in names)

        new = [
            replace(m, name=to if m.name == target else m.name, parents=ren(m.parents))
            for m in mons
        ]
        alts = [replace(a, depend=ren(a.depend)) for a in alts]
        return f"rename {target} {to}", new, alts
    enabled = what == "enable"
    new = [
        replace(m, enabled=enabled, runon=None) if m.name == target else m for m in mons
    ]
    return f"{what} {target}", new, alts
