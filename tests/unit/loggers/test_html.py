import json
import os
import re
import sqlite3
import stat
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from loggers._history import History
from loggers._history_figures import SAMPLES
from loggers._status import format_age, format_percent, status_view
from loggers.html import HtmlLogger, HtmlOptions
from simplemon.common import LoggerCommon
from simplemon.errors import DeliveryError
from simplemon.model import Status
from simplemon.record import fields, replace
from tests.peers.demo import HOSTILE, demo_round
from tests.peers.snapshots import T0, later, monitor, snapshot


def page_of(tmp_path, snap, **options):
    logger = HtmlLogger("html", HtmlOptions(folder=tmp_path / "out", **options))
    logger.write(snap)
    logger.close()
    return (tmp_path / "out" / "index.html").read_text()


def test_html_page_escapes_hostile_names_and_results(tmp_path):
    page = page_of(tmp_path, demo_round())
    assert HOSTILE not in page
    assert "&lt;script&gt;document.title=" in page
    assert "onerror=&#34;alert" in page
    assert page.count("<script>") == 1  # only the page's own stale-page check


def test_html_lists_failed_monitors_first_with_text_labels(tmp_path):
    page = page_of(tmp_path, demo_round())
    states = re.findall(r'data-state="(\w+)"', page)
    assert states == [
        "failed",
        "failed",
        "stale",
        "failing",
        "skipped",
        "unknown",
        "ok",
        "ok",
        "disabled",
    ]
    for label in ("FAILED", "STALE", "FAILING", "SKIPPED", "WAITING", "OK", "DISABLED"):
        assert f"{label}</span>" in page
    assert "2 of 9 monitors FAILED" in page


def test_html_page_has_refresh_and_no_external_resources(tmp_path):
    page = page_of(tmp_path, demo_round(interval=10))
    assert '<meta http-equiv="refresh" content="30">' in page
    assert 'data-stale-after="20"' in page
    assert not re.search(r'(src|href)="(https?:)?//(?!wiki\.example\.invalid)', page)
    assert "<link" not in page


def test_html_refresh_follows_long_intervals(tmp_path):
    page = page_of(tmp_path, demo_round(interval=300))
    assert '<meta http-equiv="refresh" content="300">' in page


def test_html_failure_doc_links_only_http_urls(tmp_path):
    snap = snapshot(
        monitor("a", Status.FAILED, failure_doc="javascript:alert(1)"),
        monitor("b", Status.FAILED, failure_doc="https://127.0.0.1/runbook"),
    )
    page = page_of(tmp_path, snap)
    assert 'href="https://127.0.0.1/runbook"' in page
    assert 'href="javascript' not in page
    assert "javascript:alert(1)" in page  # shown as text


def test_html_theme_option_sets_the_document_theme(tmp_path):
    assert 'data-theme="dark"' in page_of(tmp_path, demo_round(), visual_theme="dark")
    assert "prefers-color-scheme: dark" in page_of(tmp_path, demo_round())


def test_html_page_is_written_atomically_with_mode_0644(tmp_path):
    page_of(tmp_path, demo_round())
    out = tmp_path / "out"
    mode = stat.S_IMODE((out / "index.html").stat().st_mode)
    assert mode == 0o644
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "index.html"
    ]
    assert not [p for p in out.iterdir() if p.name.startswith(".index.html")]


def test_html_uses_a_template_from_source_folder(tmp_path):
    src = tmp_path / "tpl"
    src.mkdir()
    (src / "status.html.j2").write_text("{{ view.banner }} {{ view.monitors[0].name }}")
    assert page_of(tmp_path, demo_round(), source_folder=src).startswith(
        "2 of 9 monitors FAILED api"
    )


def test_html_options_reject_missing_template_and_path_filenames(tmp_path):
    with pytest.raises(ValueError, match=r"status\.html\.j2"):
        HtmlOptions(source_folder=tmp_path)
    with pytest.raises(ValueError, match="plain file name"):
        HtmlOptions(filename="../x.html")


def test_html_source_folder_of_simplemonitor_says_its_template_does_not_carry_over(
    tmp_path,
):
    (tmp_path / "status-template.html").write_text("{{ ok_count }}")
    with pytest.raises(ValueError, match=r"SimpleMonitor's status-template\.html"):
        HtmlOptions(source_folder=tmp_path)


def test_html_upload_example_leaves_out_the_history_and_temp_files(tmp_path):
    # The page's folder also holds the history database (its WAL files) and, while
    # a round writes, the page's temp file: all dot files. The documented upload
    # example must not publish them (tens of MB of SQLite at 2,000 monitors).
    page_of(tmp_path, demo_round())
    others = {p.name for p in (tmp_path / "out").iterdir()} - {"index.html"}
    assert others
    assert all(name.startswith(".") for name in others)
    help_text = (
        next(f for f in fields(HtmlOptions) if f.name == "upload_command")
        .metadata["option"]
        .help
    )
    example = re.search(r"`(rsync [^`]*)`", help_text)
    assert example is not None
    assert "--exclude=.*" in example.group(1).split()


def test_html_runs_upload_command_without_a_shell(tmp_path):
    marker = tmp_path / "uploaded; echo"
    command = f"{sys.executable} -c 'import sys; open(sys.argv[1], \"w\")' '{marker}'"
    page_of(tmp_path, demo_round(), upload_command=command)
    assert marker.exists()


def test_html_reports_failing_upload_command(tmp_path):
    command = f"{sys.executable} -c 'import sys; sys.exit(3)'"
    with pytest.raises(DeliveryError, match="exited with 3"):
        page_of(tmp_path, demo_round(), upload_command=command)


def _running(pid):
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat_line.rsplit(")", 1)[1].split()[0] != "Z"


def test_html_upload_timeout_kills_the_commands_children_too(tmp_path):
    pid_file = tmp_path / "child.pid"
    command = f"sh -c 'sleep 30 & echo $! > {pid_file}; wait'"
    with pytest.raises(DeliveryError, match="upload_command"):
        page_of(
            tmp_path,
            demo_round(),
            upload_command=command,
            upload_timeout=timedelta(seconds=1),
        )
    child = int(pid_file.read_text())
    for _ in range(50):  # the kill is asynchronous: up to 5 s
        if not _running(child):
            break
        time.sleep(0.1)
    assert not _running(child)


def test_html_upload_command_leaving_a_background_child_is_not_a_timeout(tmp_path):
    # The command exits 0 at once; its child keeps the inherited stdout/stderr open.
    command = "sh -c 'sleep 5 & exit 0'"
    page_of(
        tmp_path,
        demo_round(),
        upload_command=command,
        upload_timeout=timedelta(seconds=2),
    )


def test_html_constructor_creates_no_files(tmp_path):
    HtmlLogger("html", HtmlOptions(folder=tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_availability_counts_checks_and_survives_restarts(tmp_path):
    path = tmp_path / "h.db"
    web = monitor("web")
    history = History(path)
    for i in range(3):
        history.record(snapshot(later(web, i * 60), at=T0 + timedelta(minutes=i)))
    history.close()
    failed = later(web, 180, status=Status.FAILING)
    figures = History(path).record(snapshot(failed, at=T0 + timedelta(minutes=3)))
    assert figures["web"].availability == {"24h": 0.75, "7d": 0.75, "30d": 0.75}
    assert [ok for _, ok, _ in figures["web"].samples] == [True, True, True, False]


def test_availability_windows_drop_old_hours(tmp_path):
    history = History(tmp_path / "h.db")
    web = monitor("web", Status.OK)
    history.record(snapshot(web))
    for days, status in ((2, Status.FAILED), (8.5, Status.FAILED), (9, Status.OK)):
        history.record(
            snapshot(
                later(web, days * 86400, status=status),
                at=T0 + timedelta(days=days),
            )
        )
    figures = history.record(
        snapshot(
            later(web, 9 * 86400 + 1, status=Status.OK),
            at=T0 + timedelta(days=9, seconds=1),
        )
    )
    # 30 d: 5 checks, 2 failed; 7 d: the last 3 (1 failed); 24 h: the same 3.
    assert figures["web"].availability == {"24h": 2 / 3, "7d": 2 / 3, "30d": 3 / 5}


def test_history_shared_by_two_loggers_counts_each_check_once(tmp_path):
    path = tmp_path / "h.db"
    first, second = History(path), History(path)
    snap = snapshot(monitor("web"), monitor("api", Status.FAILED))
    first.record(snap)
    figures = second.record(snap)
    assert len(figures["web"].samples) == 1
    assert figures["api"].availability["24h"] == 0.0
    nxt = snapshot(later(monitor("web"), 60), at=T0 + timedelta(minutes=1))
    assert len(first.record(nxt)["web"].samples) == 2


def test_skipped_and_unchecked_monitors_do_not_count(tmp_path):
    figures = History(tmp_path / "h.db").record(
        snapshot(monitor("w", Status.SKIPPED), monitor("n", Status.UNKNOWN))
    )
    assert figures["w"].availability["24h"] is None
    assert figures["n"].samples == []


def test_monitor_is_stale_after_two_periods_without_a_check():
    m = monitor("web", at=T0 - timedelta(minutes=3), ran=False)
    assert status_view(snapshot(m), {}).monitors[0].state == "stale"
    slow = monitor("web", at=T0 - timedelta(minutes=3), gap=600, ran=False)
    assert status_view(snapshot(slow), {}).monitors[0].state == "ok"


def test_monitor_checked_in_a_round_that_overran_the_interval_is_not_stale():
    # interval 2 s; a hung server's 7 s timeout holds the round: the fast check done
    # at its start is 7 s old when the page is written, yet it is this round's result.
    fast = monitor("web", at=T0 - timedelta(seconds=7))
    slow = monitor("slow", Status.FAILED, at=T0, message="timed out after 7s")
    view = status_view(snapshot(fast, slow, interval=2), {})
    assert [(m.name, m.state) for m in view.monitors] == [
        ("slow", "failed"),
        ("web", "ok"),
    ]
    assert view.counts["stale"] == 0


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "\u2013"), (1.0, "100.00%"), (0.99999, "99.99%"), (0.5, "50.00%")],
)
def test_percent_never_rounds_up_to_100(value, text):
    assert format_percent(value) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "never"), (5, "5s"), (125, "2m"), (3700, "1h 1m"), (90000, "1d 1h")],
)
def test_ages_are_compact(seconds, text):
    assert format_age(seconds) == text


def test_history_keeps_the_last_samples_as_plain_json_across_restarts(tmp_path):
    path = tmp_path / "h.db"
    history = History(path)
    durations = [None if i % 7 == 3 else 0.001 * i for i in range(SAMPLES + 5)]
    for i, seconds in enumerate(durations):
        if i == 10:  # a restart: the next append starts from the stored text
            history.close()
            history = History(path)
        status = Status.FAILING if i % 5 == 0 else Status.OK
        web = later(monitor("web", duration=seconds), i * 60, status=status)
        figures = history.record(snapshot(web, at=T0 + timedelta(minutes=i)))
    history.close()
    expected = [
        [int((T0 + timedelta(minutes=i)).timestamp()), int(i % 5 != 0), ms]
        for i, ms in enumerate(
            None if s is None else round(s * 1e3, 1) for s in durations
        )
    ][-SAMPLES:]
    with sqlite3.connect(path) as conn:
        (text,) = conn.execute("SELECT samples FROM history_recent").fetchone()
    conn.close()
    assert text == json.dumps(expected)
    assert [list(s) for s in figures["web"].samples] == [
        [t, bool(ok), ms] for t, ok, ms in expected
    ]


def test_html_escapes_every_monitor_text_in_the_rows(tmp_path):
    snap = snapshot(
        monitor(
            f"n{HOSTILE}",
            Status.FAILED,
            message=f"m{HOSTILE}",
            description=f"d{HOSTILE}",
            type_name=f"t{HOSTILE}",
            failure_doc=f"f{HOSTILE}",
        ),
        monitor("link", Status.FAILED, failure_doc=f'https://x.invalid/"{HOSTILE}'),
    )
    page = page_of(tmp_path, snap)
    assert HOSTILE not in page
    assert page.count("<script>") == 1  # only the page's own stale-page check
    assert "<img" not in page
    for prefix in ("n", "m", "d", "t", "f"):
        assert f"{prefix}&lt;script&gt;" in page
    assert 'href="https://x.invalid/&#34;&lt;script&gt;' in page


def test_history_counts_kept_in_memory_match_a_fresh_read_of_the_file(tmp_path):
    path = tmp_path / "h.db"
    history = History(path)
    for i in range(10):  # ten rounds within one hour, every third check failing
        status = Status.FAILED if i % 3 == 0 else Status.OK
        monitors = [later(monitor("web"), i * 60, status=status), monitor("api")]
        snap = snapshot(*monitors, at=T0 + timedelta(minutes=i))
        figures = history.record(snap)
    history.close()
    again = History(path).record(snap)  # nothing new to count: all read back
    assert figures["web"].availability == again["web"].availability
    assert figures["web"].availability["24h"] == 6 / 10
    assert again["api"].availability["24h"] == 1.0


def test_own_template_gets_prebuilt_rows_and_the_sparkline_filter(tmp_path):
    src = tmp_path / "tpl"
    src.mkdir()
    (src / "status.html.j2").write_text(
        "{{ rows }}|{% for m in view.monitors %}{{ m.samples | sparkline }}{% endfor %}"
    )
    page = page_of(tmp_path, demo_round(), source_folder=src)
    rows, sparklines = page.split("|")
    assert rows.count("<tr ") == 9
    assert sparklines.count("<svg") == 6  # monitors with recorded checks
    assert "&lt;svg" not in page
    assert "None" not in page


def test_a_page_with_no_monitors_is_not_green(tmp_path):
    # A typo in the logger's groups selects nothing: that is no "all OK".
    view = status_view(snapshot(), {})
    assert (view.banner_state, view.banner) == (
        "unknown",
        "No monitors on this page (check the logger's groups)",
    )
    logger = HtmlLogger("page", HtmlOptions(folder=tmp_path))
    logger.write(snapshot())
    page = (tmp_path / "index.html").read_text()
    assert "No monitors on this page" in page
    assert '<div class="banner s-unknown" role="status" id="banner">' in page


def test_page_of_rounds_that_overrun_the_interval_is_not_flagged_stale(tmp_path):
    # interval 2 s, but a hung server's 7 s timeout makes every round last 7 s: a
    # page is written every 8 s, so "stale after 4 s" flagged a running simplemon.
    snap = replace(snapshot(monitor("web"), interval=2), round_seconds=7.0)
    assert status_view(snap, {}).stale_after_seconds == 14
    page = page_of(tmp_path, snap)
    assert 'data-stale-after="14"' in page
    normal = replace(snapshot(monitor("web"), interval=10), round_seconds=0.2)
    assert status_view(normal, {}).stale_after_seconds == 20


def test_banner_counts_only_checked_monitors_as_ok():
    # "All 3 monitors OK" over one check, one disabled and one not yet checked
    # claimed checks that never ran.
    view = status_view(
        snapshot(
            monitor("web"),
            monitor("backup", Status.DISABLED, ran=False),
            monitor("new", Status.UNKNOWN, ran=False),
        ),
        {},
    )
    assert (view.banner_state, view.banner) == (
        "ok",
        "1 monitor OK; 1 waiting, 1 disabled",
    )


def test_a_page_whose_monitors_are_all_disabled_is_not_green():
    view = status_view(
        snapshot(
            monitor("a", Status.DISABLED, ran=False),
            monitor("b", Status.DISABLED, ran=False),
        ),
        {},
    )
    assert (view.banner_state, view.banner) == (
        "unknown",
        "No monitor checked: 2 disabled",
    )


def test_history_forgets_monitors_not_checked_for_the_longest_window(tmp_path):
    # Renamed and removed monitors must not keep rows in the history file forever.
    path = tmp_path / "h.db"
    history = History(path)
    history.record(snapshot(monitor("old"), monitor("web")))
    month = T0 + timedelta(days=31)
    history.record(snapshot(later(monitor("web"), 31 * 86400), at=month))
    history.close()
    with sqlite3.connect(path) as conn:
        recent = conn.execute("SELECT monitor_name FROM history_recent").fetchall()
        hourly = conn.execute("SELECT DISTINCT monitor_name FROM history_hourly")
        assert (recent, hourly.fetchall()) == ([("web",)], [("web",)])
    conn.close()


def _waiting_upload(tmp_path):
    """An upload command that says it started (and its pid), then waits (10 s at
    most) for go."""
    script = tmp_path / "upload.py"
    script.write_text(
        "import os, pathlib, sys, time\n"
        "here = pathlib.Path(sys.argv[1])\n"
        "(here / 'pid').write_text(str(os.getpid()))\n"
        "(here / 'started').write_text('')\n"
        "for _ in range(200):\n"
        "    if (here / 'go').exists():\n"
        "        (here / 'done').write_text('')\n"
        "        break\n"
        "    time.sleep(0.05)\n"
    )
    return f"{sys.executable} {script} {tmp_path}"


def test_html_round_does_not_wait_for_upload_command(tmp_path):
    logger = HtmlLogger(
        "html",
        HtmlOptions(
            folder=tmp_path / "out",
            upload_command=_waiting_upload(tmp_path),
            upload_timeout=timedelta(seconds=5),
        ),
    )
    logger.write(demo_round())  # returns while the upload still runs
    assert not (tmp_path / "done").exists()
    logger.write(demo_round())  # the first is still running: no second one
    (tmp_path / "go").write_text("")
    logger.close()  # waits for the upload (within upload_timeout)
    assert (tmp_path / "done").exists()


def _wait_until_exited(pid: int) -> None:
    """Wait (10 s at most) until the logger's upload child ``pid`` has exited.

    WNOWAIT leaves the exited child for the logger to reap. A fixed sleep after
    its last file was written was not enough on a busy machine: still running,
    the upload kept the failure and the next round raised it again.
    """
    flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
    for _ in range(200):
        if os.waitid(os.P_PID, pid, flags) is not None:
            return
        time.sleep(0.05)
    raise AssertionError(f"upload {pid} still running after 10 s")


def _logger_with_an_overdue_upload(tmp_path):
    """An html logger whose first upload has started and run past its 1 s timeout."""
    logger = HtmlLogger(
        "html",
        HtmlOptions(
            folder=tmp_path / "out",
            upload_command=_waiting_upload(tmp_path),
            upload_timeout=timedelta(seconds=1),
        ),
    )
    logger.write(demo_round())
    for _ in range(100):  # bounded: 10 s
        if (tmp_path / "started").exists():
            break
        time.sleep(0.1)
    time.sleep(1.1)  # past upload_timeout
    return logger


def test_html_upload_still_running_after_its_timeout_is_killed_next_round(tmp_path):
    logger = _logger_with_an_overdue_upload(tmp_path)
    with pytest.raises(DeliveryError, match="still running after 1s; killed"):
        logger.write(demo_round())
    (tmp_path / "go").write_text("")
    logger.close()
    assert (tmp_path / "done").exists()  # the second round started a new upload


def test_a_killed_upload_stays_the_problem_until_an_upload_succeeds(tmp_path):
    # Starting the next upload is not success: the round after a kill said
    # "writing again", and every kill of a hung upload was logged again.
    logger = _logger_with_an_overdue_upload(tmp_path)
    with pytest.raises(DeliveryError, match="killed") as killed:
        logger.write(demo_round())  # kills it, starts another
    with pytest.raises(DeliveryError) as still:
        logger.write(demo_round())  # that one has not succeeded yet
    assert str(still.value) == str(killed.value)
    (tmp_path / "go").write_text("")
    for _ in range(100):  # bounded: 10 s
        if (tmp_path / "done").exists():
            break
        time.sleep(0.1)
    _wait_until_exited(int((tmp_path / "pid").read_text()))  # the one that is done
    logger.write(demo_round())  # it succeeded: no problem any more
    logger.close()


def test_html_page_is_still_written_while_the_history_file_is_locked(
    tmp_path, monkeypatch
):
    monkeypatch.setattr("loggers._sqlite.BUSY_TIMEOUT_SECONDS", 0.05)
    logger = HtmlLogger("html", HtmlOptions(folder=tmp_path / "out"))
    web = monitor("web")
    logger.write(snapshot(web))
    shell = sqlite3.connect(tmp_path / "out" / ".simplemon-history.db")
    shell.isolation_level = None
    shell.execute("BEGIN IMMEDIATE")  # a sqlite3 shell left inside a write
    try:
        down = later(web, 60, status=Status.FAILED, last_message="refused")
        with pytest.raises(DeliveryError, match="write lock"):
            logger.write(snapshot(down))
        page = (tmp_path / "out" / "index.html").read_text()
        assert "refused" in page  # this round's states, last known availability
        assert "100.00%" in page
    finally:
        shell.execute("COMMIT")
        shell.close()
    logger.close()


# HTML's valid global date and time string: at most three fraction digits, then a
# zone. Date.parse is only specified for that shape (ECMAScript's date time format).
_HTML_DATETIME = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:\d\d)"
)


def test_html_time_attributes_are_valid_html_and_parse_by_the_js_standard(tmp_path):
    at = T0 + timedelta(seconds=3, microseconds=123456)  # real clocks have these
    snap = snapshot(
        monitor("a", Status.FAILED, at=at), monitor("b", Status.OK, at=at), at=at
    )
    page = page_of(tmp_path, snap)
    stamps = re.findall(r'<time[^>]* datetime="([^"]*)"', page)
    assert len(stamps) == 3  # generated, and each row's Since
    for stamp in stamps:
        assert _HTML_DATETIME.fullmatch(stamp), stamp
    assert 'id="generated" datetime="2026-01-05T12:00:03' in page


# --- the daemon stopped for good ------------------------------------------------------


def _html(tmp_path, **options):
    common = LoggerCommon(type="html", tz="Europe/Paris")
    return HtmlLogger("html", HtmlOptions(folder=tmp_path / "out", **options), common)


def test_a_stopped_daemon_s_page_says_so_with_the_last_round_s_states(tmp_path):
    logger = _html(tmp_path)
    logger.write(snapshot(monitor("a"), monitor("b")))  # all OK at 13:00:00 CET
    logger.stopped(T0 + timedelta(seconds=7))
    logger.close()
    page = (tmp_path / "out" / "index.html").read_text()
    assert (
        "simplemon stopped at 2026-01-05 13:00:07 CET. Its last round, at "
        "2026-01-05 13:00:00 CET: All 2 monitors OK. Not updated since."
    ) in page
    assert '<div class="banner s-stopped"' in page
    banner = re.search(r'<div class="banner[^>]*>', page)
    assert banner is not None
    assert "s-ok" not in banner.group(0)
    assert page.count("All 2 monitors OK") == 1  # only as the last round's, above
    assert re.search(
        r"<title>■ stopped · simplemon: not updated since 2026-01-05 "
        r"13:00:00 CET</title>",
        page,
    )
    assert "<script>" not in page  # the staleness check would contradict it
    assert page.count('data-state="ok"') == 2  # the last round's rows are kept
    assert not list((tmp_path / "out").glob("index.html.*"))  # replaced atomically


def test_a_logger_stopped_before_its_first_round_writes_no_page(tmp_path):
    logger = _html(tmp_path)
    logger.stopped(T0)
    logger.close()
    assert not (tmp_path / "out" / "index.html").exists()


def test_the_stopped_page_is_uploaded_after_the_last_round_s_upload(tmp_path):
    # Each upload copies the page as it is when the upload starts, then takes a
    # while: the stopped page comes while the last round's upload still runs.
    script = tmp_path / "upload.py"
    script.write_text(
        "import pathlib, sys, time\n"
        "page = (pathlib.Path(sys.argv[1]) / 'index.html').read_text()\n"
        "(pathlib.Path(sys.argv[2]) / 'read').touch()\n"
        "time.sleep(0.3)\n"
        "n = len(list(pathlib.Path(sys.argv[2]).glob('copy-*')))\n"
        "(pathlib.Path(sys.argv[2]) / f'copy-{n}').write_text(page)\n"
    )
    logger = _html(
        tmp_path,
        upload_command=f"{sys.executable} {script} {tmp_path / 'out'} {tmp_path}",
    )
    logger.write(snapshot(monitor("a")))
    for _ in range(500):  # 10 s at most
        if (tmp_path / "read").exists():
            break
        time.sleep(0.02)
    logger.stopped(T0 + timedelta(seconds=7))  # that upload is still running
    logger.close()
    copies = sorted(tmp_path.glob("copy-*"))
    assert len(copies) == 2
    assert "simplemon stopped at" not in copies[0].read_text()
    assert "simplemon stopped at" in copies[1].read_text()
