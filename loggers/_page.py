"""The status table's rows as HTML, built in Python for speed.

A Jinja2 loop over 10,000 monitors costs more than the rest of a round, so the default
template inserts these prebuilt rows. Every text that comes from a monitor or a
monitored server goes through ``markupsafe.escape`` (the function Jinja2's autoescape
uses); everything else is numbers and constants. No I/O here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

from loggers._sparkline import Sparklines
from loggers._status import (
    NO_DATA,
    STATES,
    MonitorView,
    StatusView,
    format_age,
    format_moment,
    format_percent,
)

_LABELS = {key: (label, symbol) for key, label, symbol in STATES}


class _Memo:
    """Texts formatted once per distinct key; kept one more round, then dropped."""

    def __init__(self, make: Callable[[Any], str]) -> None:
        self.make = make
        self._now: dict[object, str] = {}
        self._before: dict[object, str] = {}

    def get(self, key: object) -> str:
        """Return ``make(key)``, reusing this or last round's text."""
        text = self._now.get(key)
        if text is None:
            text = self._before.get(key)
            if text is None:
                text = self.make(key)
            self._now[key] = text
        return text

    def end_round(self) -> None:
        """Drop what was not used since the previous call."""
        self._before, self._now = self._now, {}


class PageRows:
    """Build the table rows of the status page; caches carry over between rounds.

    What rarely changes (a row's state and name cells, its message, availability
    cells, times) is formatted once and reused while its inputs stay the same.
    """

    def __init__(self, tz: str) -> None:
        self.tz = tz
        self.sparklines = Sparklines()
        self._heads = _Memo(_head)
        self._messages = _Memo(escape)
        self._windows = _Memo(_window_cells)
        self._times = _Memo(self._time_tag)

    def render(self, view: StatusView) -> Markup:
        """Return every monitor's ``<tr>``, most urgent first, as one Markup."""
        parts: list[str] = []
        for m in view.monitors:
            self._row(m, view.generated_at, parts)
        for memo in (self._heads, self._messages, self._windows, self._times):
            memo.end_round()
        self.sparklines.end_round()
        return Markup("".join(parts))  # noqa: S704 - every monitor text is escaped

    def _row(self, m: MonitorView, now: datetime, parts: list[str]) -> None:
        """Append one monitor's row to ``parts`` (joined once: no per-row copies)."""
        since = NO_DATA
        if m.since is not None:
            tag = self._times.get(m.since)
            since = f"{tag}{format_age((now - m.since).total_seconds())}</time>"
        checked = format_age(m.age_seconds)
        if m.age_seconds is not None:
            checked += " ago"
        response = NO_DATA if m.duration_ms is None else f"{m.duration_ms:.0f} ms"
        # Cells carry no classes or labels: the stylesheet styles them by column.
        parts += (
            self._heads.get(_head_key(m)),
            f"<td>{since}</td><td>{m.virtual_fail_count}</td><td>",
            self._messages.get(m.message),
            f"</td><td>{checked}</td><td>{response}",
            self.sparklines.svg(m.name, m.samples),
            "</td>",
            self._windows.get(tuple(m.availability.values())),
            "</tr>\n",
        )

    def _time_tag(self, moment: datetime) -> str:
        title = escape(format_moment(moment, self.tz))
        # Whole seconds: HTML allows at most three fraction digits, and Date.parse
        # is only specified for that shape.
        stamp = moment.isoformat(timespec="seconds")
        return f'<time datetime="{stamp}" title="{title}">'


# What a row starts with, and what it depends on (all but state: monitor texts).
HeadKey = tuple[str, str, str, str, str, str | None, str | None]


def _head_key(m: MonitorView) -> HeadKey:
    return (
        m.name,
        m.state,
        m.detail,
        m.description,
        m.type_name,
        m.failure_doc,
        m.failure_link,
    )


def _head(key: HeadKey) -> str:
    """Return a row's opening: its state cell and its name cell."""
    name, state, detail, description, type_name, failure_doc, failure_link = key
    label, symbol = _LABELS[state]
    if detail:
        detail = f'<span class="detail">{escape(detail)}</span>'
    doc = ""
    if failure_link:
        link = escape(failure_link)
        doc = f' · <a href="{link}" rel="noopener noreferrer">what to do</a>'
    elif failure_doc:
        doc = f" · {escape(failure_doc)}"
    name = escape(name)
    return (
        f'<tr class="row-{state}" data-monitor="{name}" data-state="{state}"><td>'
        f'<span class="state s-{state}">{symbol} {label}</span>{detail}</td><td>'
        f'<span class="name" title="{escape(description)}">{name}</span>'
        f'<span class="desc">{escape(type_name)}{doc}</span></td>'
    )


def _window_cells(availability: tuple[float | None, ...]) -> str:
    return "".join([f"<td>{format_percent(value)}</td>" for value in availability])
