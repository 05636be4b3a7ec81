# mypy: allow-untyped-defs, allow-incomplete-defs, allow-untyped-calls
"""monitor.py as a subprocess: a monitor removed by a SIGHUP reload, a time window
that opens (and one that closes) while the test runs, and a hostile HTTP reason
phrase reaching a `sh -c` execute alerter."""

from __future__ import annotations

import itertools
import os
import signal
import textwrap
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from simplemon.alerting import REMOVED_INFO
from simplemon.state_store import StateStore
from tests.peers.http_server import HttpPeer, Recorded, Reply
from tests.peers.monitor_process import (
    MonitorProcess,
    kinds,
    outbox,
    recorded,
    recorder_command,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def execute_alerter(name: str, out: Path, options: str = "") -> str:
    command = recorder_command(out)
    return (
        f"[{name}]\ntype = execute\nfail_command = {command}\n"
        f"success_command = {command}\ncatchup_command = fail_command\n{options}\n"
    )


# --- SIGHUP: a monitor removed while alerted gets one final notice ----------------


def test_monitor_removed_by_sighup_gets_one_final_notice(tmp_path):
    monitors = write(
        tmp_path / "monitors.ini",
        """\
        [gone]
        type = fail
        interval = 1000
        [stays]
        type = fail
        interval = 1000
        """,
    )
    out = tmp_path / "rec.jsonl"
    ini = write(
        tmp_path / "monitor.ini",
        "[monitor]\ninterval = 1\n[reporting]\nalerters = rec\n"
        + execute_alerter("rec", out),
    )
    with MonitorProcess(ini) as proc:
        proc.wait_for(lambda: len(recorded(out)) == 2)  # both failures told
        write(monitors, "[stays]\ntype = fail\ninterval = 1000\n")
        proc.signal(signal.SIGHUP)
        proc.wait_for(lambda: len(recorded(out)) == 3)
        proc.wait_rounds(3)  # more rounds: no second notice
        assert "configuration reloaded: 1 monitors" in proc.log()
        assert "monitors removed from the configuration: ['gone']" in proc.log()
    assert sorted(kinds(out)[:2]) == [("failure", "gone", 1), ("failure", "stays", 1)]
    (notice,) = recorded(out)[2:]
    assert (notice["kind"], notice["name"], notice["info"]) == (
        "recovery",
        "gone",
        REMOVED_INFO,
    )
    # Forgotten for good: a restart with the new config says nothing more about it.
    with MonitorProcess(ini) as proc:
        proc.wait_rounds(2)
    assert len(recorded(out)) == 3
    assert [r["monitor"] for r in outbox(proc.state_file)].count("gone") == 2


# --- time windows that open and close during the test -----------------------------

#: seconds from computing the window to its edge: time enough to start monitor.py
LEAD_SECONDS = 9


def shifted_zone(lead: int) -> tuple[str, datetime, datetime]:
    """Return a POSIX TZ whose next minute boundary is ``lead`` s away.

    Windows are HH:MM, so a window can only open on a minute boundary. Instead of
    waiting up to a minute, the test runs monitor.py in a machine zone offset from
    UTC by a few seconds (glibc accepts `hh:mm:ss` offsets), chosen so that the
    local clock reaches hh:mm:00 ``lead`` seconds from now. Returns the TZ string,
    the local time now and the local boundary (both naive).
    """
    utc = datetime.now(UTC).replace(tzinfo=None)
    seconds_now = utc.second + utc.microsecond / 1e6
    offset = round(60 - lead - seconds_now) % 60
    local = utc + timedelta(seconds=offset)
    boundary = (local + timedelta(minutes=1)).replace(second=0, microsecond=0)
    return f"SMT-0:00:{offset:02d}", local, boundary


def scripted(statuses: list[int]):
    calls = itertools.count()

    def reply(request: Recorded) -> Reply:
        return Reply(statuses[min(next(calls), len(statuses) - 1)], b"scripted")

    return reply


def test_window_opening_sends_catchup_and_closing_window_holds_recovery(tmp_path):
    zone, local_now, boundary = shifted_zone(LEAD_SECONDS)
    edge = time.monotonic() + (boundary - local_now).total_seconds()
    hhmm = lambda moment: moment.strftime("%H:%M")  # noqa: E731
    opens = f"times_type = only\ntime_lower = {hhmm(boundary)}\n" + (
        f"time_upper = {hhmm(boundary + timedelta(minutes=10))}\n"
    )
    closes = (
        f"times_type = only\ntime_lower = {hhmm(local_now - timedelta(hours=1))}\n"
        + (f"time_upper = {hhmm(boundary)}\n")
    )
    with HttpPeer() as peer:
        # fails long enough to be still failing well after the window's edge
        peer.route("/down", scripted([500]))
        peer.route("/flap", scripted([500] * (LEAD_SECONDS + 3) + [200]))
        write(
            tmp_path / "monitors.ini",
            f"[down]\ntype = http\nurl = {peer.url('/down')}\ngroup = opens\n"
            f"[flap]\ntype = http\nurl = {peer.url('/flap')}\ngroup = closes\n",
        )
        ini = write(
            tmp_path / "monitor.ini",
            "[monitor]\ninterval = 1\n[reporting]\n"
            "alerters = catchup, dropped, closing, closing-ooh\n"
            + execute_alerter(
                "catchup",
                tmp_path / "catchup.jsonl",
                opens + "delay = yes\ngroups = opens",
            )
            + execute_alerter(
                "dropped", tmp_path / "dropped.jsonl", opens + "groups = opens"
            )
            + execute_alerter(
                "closing", tmp_path / "closing.jsonl", closes + "groups = closes"
            )
            + execute_alerter(
                "closing-ooh",
                tmp_path / "closing-ooh.jsonl",
                closes + "ooh_recovery = yes\ngroups = closes",
            ),
        )
        env = {**os.environ, "TZ": zone}
        with MonitorProcess(ini, env=env) as proc:
            proc.wait_for(lambda: proc.rounds() >= 1)
            first_round = time.monotonic()  # (a round ran by then)
            assert first_round < edge - 0.5, "monitor.py started too slowly"
            proc.wait_for(lambda: recorded(tmp_path / "catchup.jsonl"), timeout=30)
            assert time.monotonic() >= edge - 0.5  # not before the window opened
            proc.wait_for(lambda: len(recorded(tmp_path / "closing-ooh.jsonl")) == 2)
            proc.wait_rounds(2)
    (catchup,) = recorded(tmp_path / "catchup.jsonl")
    assert catchup["kind"] == "catchup"
    # the failure started before hours: every round from the first to the opening
    # counted (one a second; one less for a round that ran late on a busy machine)
    assert catchup["vfc"] >= max(2, int(edge - first_round) - 1)
    assert kinds(tmp_path / "dropped.jsonl") == []  # out of hours, no delay: dropped
    assert [k for k, _, _ in kinds(tmp_path / "closing-ooh.jsonl")] == [
        "failure",
        "recovery",
    ]
    assert kinds(tmp_path / "closing.jsonl") == [("failure", "flap", 1)]
    store = StateStore(proc.state_file)
    try:
        held = store.load_records()[("flap", "closing")]
    finally:
        store.close()
    assert held.recovery_held_at is not None  # owed when the window opens again


# --- a hostile HTTP reason phrase never runs as a command -------------------------

HOSTILE = (
    "OK $(touch MARKER1) `touch MARKER2` ; touch MARKER3 | touch MARKER4 "
    "&& touch MARKER5 ' \" ${HOME} $((6*7)) >MARKER6"
)


class _HostileHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = HOSTILE.encode()
        self.send_response(500, HOSTILE)  # the reason phrase is the attack
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def hostile_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HostileHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    thread.join(5)
    server.server_close()


def test_hostile_reason_phrase_is_written_literally_and_never_executed(
    tmp_path, hostile_url
):
    write(tmp_path / "monitors.ini", f"[web]\ntype = http\nurl = {hostile_url}\n")
    ini = write(
        tmp_path / "monitor.ini",
        """\
        [monitor]
        interval = 1
        [reporting]
        alerters = shell
        [shell]
        type = execute
        fail_command = /bin/sh -c "echo {info} >> alerts.log"
        """,
    )
    with MonitorProcess(ini, "-H") as proc:
        proc.wait_for((tmp_path / "alerts.log").exists)
        proc.wait_for(lambda: outbox(proc.state_file)[0]["status"] == "delivered")
    assert (tmp_path / "alerts.log").read_text() == f"HTTP 500 {HOSTILE}\n"
    assert sorted(p.name for p in tmp_path.iterdir() if "MARKER" in p.name) == []
