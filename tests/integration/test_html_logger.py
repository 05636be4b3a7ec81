import html
import json
import re
import signal
from datetime import UTC, datetime, timedelta

import pytest

from loggers.html import HtmlLogger, HtmlOptions
from simplemon.model import Status
from tests.peers.chromium import dump_dom, screenshot
from tests.peers.demo import demo_round
from tests.peers.monitor_process import (
    MonitorProcess,
    run_monitor_once,
    write_null_config,
)
from tests.peers.snapshots import monitor, snapshot

pytestmark = pytest.mark.integration


def write_page(tmp_path, theme, at=None):
    logger = HtmlLogger(
        "html", HtmlOptions(folder=tmp_path / theme, visual_theme=theme)
    )
    snap = demo_round(at=at) if at else demo_round()
    logger.write(snap)
    logger.close()
    return tmp_path / theme / "index.html"


def test_chromium_renders_rows_and_runs_no_injected_script(tmp_path):
    now = datetime.now(UTC).replace(microsecond=0)
    page = write_page(tmp_path, "auto", at=now)
    dom = dump_dom(page, tmp_path / "profile")
    rows = re.findall(r'<tr class="row-(\w+)" data-monitor="([^"]*)"', dom)
    assert [state for state, _ in rows] == [
        "failed", "failed", "stale", "failing", "skipped", "unknown", "ok", "ok",
        "disabled",
    ]  # fmt: skip
    # The injected <script> set no title and no <img> element was created from text.
    assert re.search(r"<title>✗ simplemon: 2 of 9 monitors FAILED</title>", dom)
    assert "<img" not in dom
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom
    # A freshly generated page does not show the stale-page warning.
    assert 'id="page-stale" role="alert">' in dom
    assert 'id="page-stale" role="alert" style="display: flex;"' not in dom
    screenshot(page, tmp_path / "profile", tmp_path / "auto.png", "1200,900")
    assert (tmp_path / "auto.png").stat().st_size > 10_000


def test_chromium_flags_a_page_that_is_no_longer_regenerated(tmp_path):
    page = write_page(tmp_path, "light")  # generated in 2026-01-05 12:00 UTC
    dom = dump_dom(page, tmp_path / "profile")
    if datetime.now(UTC) < datetime(2026, 1, 5, 12, 2, tzinfo=UTC):
        pytest.skip("the machine's clock is before the demo page's time")
    assert 'id="page-stale" role="alert" style="display: flex;"' in dom


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_chromium_renders_light_and_dark_themes(tmp_path, theme):
    page = write_page(tmp_path, theme)
    png = screenshot(page, tmp_path / "profile", tmp_path / f"{theme}.png", "420,800")
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG")
    # Top-left pixel colour tells the themes apart: decode just enough of the PNG.
    assert _corner_is_dark(png) is (theme == "dark")


def _corner_is_dark(png):
    import struct
    import zlib

    data = png.read_bytes()
    pos, chunks = 8, []
    width = 0
    color_type = 2
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, _, _, color_type = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    channels = 4 if color_type == 6 else 3
    first_row = raw[1 : 1 + width * channels]  # filter byte, then pixels
    # With filter 0 or 1 (Sub), the first pixel's bytes are the raw values.
    r, g, b = first_row[0], first_row[1], first_row[2]
    return (r + g + b) / 3 < 128


def _probe(page, tmp_path, width, expression):
    """Return the JSON value of a JavaScript ``expression`` evaluated on ``page``."""
    probe = page.with_name("probe.html")
    script = (
        "<script>document.body.setAttribute('data-probe', "
        f"JSON.stringify({expression}))</script></body>"
    )
    probe.write_text(page.read_text().replace("</body>", script))
    dom = dump_dom(probe, tmp_path / "profile", f"--window-size={width},900")
    found = re.search(r'data-probe="([^"]*)"', dom)
    assert found is not None
    return json.loads(html.unescape(found.group(1)))


def _overflow(page, tmp_path, width):
    """How far the page's layout overflows a window ``width`` pixels wide."""
    return _probe(
        page, tmp_path, width, "document.documentElement.scrollWidth - innerWidth"
    )


@pytest.mark.parametrize("width", [1366, 500])
def test_chromium_long_unbroken_texts_wrap_instead_of_widening_the_page(
    tmp_path, width
):
    now = datetime.now(UTC).replace(microsecond=0)
    long = "z" * 150
    snap = snapshot(
        monitor(f"name-{long}", Status.FAILED, at=now, message=f"HTTP 500 {long}",
                description=f"GET https://127.0.0.1/{long}", failure_doc=f"see {long}"),
        monitor("url-doc", Status.FAILED, at=now, failure_doc=f"https://127.0.0.1/{long}"),
        monitor("ok", at=now),
        at=now,
    )  # fmt: skip
    logger = HtmlLogger("html", HtmlOptions(folder=tmp_path / "out"))
    logger.write(snap)
    logger.close()
    assert _overflow(tmp_path / "out" / "index.html", tmp_path, width) <= 0


def test_chromium_stale_page_warning_says_how_old_in_seconds_when_under_two_minutes(
    tmp_path,
):
    # A 10 s interval flags the page after 20 s: "0 min" would read as "fresh".
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=45)
    logger = HtmlLogger("html", HtmlOptions(folder=tmp_path / "out"))
    logger.write(demo_round(at=at, interval=10))
    logger.close()
    dom = dump_dom(tmp_path / "out" / "index.html", tmp_path / "profile")
    # The page's age grows while Chromium starts (seconds on a busy machine).
    oldest = (datetime.now(UTC) - at).total_seconds()
    assert 'id="page-stale" role="alert" style="display: flex;"' in dom
    age = re.search(r'<span id="page-age">([^<]*)</span>', dom)
    assert age is not None
    shown = re.fullmatch(r"(\d+) s", age.group(1))
    assert shown is not None, age.group(1)
    assert 45 <= int(shown.group(1)) <= round(oldest), (age.group(1), oldest)


def test_chromium_phone_cards_show_one_bar_in_their_states_colour(tmp_path):
    page = write_page(tmp_path, "light")
    bars = _probe(
        page,
        tmp_path,
        500,  # headless Chromium's narrowest window; the phone layout starts at 760
        "[...document.querySelectorAll('tbody tr')].map(function (tr) {"
        " var s = getComputedStyle(tr), td = getComputedStyle(tr.cells[0]);"
        " return [tr.dataset.state, s.borderLeftWidth, s.borderLeftColor,"
        " td.boxShadow]; })",
    )
    colours = {}
    for state, width, colour, inner in bars:
        assert inner == "none", (state, inner)  # no second bar inside the card
        if state in ("failed", "stale", "failing"):
            assert width == "5px", state
            colours[state] = colour
    assert len(set(colours.values())) == 3, colours


# --- a real daemon stopping (or not) ------------------------------------------------

STOPPED = "simplemon stopped at "


def _daemon_config(tmp_path):
    return write_null_config(
        tmp_path,
        "[monitor]\ninterval = 1\nmonitors = monitors.ini\n"
        "[reporting]\nloggers = page\n[page]\ntype = html\nfolder = www\n",
    )


def _page(tmp_path):
    page = tmp_path / "www" / "index.html"
    return page.read_text(encoding="utf-8") if page.exists() else ""


def test_a_daemon_stopped_by_sigterm_leaves_a_page_that_says_so(tmp_path):
    ini = _daemon_config(tmp_path)
    with MonitorProcess(ini) as proc:
        proc.wait_rounds(1)
        proc.wait_for(lambda: "All 1 monitor OK" in _page(tmp_path))
        assert STOPPED not in _page(tmp_path)
        assert proc.stop() == 0, proc.log()  # SIGTERM, waits for the exit
    page = _page(tmp_path)
    assert STOPPED in page, proc.log()
    assert '<div class="banner s-stopped"' in page
    assert "<title>■ stopped · simplemon: not updated since " in page
    assert "<script>" not in page


def test_a_daemon_whose_loops_are_done_leaves_a_page_that_says_so(tmp_path):
    ini = _daemon_config(tmp_path)
    done = run_monitor_once(ini, "--loops", "2")
    assert done.returncode == 0, done.stderr
    assert STOPPED in _page(tmp_path)


def test_a_reloaded_daemon_that_goes_on_does_not_say_stopped(tmp_path):
    ini = _daemon_config(tmp_path)
    with MonitorProcess(ini) as proc:
        proc.wait_rounds(1)
        proc.signal(signal.SIGHUP)
        proc.wait_for(lambda: "configuration reloaded" in proc.log())
        proc.wait_rounds(2)
        page = _page(tmp_path)
        assert STOPPED not in page
        assert '<div class="banner s-ok"' in page
    assert STOPPED in _page(tmp_path)  # the stop that followed


def test_a_one_shot_run_does_not_say_stopped(tmp_path):
    ini = _daemon_config(tmp_path)
    done = run_monitor_once(ini, "-1")
    assert done.returncode == 0, done.stderr
    page = _page(tmp_path)
    assert "All 1 monitor OK" in page
    assert STOPPED not in page
