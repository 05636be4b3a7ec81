"""Time the html logger on N monitors in steady state: history + view + render + write.

Usage: python bench/render_html.py [N] [ROUNDS] [OUTDIR]
(defaults: 10000 monitors, 7 timed rounds, a temp dir). No network: monitors are
synthetic snapshots. The history is first filled with a full sparkline's worth of
rounds, so every monitor carries SAMPLES recent checks as it would after a while.
Every timed round is a new round (new check times), as in production. Times are
wall-clock except the last line (CPU time of this process, less sensitive to other
jobs on a shared machine).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loggers._history_figures import SAMPLES
from loggers._status import paused_gc, status_view
from loggers.html import HtmlLogger, HtmlOptions
from simplemon.model import MonitorSnapshot, MonitorState, Snapshot, Status
from simplemon.paths import write_atomic

START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def make_snapshot(n: int, round_number: int) -> Snapshot:
    """Return round ``round_number``: about 1% of monitors failed, varied timings."""
    at = START + timedelta(minutes=round_number)
    monitors = []
    for i in range(n):
        status = Status.FAILED if i % 97 == 0 else Status.OK
        state = MonitorState(
            status=status,
            failures=3 if status is Status.FAILED else 0,
            virtual_fail_count=2 if status is Status.FAILED else 0,
            failed_at=at - timedelta(minutes=5) if status is Status.FAILED else None,
            last_message="HTTP 503" if status is Status.FAILED else "HTTP 200",
            last_duration=0.01 + (i * round_number % 50) / 1000,
            last_checked_at=at,
            last_change_at=START - timedelta(hours=2, seconds=i % 600),
        )
        monitors.append(
            MonitorSnapshot(
                name=f"web-{i:05d}",
                type_name="http",
                description=f"GET http://127.0.0.1:8080/{i}",
                state=state,
                ran=True,
            )
        )
    return Snapshot(at, round_number, "bench", 60.0, tuple(monitors))


def ms(seconds: list[float]) -> str:
    """Format the median and range of ``seconds`` in milliseconds."""
    return (
        f"median {statistics.median(seconds) * 1000:5.0f} ms "
        f"(range {min(seconds) * 1000:.0f}-{max(seconds) * 1000:.0f})"
    )


def main() -> int:
    """Run the benchmark and print medians per step."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    out = Path(sys.argv[3]) if len(sys.argv) > 3 else Path(tempfile.mkdtemp())
    logger = HtmlLogger("bench", HtmlOptions(folder=out))
    for r in range(SAMPLES):  # warm-up: fill every sparkline
        logger.write(make_snapshot(n, r))
    steps: dict[str, list[float]] = {k: [] for k in ("history", "view", "render")}
    steps["file"], whole, cpu = [], [], []
    r = SAMPLES
    for _ in range(rounds):
        # One round timed step by step, the next one through the real write().
        snap = make_snapshot(n, r)
        with paused_gc():  # as write() does
            t0 = time.perf_counter()
            histories = logger.history.record(snap)
            t1 = time.perf_counter()
            view = status_view(snap, histories)
            t2 = time.perf_counter()
            page = logger.render(view)
            t3 = time.perf_counter()
        write_atomic(out / "index.html", page)
        t4 = time.perf_counter()
        for key, seconds in zip(
            steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True
        ):
            steps[key].append(seconds)
        snap = make_snapshot(n, r + 1)
        t0, c0 = time.perf_counter(), time.process_time()
        logger.write(snap)
        whole.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        r += 2
    logger.close()
    size = (out / "index.html").stat().st_size
    print(f"{n} monitors, {rounds} rounds; page {size / 1e6:.1f} MB in {out}")
    print(f"  history update  {ms(steps['history'])}")
    print(f"  build view      {ms(steps['view'])}")
    print(f"  render page     {ms(steps['render'])}")
    print(f"  write file      {ms(steps['file'])}")
    print(f"  whole write()   {ms(whole)}")
    print(f"    its CPU time  {ms(cpu)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
