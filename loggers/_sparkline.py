"""Inline SVG sparklines of recent checks, rebuilt incrementally from round to round.

Each sample is drawn at (its ordinal, minus its duration in ms); the ``viewBox``
alone scales and scrolls the picture. So a sample's point text never changes, and a
new round only formats the new sample: the rest is a join. Numbers only, no I/O.
"""

from __future__ import annotations

from operator import itemgetter

from markupsafe import Markup

from loggers._history_figures import SAMPLES, Sample

WIDTH, HEIGHT = 96, 22  # CSS pixels
MARGIN = 2  # pixels kept free above the highest and below the lowest point
_TICK_TOP = 15  # failed-check ticks run from here to the bottom edge, in pixels
_DRAWN = HEIGHT - 2 * MARGIN
_MS, _OK = itemgetter(2), itemgetter(1)
# The viewBox's end and title, and a failed-check tick's text around its x position.
Frame = tuple[str, tuple[str, str]]
FrameKey = tuple[int, int, float | None, float | None]  # count, failed, low, high
_FRAMES_KEPT = 16384  # distinct ranges kept; most rounds reuse a monitor's


def _point(ordinal: int, ms: float | None) -> str:
    return "" if ms is None else f"{ordinal},{-ms}"


def _frame(count: int, failed: int, low: float | None, high: float | None) -> Frame:
    """Return what depends on the samples' range only: most rounds reuse it."""
    top = high or 1.0
    unit = top / _DRAWN  # ms per pixel
    upper = -top - MARGIN * unit  # the viewBox's upper edge, in -ms
    summary = f"last {count} check{'s' * (count != 1)}, {failed} failed"
    if high is not None:
        summary += f", {low:g} ms" if low == high else f", {low:g} to {high:g} ms"
    # preserveAspectRatio="none" stretches x and y separately; the stylesheet's
    # vector-effect keeps strokes at their pixel width.
    middle = (
        f'{upper:g} {SAMPLES - 1} {HEIGHT * unit:g}" preserveAspectRatio="none" '
        f'role="img"><title>{summary}</title><polyline points="'
    )
    ticks = (
        f'" y1="{upper + _TICK_TOP * unit:g}" x2="',
        f'" y2="{upper + HEIGHT * unit:g}"/>',
    )
    return middle, ticks


def _svg(
    samples: list[Sample], first: int, points: str, frames: dict[FrameKey, Frame]
) -> str:
    mss = list(map(_MS, samples))
    timed = mss if None not in mss else [ms for ms in mss if ms is not None]
    oks = list(map(_OK, samples))
    failed = oks.count(False)
    low, high = (min(timed), max(timed)) if timed else (None, None)
    key = (len(samples), failed, low, high)
    frame = frames.get(key)
    if frame is None:
        if len(frames) >= _FRAMES_KEPT:
            frames.clear()
        frame = frames[key] = _frame(*key)
    middle, (y1, y2) = frame
    ticks = ""
    if failed:
        ticks = "".join(
            [f'<line x1="{o}{y1}{o}{y2}' for o, ok in enumerate(oks, first) if not ok]
        )
    # Samples are drawn at (ordinal, -ms): the viewBox scrolls and scales them.
    left = first + len(samples) - SAMPLES
    return (
        f'<svg class="spark" width="{WIDTH}" height="{HEIGHT}" viewBox="{left} '
        f'{middle}{points}"/>{ticks}</svg>'
    )


class Sparklines:
    """Remember each monitor's drawn samples so the next round only adds new ones.

    Kept in flat dicts of strings and ints (the samples lists are the history's
    own), so a round leaves no new objects for the cyclic garbage collector.
    """

    def __init__(self) -> None:
        self._samples: dict[str, list[Sample]] = {}
        self._first: dict[str, int] = {}  # ordinal of the first sample drawn
        self._points: dict[str, str] = {}
        self._svg: dict[str, str] = {}
        self._seen: set[str] = set()
        self._frames: dict[FrameKey, Frame] = {}

    def svg(self, name: str, samples: list[Sample]) -> str:
        """Return ``name``'s sparkline for ``samples`` ("" when there are none)."""
        if not samples:
            return ""
        if len(samples) > SAMPLES:
            samples = samples[-SAMPLES:]
        self._seen.add(name)
        before = self._samples.get(name)
        if before is not None and (before is samples or before == samples):
            return self._svg[name]
        first, points = self._extend(name, before, samples)
        svg = _svg(samples, first, points, self._frames)
        self._samples[name], self._first[name] = samples, first
        self._points[name], self._svg[name] = points, svg
        return svg

    def end_round(self) -> None:
        """Forget monitors that were not drawn since the last call."""
        for name in self._svg.keys() - self._seen:
            for table in (self._samples, self._first, self._points, self._svg):
                del table[name]
        self._seen = set()

    def _extend(
        self, name: str, before: list[Sample] | None, samples: list[Sample]
    ) -> tuple[int, str]:
        """Return the first sample's ordinal and the polyline's points."""
        new = samples[-1]
        # Usually one sample arrived, and the oldest left if the list was full.
        if (
            before
            and len(samples) - len(before) in (0, 1)
            and new[2] is not None
            and samples[:-1] == before[-len(samples) + 1 :]
        ):
            points, first = self._points[name], self._first[name]
            if None not in map(_MS, before):  # one point per sample: drop the first
                if len(before) == len(samples):
                    points, first = points[points.index(" ") + 1 :], first + 1
                ordinal = first + len(samples) - 1
                return first, f"{points} {_point(ordinal, new[2])}"
        drawn = [_point(o, ms) for o, (_, _, ms) in enumerate(samples)]
        return 0, " ".join(filter(None, drawn))


def sparkline_svg(samples: list[Sample]) -> Markup:
    """Return recent response times as an inline SVG (a red tick per failed check).

    Empty (and false) when there are no samples. Built from numbers and fixed text.
    """
    return Markup(Sparklines().svg("", samples))  # noqa: S704 - numbers only
