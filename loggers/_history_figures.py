"""The history's figures: availability windows and recent samples, as shown.

What a monitor's history is made of (the windows and their sums, the samples and
their JSON) and how it becomes the page's figures, apart from ``_history``, which
keeps the file, its transactions and the in-memory cache of it up to date. All
pure, except :func:`window_sums`, the one query that sums the windows.
"""

from __future__ import annotations

import sqlite3

from simplemon.record import field, record

#: Availability windows shown, as (label, hours).
WINDOWS: tuple[tuple[str, int], ...] = (("24h", 24), ("7d", 24 * 7), ("30d", 24 * 30))
#: Recent checks kept per monitor for the sparkline.
SAMPLES = 30

# One scan gives every window: the CASE picks which hours each sum counts. The
# query is built from constants only; values are bound parameters.
_SUMS = (
    "SELECT monitor_name, "  # noqa: S608
    + ", ".join(
        f"SUM(CASE WHEN hour >= :h{i} THEN checks END), "
        f"SUM(CASE WHEN hour >= :h{i} THEN successes END)"
        for i in range(len(WINDOWS))
    )
    + " FROM history_hourly WHERE monitor_host = :host AND hour >= :low "
    "AND hour < :high GROUP BY monitor_name"
)

Sample = tuple[int, bool, float | None]  # (unix time, ok, duration in ms)
Counts = list[int]  # checks, successes per window, flattened


@record(frozen=False)
class MonitorHistory:
    """What the page shows from history for one monitor."""

    availability: dict[str, float | None] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)


def _sample_json(sample: Sample) -> str:
    """Return ``json.dumps`` of one sample as a list, without its per-call cost."""
    t, ok, ms = sample
    return f"[{t}, {1 if ok else 0}, {'null' if ms is None else repr(float(ms))}]"


def samples_json(old: str | None, samples: list[Sample], dropped: int) -> str:
    """Return the JSON of ``samples``, reusing ``old`` (before the append) if known.

    Appending one sample (and dropping at most the oldest) is a string splice, so a
    round does not re-encode every monitor's whole list.
    """
    new = _sample_json(samples[-1])
    if old is None or dropped > 1 or len(samples) == 1:
        return "[" + ", ".join(map(_sample_json, samples)) + "]"
    body = old[1:-1]
    if dropped:
        body = body[body.index("], [") + 3 :]
    return f"[{body}, {new}]"


def window_sums(
    conn: sqlite3.Connection, host: str, hour: int, low: int, high: int
) -> dict[str, Counts]:
    """Return each monitor's checks and successes per window in [low, high)."""
    params: dict[str, object] = {"host": host, "low": low, "high": high}
    for i, (_, hours) in enumerate(WINDOWS):
        params[f"h{i}"] = hour - hours + 1
    return {
        name: [v or 0 for v in values] for name, *values in conn.execute(_SUMS, params)
    }


def figures(
    completed: Counts | None,
    checks_now: int,
    successes_now: int,
    samples: list[Sample],
) -> MonitorHistory:
    """Add the current hour to each window's completed hours; None if no checks."""
    availability: dict[str, float | None] = {}
    for i, (label, _) in enumerate(WINDOWS):
        checks, successes = checks_now, successes_now
        if completed is not None:
            checks += completed[2 * i]
            successes += completed[2 * i + 1]
        availability[label] = successes / checks if checks else None
    return MonitorHistory(availability, samples)
