"""Run simplemon's daemon loop in this process and measure its timing.

``python bench/probe.py monitor.ini SECONDS [--no-spread] [--alerting]`` loads the
config (with ``--alerting`` also the state file, notifier and delivery workers, as
``monitor.py`` starts them), runs
Scheduler.run_forever() (the same loop ``python monitor.py`` runs) for SECONDS, and
prints one JSON line: start lateness (actual start - Scheduler.due_at), round starts,
overruns, CPU seconds, RSS and thread counts. The only hook is a wrapper around the
executor that notes when each check starts.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import itertools

from simplemon.cli import start_alerting, stop_alerting
from simplemon.config import load_config
from simplemon.model import CheckResult
from simplemon.pool import WorkerPool
from simplemon.probe import Probe, ProbeIO
from simplemon.probe_loop import ProbeLoop
from simplemon.scheduler import Scheduler


class TimingPool:
    """Submit to a WorkerPool; record (name, lateness) when each check starts."""

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self.scheduler: Scheduler | None = None
        self.late: list[tuple[str, float]] = []

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        assert self.scheduler is not None
        name = args[0].name
        due = self.scheduler.due_at[name]

        def timed() -> Any:
            self.late.append((name, time.monotonic() - due))
            return fn(*args)

        return self.pool.submit(timed)


class TimedProbe(Probe):
    """Wrap a probe; record (name, lateness) when the probe loop starts it."""

    def __init__(
        self, inner: Probe, name: str, due: float, late: list[tuple[str, float]]
    ) -> None:
        self.inner, self.name, self.due, self.late = inner, name, due, late
        self.timeout = inner.timeout

    def start(self, io: ProbeIO) -> None:
        self.late.append((self.name, time.monotonic() - self.due))
        self.inner.start(io)

    def expire(self) -> CheckResult:
        return self.inner.expire()

    def close(self) -> None:
        self.inner.close()


class TimingScheduler(Scheduler):
    """Time the starts of probe-loop checks (tcp, ping) as TimingPool times the rest."""

    timing: TimingPool

    def _start(self, name: str) -> Future[Any] | None:
        self._starting = name
        return super()._start(name)

    @property
    def probe_loop(self) -> ProbeLoop:
        loop = super().probe_loop
        if not isinstance(loop, TimingProbeLoop):
            loop = self._probe_loop = TimingProbeLoop(self)
        return loop


class TimingProbeLoop(ProbeLoop):
    def __init__(self, scheduler: TimingScheduler) -> None:
        super().__init__()
        self.scheduler = scheduler

    def submit(self, probe: Probe) -> Future[CheckResult]:
        s = self.scheduler
        name = s._starting
        return super().submit(TimedProbe(probe, name, s.due_at[name], s.timing.late))


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def main() -> None:
    ini, seconds = sys.argv[1], float(sys.argv[2])
    spread = "--no-spread" not in sys.argv
    t0 = time.perf_counter()
    config = load_config(Path(ini))
    load_seconds = time.perf_counter() - t0
    pool = TimingPool(WorkerPool(32))
    alerting = start_alerting(config) if "--alerting" in sys.argv else None
    s = TimingScheduler(
        config,
        executor=pool,
        max_workers=32,
        observers=[alerting[1]] if alerting else [],
        states=alerting[1].states if alerting else None,
    )
    pool.scheduler = s
    s.timing = pool
    if not spread:
        s.start_offsets = dict  # type: ignore[method-assign]
    stop = threading.Event()
    rounds: list[tuple[float, float]] = []
    samples: list[tuple[float, int]] = []

    def on_round(report: Any) -> None:
        end = time.monotonic()
        rounds.append((end - report.duration, report.duration))
        if end - started >= seconds:
            stop.set()

    def sample() -> None:
        while not stop.wait(1.0):
            samples.append((rss_mib(), threading.active_count()))

    threading.Thread(target=sample, daemon=True).start()
    cpu0 = os.times()
    started = time.monotonic()
    s.run_forever(stop, on_round=on_round)
    wall = time.monotonic() - started
    outbox = {}
    if alerting is not None:
        for row in alerting[0].outbox_status():
            outbox[row[3]] = outbox.get(row[3], 0) + 1
        stop_alerting(*alerting)
    cpu1 = os.times()
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    interval = config.main.interval.total_seconds()
    late = [x for _, x in pool.late]
    healthy = [x for n, x in pool.late if not n.startswith("bad-")]
    periods = [b[0] - a[0] for a, b in itertools.pairwise(rounds)]
    print(
        json.dumps(
            {
                "spread": spread,
                "alerting": alerting is not None,
                "outbox": outbox,
                "monitors": len(config.monitors),
                "load_seconds": load_seconds,
                "checks": len(late),
                "wall": wall,
                "rounds": len(rounds),
                "round_durations": [round(d, 3) for _, d in rounds],
                "periods": [round(p, 4) for p in periods],
                "period_error_pct": max(
                    (abs(p - interval) / interval * 100 for p in periods), default=None
                ),
                "overruns": sum(d > interval for _, d in rounds),
                "late_p50": pct(late, 50),
                "late_p99": pct(late, 99),
                "late_max": max(late, default=float("nan")),
                "healthy_p50": pct(healthy, 50),
                "healthy_p99": pct(healthy, 99),
                "healthy_max": max(healthy, default=float("nan")),
                "cpu_seconds": cpu,
                "cpu_cores": cpu / wall,
                "cpu_per_1000_checks": cpu / max(1, len(late)) * 1000,
                "rss_max_mib": max((r for r, _ in samples), default=rss_mib()),
                "rss_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                / 1024,
                "threads_max": max((n for _, n in samples), default=0),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
