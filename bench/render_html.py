"""Time the html logger on N monitors: history update + render + atomic write.

Usage: python bench/render_html.py [N] [OUTDIR]   (default 10000 monitors, a temp dir)
No network: monitors are synthetic snapshots.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loggers._status import status_view
from loggers.html import HtmlLogger, HtmlOptions
from simplemon.model import MonitorSnapshot, MonitorState, Snapshot, Status


def make_snapshot(n: int, round_number: int, at: datetime) -> Snapshot:
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
            last_change_at=at - timedelta(hours=2),
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


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp())
    logger = HtmlLogger("bench", HtmlOptions(folder=out))
    start = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    timings = []
    for r in range(1, 6):
        snap = make_snapshot(n, r, start + timedelta(minutes=r))
        t0 = time.perf_counter()
        histories = logger.history.record(snap)
        t1 = time.perf_counter()
        view = status_view(snap, histories)
        t2 = time.perf_counter()
        page = logger.render(view)
        t3 = time.perf_counter()
        logger.write(replace(snap, monitors=snap.monitors))
        t4 = time.perf_counter()
        timings.append((t1 - t0, t2 - t1, t3 - t2, t4 - t3))
    logger.close()
    best = [min(col) for col in zip(*timings, strict=True)]
    print(f"{n} monitors, best of 5 rounds; page {len(page) / 1e6:.1f} MB in {out}")
    print(f"  history update  {best[0] * 1000:7.0f} ms")
    print(f"  build view      {best[1] * 1000:7.0f} ms")
    print(f"  render template {best[2] * 1000:7.0f} ms")
    print(
        f"  whole write()   {best[3] * 1000:7.0f} ms (history + view + render + write)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
