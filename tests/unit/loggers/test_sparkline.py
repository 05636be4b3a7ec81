import random
import re

import pytest

from loggers._history_figures import SAMPLES, Sample
from loggers._sparkline import HEIGHT, WIDTH, Sparklines, sparkline_svg


def pixels(svg):
    """Return the polyline's and ticks' points in CSS pixels, as a browser maps them."""
    box = re.search(r'viewBox="([^"]+)"', svg)
    assert box is not None
    left, top, width, height = map(float, box[1].split())
    assert 'preserveAspectRatio="none"' in svg

    def to_px(x, y):
        return (x - left) * WIDTH / width, (y - top) * HEIGHT / height

    polyline = re.search(r'points="([^"]*)"', svg)
    assert polyline is not None
    points = polyline[1].split()
    line = [to_px(*map(float, p.split(","))) for p in points]
    ticks = [
        (to_px(float(x1), float(y1)), to_px(float(x2), float(y2)))
        for x1, y1, x2, y2 in re.findall(
            r'<line x1="([^"]+)" y1="([^"]+)" x2="([^"]+)" y2="([^"]+)"/>', svg
        )
    ]
    return line, ticks


def expected(samples):
    """Newest at the right edge, equal steps; 2 px margins; ticks 15-22 px."""
    step = WIDTH / (SAMPLES - 1)
    timed = [ms for _, _, ms in samples if ms is not None]
    top = max(timed, default=0.0) or 1.0
    n = len(samples)
    x = [WIDTH - step * (n - 1 - i) for i in range(n)]
    line = [
        (x[i], HEIGHT - 2 - ms * (HEIGHT - 4) / top)
        for i, (_, _, ms) in enumerate(samples)
        if ms is not None
    ]
    ticks = [
        ((x[i], 15.0), (x[i], 22.0)) for i, (_, ok, _) in enumerate(samples) if not ok
    ]
    return line, ticks


def flat(points):
    return [
        v for p in points for v in (p if isinstance(p[0], float) else (*p[0], *p[1]))
    ]


def assert_close(got, want):
    assert flat(got) == pytest.approx(flat(want), abs=0.01)


@pytest.mark.parametrize("seed", range(5))
def test_sparkline_built_round_by_round_matches_the_plain_drawing(seed):
    rng = random.Random(seed)
    sparklines = Sparklines()
    samples: list[Sample] = []
    for t in range(3 * SAMPLES):  # incremental rounds, and a full list sliding
        ms = None if rng.random() < 0.05 else round(rng.uniform(0, 300), 1)
        samples = [*samples, (t, rng.random() > 0.1, ms)][-SAMPLES:]
        svg = sparklines.svg("web", samples)
        sparklines.end_round()
        line, ticks = pixels(svg)
        want_line, want_ticks = expected(samples)
        assert_close(line, want_line)
        assert_close(ticks, want_ticks)
        # The stateless filter draws the same picture.
        fresh_line, fresh_ticks = pixels(str(sparkline_svg(samples)))
        assert_close(fresh_line, want_line)
        assert_close(fresh_ticks, want_ticks)


def test_sparkline_summary_and_empty_history():
    assert sparkline_svg([]) == ""
    svg = str(sparkline_svg([(0, True, 12.5), (60, False, None), (120, True, 40.0)]))
    assert "<title>last 3 checks, 1 failed, 12.5 to 40 ms</title>" in svg
    assert svg.count("<line ") == 1


def test_sparkline_summary_of_a_single_check_reads_as_english():
    svg = str(sparkline_svg([(0, False, 68.5)]))
    assert "<title>last 1 check, 1 failed, 68.5 ms</title>" in svg
