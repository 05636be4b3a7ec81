# mypy: allow-untyped-defs, allow-incomplete-defs, allow-untyped-calls
"""One outage seen through every window at once: do the outputs tell the same story?

``monitor.py`` runs as a subprocess with 1-second rounds against loopback peers: a
TCP service (``parent``), an HTTP server (``child`` depends on ``parent``; ``flaky``
has ``tolerance = 2``), a DNS server and ping of 127.0.0.1. Alerters: email (STARTTLS +
AUTH), syslog (a unix socket), execute (records argv and environment). Loggers:
logfile, db, dbstatus, json, html. The parent goes down and comes back (the child is
skipped meanwhile); flaky fails within tolerance, recovers, then fails past it, and
simplemon is restarted in the middle of that outage. Then every output is compared
with every other.
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
import tempfile
import textwrap
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.peers.dns_server import DnsServer
from tests.peers.http_server import HttpPeer, Recorded, Reply
from tests.peers.monitor_process import MonitorProcess, wait_for
from tests.peers.smtp_server import smtp_server
from tests.peers.story import (
    Switchable,
    SyslogSink,
    env_recorded,
    env_recorder_command,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

USERS = {"monitor": "s3cret pass"}
FLAKY_REASON = "Service Unavailable <b>&</b>"
PLACEHOLDERS = (
    "name",
    "info",
    "failed_at",
    "days",
    "hours",
    "minutes",
    "seconds",
    "virtual_fail_count",
    "last_virtual_fail_count",
)


def write_config(tmp: Path, smtp_port: int, tcp_port: int, web, dns_port, sock):
    record = env_recorder_command(tmp / "exec.jsonl", *PLACEHOLDERS)
    (tmp / "monitors.ini").write_text(
        textwrap.dedent(
            f"""\
            [parent]
            type = tcp
            host = 127.0.0.1
            port = {tcp_port}
            timeout = 2
            [child]
            type = http
            url = {web.url("/child")}
            depend = parent
            timeout = 2
            [flaky]
            type = http
            url = {web.url("/flaky")}
            tolerance = 2
            timeout = 2
            [name-server]
            type = dns
            record = www.site.test
            server = 127.0.0.1
            port = {dns_port}
            desired_val = 192.0.2.7
            [loop]
            type = ping
            host = 127.0.0.1
            count = 1
            timeout = 2
            """
        ),
        encoding="utf-8",
    )
    (tmp / "monitor.ini").write_text(
        textwrap.dedent(
            f"""\
            [monitor]
            interval = 1
            [reporting]
            loggers = logfile, db, dbstatus, json, html
            alerters = mail, syslog, run
            [logfile]
            type = logfile
            filename = results.log
            groups = _all
            [db]
            type = db
            db_path = monitor.db
            groups = _all
            [dbstatus]
            type = dbstatus
            db_path = monitor.db
            groups = _all
            [json]
            type = json
            filename = www/status.json
            groups = _all
            [html]
            type = html
            folder = www
            groups = _all
            [mail]
            type = email
            host = 127.0.0.1
            port = {smtp_port}
            from = monitor@example.test
            to = ops@example.test
            ssl = starttls
            ca_file = smtp-ca.pem
            username = monitor
            password = s3cret pass
            timeout = 5
            [syslog]
            type = syslog
            address = {sock}
            [run]
            type = execute
            fail_command = {record}
            success_command = {record}
            """
        ),
        encoding="utf-8",
    )
    return tmp / "monitor.ini"


def log_lines(tmp: Path, name: str) -> list[str]:
    path = tmp / "results.log"
    if not path.exists():
        return []
    return [x for x in path.read_text().splitlines() if f" {name}: " in x]


class Story:
    """Drives the peers; ``wait(name, n)`` waits for n more logfile lines of name."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        # How many more of flaky's checks fail (-1: all until told otherwise).
        # Counted, not switched: a test that notices a line late must not let
        # one more round fail (and carry flaky past its tolerance).
        self.flaky_fails = 0
        self.lock = threading.Lock()
        self.proc: MonitorProcess | None = None

    def fail_flaky(self, times: int) -> None:
        with self.lock:
            self.flaky_fails = times

    def flaky_reply(self, request: Recorded) -> Reply:
        with self.lock:
            failing = self.flaky_fails != 0
            if self.flaky_fails > 0:
                self.flaky_fails -= 1
        if failing:
            return Reply(503, b"down", reason=FLAKY_REASON)
        return Reply(200, b"fine")

    def wait(self, name: str, more: int) -> None:
        target = len(log_lines(self.tmp, name)) + more
        assert self.proc is not None
        self.proc.wait_for(lambda: len(log_lines(self.tmp, name)) >= target, 30)


def run_story(tmp_path: Path) -> dict[str, Any]:
    """Drive the outage story; return what the mail and syslog peers received."""
    short = Path(tempfile.mkdtemp(prefix="story", dir="/tmp"))
    sink = SyslogSink(short / "log.sock")
    service = Switchable()
    story = Story(tmp_path)
    zone = {("www.site.test.", "A"): ["192.0.2.7"]}
    try:
        with (
            smtp_server(tmp_path, users=USERS) as mail,
            HttpPeer() as web,
            DnsServer(zone) as dns,
        ):
            web.route("/child", Reply(200, b"child fine"))
            web.route("/flaky", story.flaky_reply)
            ini = write_config(
                tmp_path, mail.port, service.port, web, dns.port, sink.path
            )
            with MonitorProcess(ini, "-v") as proc:
                story.proc = proc
                story.wait("parent", 2)
                # the parent goes down for three rounds: the child is skipped
                service.down()
                story.wait("parent", 3)
                service.up()
                story.wait("child", 2)
                # flaky fails twice, within its tolerance, then is fine again
                story.fail_flaky(2)
                story.wait("flaky", 2)
                story.wait("flaky", 2)
                # then fails past it: the third failure in a row is alerted
                story.fail_flaky(-1)
                proc.wait_for(lambda: len(mail.messages) >= 3)
                story.wait("flaky", 1)
            # restarted in the middle of flaky's outage
            with MonitorProcess(ini, "-v") as proc:
                story.proc = proc
                story.wait("flaky", 2)
                story.fail_flaky(0)
                proc.wait_for(lambda: len(mail.messages) >= 4)
                story.wait("flaky", 1)
                # it ends with the parent down again and flaky within tolerance
                service.down()
                proc.wait_for(lambda: len(mail.messages) >= 5)
                story.fail_flaky(2)
                # stopped at once: at most one more round, still within tolerance
                proc.wait_for(
                    lambda: "failing, 1 of 2" in log_lines(tmp_path, "flaky")[-1]
                )
            wait_for(lambda: len(sink.lines) >= 5)
            wait_for(lambda: len(env_recorded(tmp_path / "exec.jsonl")) >= 5)
            return {"mail": list(mail.messages), "syslog": list(sink.lines)}
    finally:
        service.close()
        sink.close()


MAIL_FIELD = re.compile(r"^([A-Z][a-z ]+):\s+(.*)$", re.M)
SYSLOG = re.compile(
    r"^<(\d+)>simplemon: (\w+): Monitor (\S+) on \S+ \w+(?: \w+)? "
    r"\((?:since (\S+), down (\S+), fail count (\d+)|was down (\S+) since (\S+))\): "
    r"(.*)\x00$"
)


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def seconds(downtime: str) -> int:
    days, clock = downtime.split("+")
    h, m, s = (int(x) for x in clock.split(":"))
    return int(days) * 86400 + h * 3600 + m * 60 + s


# An alert as (kind, monitor, failing since, downtime in s, fail count, result text)
Alert = tuple[str, str, str, int, int | None, str]


def mails(peers: dict[str, Any]) -> list[Alert]:
    found: list[Alert] = []
    for m in peers["mail"]:
        assert m.tls
        assert m.login == "monitor"
        subject = str(m.message["Subject"])
        kind = "recovery" if subject.endswith(" succeeded") else "failure"
        text = m.message.get_content().replace("\r\n", "\n")
        fields = dict(MAIL_FIELD.findall(text))
        down = fields.get("Down for") or fields["Was down for"]
        # the message's own times agree with each other
        sent = m.message["Date"].datetime
        since = datetime.fromisoformat(fields["Failing since"])
        # (a downtime runs to the check that saw the state, sent once its round ended)
        if kind == "recovery":
            recovered = datetime.fromisoformat(fields["Recovered at"])
            assert since <= recovered <= sent
            assert (recovered - since).total_seconds() == seconds(down)
        else:
            assert 0 <= (sent - since).total_seconds() - seconds(down) <= 1
        found.append(
            (
                kind,
                subject.split()[1],
                fields["Failing since"],
                seconds(down),
                int(fields["Fail count"]),
                fields["Result"],
            )
        )
    return found


def syslog_lines(peers: dict[str, Any]) -> list[Alert]:
    found: list[Alert] = []
    for line in peers["syslog"]:
        match = SYSLOG.match(line)
        assert match, line
        pri, kind, name, since, down, count, down2, since2, info = match.groups()
        assert int(pri) == (12 if kind == "failure" else 13)
        number = None if count is None else int(count)
        found.append(
            (kind, name, since or since2, seconds(down or down2), number, info)
        )
    return found


def commands(tmp_path: Path) -> list[Alert]:
    found: list[Alert] = []
    units = (("DAYS", 86400), ("HOURS", 3600), ("MINUTES", 60), ("SECONDS", 1))
    for entry in env_recorded(tmp_path / "exec.jsonl"):
        env, argv = entry["env"], entry["argv"]
        # the arguments and the environment carry the same values
        assert argv == [env["SIMPLEMON_" + p.upper()] for p in PLACEHOLDERS]
        down = sum(int(env[f"SIMPLEMON_{u}"]) * k for u, k in units)
        kind = env["SIMPLEMON_EVENT"]
        last = "LAST_" if kind == "recovery" else ""
        count = int(env[f"SIMPLEMON_{last}VIRTUAL_FAIL_COUNT"])
        found.append(
            (
                kind,
                env["SIMPLEMON_NAME"],
                env["SIMPLEMON_FAILED_AT"],
                down,
                count,
                env["SIMPLEMON_INFO"],
            )
        )
    return found


NAMES = {"parent", "child", "flaky", "name-server", "loop"}
Row = tuple[str, int | None, int, str, str, int]


def history(
    tmp_path: Path,
) -> tuple[dict[str, list[tuple[int, str]]], dict[str, list[Row]]]:
    """Return the logfile lines and the db rows of each monitor; check they agree."""
    logged = [
        (int(ts), rest)
        for ts, rest in (
            x.split(" ", 1) for x in (tmp_path / "results.log").read_text().splitlines()
        )
    ]
    db = sqlite3.connect(tmp_path / "monitor.db")
    rows = db.execute(
        "SELECT monitor_name, monitor_result, timestamp, monitor_info, state,"
        " virtual_fail_count FROM results ORDER BY result_id"
    ).fetchall()
    db.close()
    assert {r[0] for r in rows} == NAMES
    assert {rest.split(":")[0] for _, rest in logged if ": " in rest} == NAMES
    lines = {n: [x for x in logged if x[1].startswith(n + ": ")] for n in NAMES}
    per_row = {n: [r for r in rows if r[0] == n] for n in NAMES}
    for n in NAMES:
        # one db row per logfile line, same moment, same state, same text
        assert len(lines[n]) == len(per_row[n]), n
        for (ts, rest), row in zip(lines[n], per_row[n], strict=True):
            # the line is stamped with the round, the row with its check
            assert 0 <= ts - row[2] <= 1, (rest, row)
            state = rest.split(": ", 1)[1].split(" ")[0].rstrip(",")
            assert state == row[4], (rest, row)
            assert (row[1] is None) == (state == "skipped"), (rest, row)
            if state in ("failing", "failed"):
                assert f"({row[3]})" in rest, (rest, row)
                assert row[1] == 0
            if state == "failed":
                assert f"VFC={row[5]} " in rest
    return lines, per_row


def outages(rows: list[Row]) -> list[tuple[int, int | None]]:
    """Return (first failed check, first OK check after it) from db rows."""
    found: list[tuple[int, int | None]] = []
    start = None
    for row in rows:
        bad = row[4] != "ok"
        if bad and start is None:
            start = row[2]
        if not bad and start is not None:
            found.append((start, row[2]))
            start = None
    if start is not None:
        found.append((start, None))
    return found


def check_alerts_against_history(alerts: list[Alert], rows: dict[str, list[Row]]):
    for kind, name, since, down, count, info in alerts:
        ts_since = int(datetime.fromisoformat(since).timestamp())
        matching = [(s, e) for s, e in outages(rows[name]) if s == ts_since]
        assert len(matching) == 1, (name, since, outages(rows[name]))
        ((start, end),) = matching
        if kind == "recovery":
            assert end is not None
            # the downtime is the recovery moment less the failure moment
            assert down == end - start, (name, down, start, end)
            last_failed = [r for r in rows[name] if start <= r[2] < end][-1]
            assert count == last_failed[5]
        else:
            alerted = [
                r
                for r in rows[name]
                if r[4] == "failed" and r[5] == count and r[2] >= start
            ]
            assert alerted, (name, count)
            assert down == alerted[0][2] - start
            assert info == alerted[0][3]


def check_current_status(tmp_path: Path, rows: dict[str, list[Row]]) -> None:
    db = sqlite3.connect(tmp_path / "monitor.db")
    status = {
        r[0]: r[1:]
        for r in db.execute(
            "SELECT monitor_name, state, virtual_fail_count, failures, monitor_info,"
            " monitor_result, last_checked, since FROM status"
        )
    }
    db.close()
    twin = json.loads((tmp_path / "www" / "status.json").read_text())["monitors"]
    page = (tmp_path / "www" / "index.html").read_text()
    states = dict(re.findall(r'data-monitor="([^"]+)" data-state="(\w+)"', page))
    assert set(status) == set(twin) == set(states) == NAMES
    for n in NAMES:
        row = rows[n][-1]
        state = row[4]
        assert status[n][0] == twin[n]["state"] == states[n] == state, n
        assert status[n][1] == twin[n]["virtual_fail_count"] == row[5], n
        assert status[n][3] == twin[n]["result"] == row[3], n
        assert status[n][4] == row[1]
        assert status[n][2] == twin[n]["failures"], n
        if state != "skipped":
            assert status[n][5] == row[2], n
        # the state holds since the same moment everywhere
        assert twin[n]["since"] == iso(status[n][6]), n
        stamp = re.search(rf'data-monitor="{n}".*?<time datetime="([^"]+)"', page)
        assert stamp is not None
        assert int(datetime.fromisoformat(stamp.group(1)).timestamp()) == status[n][6]
        # availability is the share of OK checks in the history (skips left out)
        checked = [r for r in rows[n] if r[4] != "skipped"]
        share = sum(r[4] == "ok" for r in checked) / len(checked)
        assert twin[n]["availability"]["24h"] == pytest.approx(share, abs=1e-4), n
        if state in ("failing", "failed"):
            tr = re.search(rf'<tr[^>]*data-monitor="{n}".*?</tr>', page, re.S)
            assert tr is not None
            assert html.escape(row[3], quote=False) in tr.group(0), (n, tr.group(0))
    assert twin["child"]["status"] == "Skipped"
    assert twin["parent"]["first_failure_time"] == iso(outages(rows["parent"])[-1][0])
    assert twin["flaky"]["state"] == "failing"
    assert twin["flaky"]["failures"] in (1, 2)
    assert twin["parent"]["state"] == "failed"


def test_every_output_tells_the_same_story(tmp_path):
    peers = run_story(tmp_path)
    by_mail, by_syslog, by_command = (
        mails(peers),
        syslog_lines(peers),
        commands(tmp_path),
    )

    # every alerter told the same story, once each (none twice across the restart),
    # in the same order, with the same times, downtimes, counts and text
    assert [(k, n) for k, n, *_ in by_mail] == [
        ("failure", "parent"),
        ("recovery", "parent"),
        ("failure", "flaky"),
        ("recovery", "flaky"),
        ("failure", "parent"),
    ]
    assert by_command == by_mail
    assert [x[:4] + x[5:] for x in by_syslog] == [x[:4] + x[5:] for x in by_mail]
    assert [x[4] for x in by_syslog if x[0] == "failure"] == [
        x[4] for x in by_mail if x[0] == "failure"
    ]

    lines, rows = history(tmp_path)
    # the child was skipped while the parent was down: never failed, never alerted
    assert "child" not in {x[1] for x in by_mail}
    assert {r[4] for r in rows["child"]} == {"ok", "skipped"}
    assert all(
        "skipped (depends on parent, which is failed)" in rest
        for _, rest in lines["child"]
        if not rest.startswith("child: ok")
    )
    check_alerts_against_history(by_mail, rows)
    check_current_status(tmp_path, rows)
