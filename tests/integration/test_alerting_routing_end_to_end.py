# mypy: allow-untyped-defs, allow-incomplete-defs, allow-untyped-calls
"""Who is told what, end to end: ONE run of monitor.py (1 s rounds) against a real
HTTP server on loopback whose paths fail on a script, with execute alerters that
record every event they are run for. Each scenario has its own monitor group, so
the alerters of one scenario never see the monitors of another (that is the
`groups` routing at work, and it is asserted on its own below too).

One process serves every scenario so that the whole set costs one ~10 s run.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

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

FAIL, OK = 500, 200
#: monitor -> (group, HTTP statuses of its successive checks; the last one repeats,
#: extra monitor options)
MONITORS: dict[str, tuple[str, list[int], str]] = {
    "esc-long": ("esc", [FAIL] * 4 + [OK], ""),
    "esc-blip": ("esc", [FAIL] * 2 + [OK], ""),
    "rep": ("rep", [FAIL] * 5 + [OK], ""),
    "rem": ("rem", [FAIL], "remind = 0.03"),  # minutes: 1.8 s
    "urg-high": ("urg", [FAIL], ""),
    "urg-low": ("urg", [FAIL], "urgent = 0"),
    "grp-mine": ("mine", [FAIL], ""),
    "grp-other": ("other", [FAIL], ""),
    "nt-loud": ("nt", [FAIL], ""),
    "nt-quiet": ("nt", [FAIL], "notify = 0"),
    "dry": ("dry", [FAIL], ""),
    "of": ("of", [FAIL] * 2 + [OK], ""),
    "win": ("win", [FAIL], ""),
}
#: the last scripted change happens in this round; later rounds say nothing new
SETTLED_ROUND = 6


def hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def alerters(now: datetime) -> dict[str, str]:
    """Alerter name -> its routing options (on top of the recording commands)."""
    today, tomorrow = now.weekday(), (now.weekday() + 1) % 7
    other_days = ", ".join(str(d) for d in range(7) if d not in (today, tomorrow))
    utc = "times_type = only\ntimes_tz = UTC\n"
    return {
        "esc-first": "groups = esc\nlimit = 1",
        "esc-third": "groups = esc\nlimit = 3",
        "rep": "groups = rep\nlimit = 2\nrepeat = yes",
        "rem-on": "groups = rem\nallow_reminders = yes",
        "rem-off": "groups = rem",
        "urg-pager": "groups = urg\nurgent = yes",
        "urg-every": "groups = urg",
        "grp-mine": "groups = mine",
        "grp-two": "groups = mine, other",
        "nt": "groups = nt",
        "dry": "groups = dry\ndry_run = yes",
        "of-only": "groups = of\nonly_failures = yes",
        "of-both": "groups = of",
        # windows relative to the real clock, with hours of margin either side
        "win-open": f"groups = win\n{utc}"
        f"time_lower = {hhmm(now - timedelta(hours=2))}\n"
        f"time_upper = {hhmm(now + timedelta(hours=2))}",
        # from 1 h after now round midnight to 30 min after now: covers now and
        # wraps midnight (except when now is 23:00-23:30 UTC: then it just covers)
        "win-wrap": f"groups = win\n{utc}"
        f"time_lower = {hhmm(now + timedelta(hours=1))}\n"
        f"time_upper = {hhmm(now + timedelta(minutes=30))}",
        "win-closed": f"groups = win\n{utc}delay = yes\n"
        f"time_lower = {hhmm(now + timedelta(hours=2))}\n"
        f"time_upper = {hhmm(now + timedelta(hours=3))}",
        "win-not": f"groups = win\ntimes_type = not\ntimes_tz = UTC\n"
        f"time_lower = {hhmm(now - timedelta(hours=2))}\n"
        f"time_upper = {hhmm(now + timedelta(hours=2))}",
        # every day but today and tomorrow (UTC), in case the run straddles midnight
        "win-days": f"groups = win\ntimes_tz = UTC\ndays = {other_days}",
    }


def scripted(statuses: list[int]):
    calls = itertools.count()

    def reply(request: Recorded) -> Reply:
        n = next(calls)
        return Reply(statuses[min(n, len(statuses) - 1)], b"scripted")

    return reply


def write_config(tmp: Path, peer: HttpPeer, now: datetime) -> Path:
    sections = []
    for name, (group, statuses, extra) in MONITORS.items():
        peer.route(f"/{name}", scripted(statuses))
        sections.append(
            f"[{name}]\ntype = http\nurl = {peer.url('/' + name)}\n"
            f"timeout = 2\ngroup = {group}\n{extra}\n"
        )
    (tmp / "monitors.ini").write_text("\n".join(sections), encoding="utf-8")
    routing = alerters(now)
    main = [
        textwrap.dedent(
            f"""\
            [monitor]
            interval = 1
            [reporting]
            alerters = {", ".join(routing)}
            """
        )
    ]
    for name, options in routing.items():
        command = recorder_command(tmp / f"{name}.jsonl")
        main.append(
            f"[{name}]\ntype = execute\nfail_command = {command}\n"
            f"success_command = {command}\ncatchup_command = fail_command\n"
            f"{options}\n"
        )
    (tmp / "monitor.ini").write_text("\n".join(main), encoding="utf-8")
    return tmp / "monitor.ini"


@dataclass(frozen=True)
class Run:
    folder: Path
    log: str
    outbox: list[dict[str, Any]]

    def events(self, alerter: str, monitor: str | None = None):
        path = self.folder / f"{alerter}.jsonl"
        return [
            (kind, vfc)
            for kind, name, vfc in kinds(path)
            if monitor is None or name == monitor
        ]

    def monitors_told(self, alerter: str) -> set[str]:
        return {name for _, name, _ in kinds(self.folder / f"{alerter}.jsonl")}


def delivered_everything_expected(folder: Path) -> bool:
    def n(alerter: str) -> int:
        return len(recorded(folder / f"{alerter}.jsonl"))

    return (
        n("esc-first") >= 4
        and n("esc-third") >= 2
        and n("rep") >= 3
        and n("rem-on") >= 3
        and n("of-both") >= 2
        and min(n(a) for a in ("rem-off", "nt", "of-only", "win-open", "win-wrap")) > 0
        and n("urg-every") >= 2
        and n("grp-two") >= 2
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Iterator[Run]:
    folder = tmp_path_factory.mktemp("routing")
    now = datetime.now(UTC)
    with HttpPeer() as peer:
        ini = write_config(folder, peer, now)
        with MonitorProcess(ini) as proc:
            proc.wait_for(lambda: proc.rounds() >= SETTLED_ROUND + 2, timeout=40)
            proc.wait_for(lambda: delivered_everything_expected(folder), timeout=30)
            log = proc.log()
        yield Run(folder, log, outbox(proc.state_file))


def test_escalation_first_alerter_at_limit_1_second_at_limit_3(run):
    assert run.events("esc-first", "esc-long") == [("failure", 1), ("recovery", 0)]
    assert run.events("esc-third", "esc-long") == [("failure", 3), ("recovery", 0)]


def test_escalation_short_outage_never_reaches_the_second_alerter(run):
    assert run.events("esc-first", "esc-blip") == [("failure", 1), ("recovery", 0)]
    assert run.events("esc-third", "esc-blip") == []  # not even a recovery


def test_repeat_alerts_again_at_every_multiple_of_limit(run):
    assert run.events("rep") == [("failure", 2), ("failure", 4), ("recovery", 0)]


def test_reminders_only_for_the_alerter_that_allows_them(run):
    first, *reminders = run.events("rem-on")
    assert first == ("failure", 1)
    assert len(reminders) >= 2
    assert {kind for kind, _ in reminders} == {"reminder"}
    counts = [vfc for _, vfc in reminders]
    assert counts == sorted(set(counts))
    # remind = 0.03 minutes (1.8 s) with 1 s rounds: about every other round
    assert len(reminders) < counts[-1] - 1
    assert run.events("rem-off") == [("failure", 1)]


def test_urgent_alerter_ignores_monitors_with_urgent_0(run):
    assert run.monitors_told("urg-pager") == {"urg-high"}
    assert run.monitors_told("urg-every") == {"urg-high", "urg-low"}


def test_groups_route_monitors_to_alerters(run):
    assert run.monitors_told("grp-mine") == {"grp-mine"}
    assert run.monitors_told("grp-two") == {"grp-mine", "grp-other"}


def test_notify_0_monitor_reaches_no_alerter(run):
    assert run.monitors_told("nt") == {"nt-loud"}
    assert not [row for row in run.outbox if row["monitor"] == "nt-quiet"]


def test_dry_run_logs_and_records_but_sends_nothing(run):
    assert not (run.folder / "dry.jsonl").exists()
    assert "alerter dry: dry run, not sending failure for monitor dry" in run.log
    (row,) = [row for row in run.outbox if row["alerter"] == "dry"]
    assert (row["kind"], row["status"], row["last_error"]) == (
        "failure",
        "delivered",
        "dry run",
    )


def test_only_failures_sends_no_recovery(run):
    assert run.events("of-both") == [("failure", 1), ("recovery", 0)]
    assert run.events("of-only") == [("failure", 1)]
    assert [row["kind"] for row in run.outbox if row["alerter"] == "of-only"] == [
        "failure"
    ]


def test_time_window_covering_now_delivers_including_one_across_midnight(run):
    assert run.events("win-open") == [("failure", 1)]
    assert run.events("win-wrap") == [("failure", 1)]


def test_out_of_hours_failure_is_held_not_sent(run):
    assert run.events("win-closed") == []
    assert not [row for row in run.outbox if row["alerter"] == "win-closed"]
    store = StateStore(run.folder / "simplemon-state.db")
    try:
        record = store.load_records()[("win", "win-closed")]
    finally:
        store.close()
    assert record.held_since is not None  # a catch-up is owed when hours begin
    assert not record.is_announced


def test_times_type_not_and_excluded_days_send_nothing(run):
    assert run.events("win-not") == []
    assert run.events("win-days") == []
    assert not [r for r in run.outbox if r["alerter"] in ("win-not", "win-days")]


def test_every_decided_event_was_delivered_exactly_once(run):
    for alerter in alerters(datetime.now(UTC)):
        if alerter == "dry":
            continue
        rows = [row for row in run.outbox if row["alerter"] == alerter]
        delivered = [r for r in rows if r["status"] == "delivered"]
        # A reminder decided in the very last round may still be pending at exit.
        assert len(delivered) >= len(rows) - (alerter == "rem-on")
        sent = [
            (e["kind"], e["name"]) for e in recorded(run.folder / f"{alerter}.jsonl")
        ]
        assert sent == [(r["kind"], r["monitor"]) for r in delivered], alerter
