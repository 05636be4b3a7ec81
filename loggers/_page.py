"""The status table's rows and sparklines as HTML, built in Python for speed.

A Jinja2 loop over 10,000 monitors costs more than the rest of a round, so the default
template inserts these prebuilt rows. Every text that comes from a monitor or a
monitored server goes through ``markupsafe.escape`` (the function Jinja2's autoescape
uses); everything else is numbers and constants. No I/O here.
"""

from __future__ import annotations

from datetime import datetime

from markupsafe import Markup, escape

from loggers._history import SAMPLES, WINDOWS, Sample
from loggers._status import (
    NO_DATA,
    MonitorView,
    StatusView,
    format_age,
    format_moment,
    format_percent,
)

SPARK_WIDTH, SPARK_HEIGHT = 96, 22
_STEP = SPARK_WIDTH / (SAMPLES - 1)
# The newest sample sits at the right edge; x of each of the SAMPLES positions.
_X = [f"{SPARK_WIDTH - _STEP * (SAMPLES - 1 - p):.1f}" for p in range(SAMPLES)]
# y is drawn in tenths of a pixel; precomputing every "x,y" pair turns the per-sample
# float formatting (most of a sparkline's cost) into a table lookup.
_Y_TENTHS = 10 * (SPARK_HEIGHT - 4)
_PAIRS = [
    [
        f"{x},{(10 * (SPARK_HEIGHT - 2) - tenth) / 10:.1f}"
        for tenth in range(_Y_TENTHS + 1)
    ]
    for x in _X
]
_TICKS = [f'<line x1="{x}" y1="15" x2="{x}" y2="22"/>' for x in _X]
_WINDOW_LABELS = [label for label, _ in WINDOWS]


def sparkline_svg(samples: list[Sample]) -> Markup | None:
    """Return recent response times as an inline SVG (a red tick per failed check).

    None when there are no samples. Built from numbers and fixed text only.
    """
    if not samples:
        return None
    samples = samples[-SAMPLES:]
    first = SAMPLES - len(samples)
    timed = [ms for _, _, ms in samples if ms is not None]
    top = max(timed, default=0.0)
    tenths = _Y_TENTHS / (top or 1.0)
    # Rounded from the top edge, as "y = height - value" would be.
    points = " ".join(
        [
            pairs[_Y_TENTHS - int(_Y_TENTHS - ms * tenths + 0.5)]
            for pairs, (_, _, ms) in zip(_PAIRS[first:], samples, strict=False)
            if ms is not None
        ]
    )
    ticks = [
        tick
        for tick, (_, ok, _) in zip(_TICKS[first:], samples, strict=False)
        if not ok
    ]
    summary = f"last {len(samples)} checks, {len(ticks)} failed"
    if timed:
        summary += f", {min(timed):g} to {top:g} ms"
    return Markup(  # noqa: S704 - numbers and fixed text only, nothing from users
        f'<svg class="spark" width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" '
        f'viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" role="img"><title>{summary}'
        f'</title><polyline points="{points}"/>{"".join(ticks)}</svg>'
    )


class PageRows:
    """Build the table rows of the status page; caches carry over between rounds.

    Sparklines are cached per monitor by their samples, times by their value: a
    monitor that was not checked this round costs no formatting.
    """

    def __init__(self, tz: str) -> None:
        self.tz = tz
        self._sparks: dict[str, tuple[list[Sample], str]] = {}
        self._times: dict[datetime, str] = {}

    def render(self, view: StatusView) -> Markup:
        """Return every monitor's ``<tr>``, most urgent first, as one Markup."""
        sparks, self._sparks = self._sparks, {}
        times, self._times = self._times, {}
        now = view.generated_at
        rows = []
        for m in view.monitors:
            cached = sparks.get(m.name)
            if cached is None or cached[0] != m.samples:
                cached = (m.samples, sparkline_svg(m.samples) or "")
            self._sparks[m.name] = cached
            since = NO_DATA
            if m.since is not None:
                tag = times.get(m.since) or self._time_tag(m.since)
                self._times[m.since] = tag
                since = f"{tag}{format_age((now - m.since).total_seconds())}</time>"
            rows.append(self._row(m, since, cached[1]))
        return Markup("\n".join(rows))  # noqa: S704 - every monitor text is escaped

    def _time_tag(self, moment: datetime) -> str:
        title = escape(format_moment(moment, self.tz))
        return f'<time datetime="{moment.isoformat()}" title="{title}">'

    @staticmethod
    def _row(m: MonitorView, since: str, spark: str) -> str:
        name, state = escape(m.name), m.state
        detail = f'<span class="detail">{escape(m.detail)}</span>' if m.detail else ""
        doc = ""
        if m.failure_link:
            link = escape(m.failure_link)
            doc = f' · <a href="{link}" rel="noopener noreferrer">what to do</a>'
        elif m.failure_doc:
            doc = f" · {escape(m.failure_doc)}"
        checked = format_age(m.age_seconds)
        if m.age_seconds is not None:
            checked += " ago"
        response = NO_DATA if m.duration_ms is None else f"{m.duration_ms:.0f} ms"
        windows = "".join(
            [
                f"<td>{format_percent(m.availability.get(w))}</td>"
                for w in _WINDOW_LABELS
            ]
        )
        # Cells carry no classes or labels: the stylesheet styles them by column.
        return (
            f'<tr class="row-{state}" data-monitor="{name}" data-state="{state}">'
            f'<td><span class="state s-{state}">{m.symbol} {m.label}</span>{detail}'
            f'</td><td><span class="name" title="{escape(m.description)}">{name}'
            f'</span><span class="desc">{escape(m.type_name)}{doc}</span></td>'
            f"<td>{since}</td><td>{m.virtual_fail_count}</td>"
            f"<td>{escape(m.message)}</td><td>{checked}</td>"
            f"<td>{response}{spark}</td>{windows}</tr>"
        )
