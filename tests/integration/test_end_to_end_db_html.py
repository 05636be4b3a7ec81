import json
import re
import socket
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.peers.http_server import HttpPeer, Reply

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]

MONITOR_INI = """
[monitor]
interval = 1
monitors = monitors.ini

[reporting]
loggers = results, status, page, twin

[results]
type = db
db_path = data/monitor.db
groups = _all

[status]
type = dbstatus
path = data/monitor.db
groups = _all

[page]
type = html
folder = www
groups = _all
navbar_title = e2e <b>test</b>

[twin]
type = json
filename = www/status.json
groups = _all
"""

MONITORS_INI = """
[up]
type = null

[down]
type = fail
interval = 5
tolerance = 1

[after-down]
type = null
depend = down
"""


def run_monitor(ini, *args):
    return subprocess.run(
        [sys.executable, str(REPO / "monitor.py"), "-f", str(ini), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_monitor_writes_matching_database_page_and_json(tmp_path):
    ini = tmp_path / "monitor.ini"
    ini.write_text(textwrap.dedent(MONITOR_INI))
    (tmp_path / "monitors.ini").write_text(textwrap.dedent(MONITORS_INI))
    assert run_monitor(ini, "-t").returncode == 0
    assert not (tmp_path / "data").exists()  # --test creates nothing
    done = run_monitor(ini, "--loops", "3", "-H")
    assert done.returncode == 0, done.stderr

    conn = sqlite3.connect(tmp_path / "data" / "monitor.db")
    results = conn.execute(
        "SELECT monitor_name, monitor_result, state FROM results ORDER BY result_id"
    ).fetchall()
    by_name: dict[str, list[tuple[int | None, str]]] = {}
    for name, result, state in results:
        by_name.setdefault(name, []).append((result, state))
    assert by_name["up"] == [(1, "ok")] * 3
    assert by_name["down"] == [(0, "failing"), (0, "failed"), (0, "failed")]
    assert by_name["after-down"] == [(None, "skipped")] * 3
    status = dict(conn.execute("SELECT monitor_name, state FROM status").fetchall())
    assert status == {"up": "ok", "down": "failed", "after-down": "skipped"}
    conn.close()

    page = (tmp_path / "www" / "index.html").read_text()
    assert re.findall(r'data-monitor="([^"]+)" data-state="(\w+)"', page) == [
        ("down", "failed"),
        ("after-down", "skipped"),
        ("up", "ok"),
    ]
    assert "e2e &lt;b&gt;test&lt;/b&gt;" in page
    assert "1 of 3 monitors FAILED" in page
    assert "100.00%" in page  # up: 3 of 3 checks
    doc = json.loads((tmp_path / "www" / "status.json").read_text())
    assert doc["monitors"]["down"]["availability"]["24h"] == 0.0
    assert doc["monitors"]["up"]["availability"]["24h"] == 1.0
    assert len(doc["monitors"]["up"]["recent"]) == 3

    # A second run continues the same history (availability across restarts).
    assert run_monitor(ini, "--loops", "1", "-H").returncode == 0
    doc = json.loads((tmp_path / "www" / "status.json").read_text())
    assert len(doc["monitors"]["up"]["recent"]) == 4


HTTP_MONITOR_INI = """
[monitor]
interval = 1
monitors = monitors.ini

[reporting]
loggers = results, status, page, twin

[results]
type = db
db_path = monitor.db

[status]
type = dbstatus
db_path = monitor.db

[page]
type = html
folder = www

[twin]
type = json
filename = www/status.json
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: connecting is refused


def test_http_monitor_against_a_real_server_is_logged_as_it_happened(tmp_path):
    replies = iter([Reply(200, b"fine"), Reply(200, b"fine")])

    def answer(_request):
        return next(replies, Reply(500, b"<script>alert(1)</script>"))

    with HttpPeer() as peer:
        peer.route("/health", answer)
        (tmp_path / "monitor.ini").write_text(HTTP_MONITOR_INI)
        (tmp_path / "monitors.ini").write_text(
            f"[web]\ntype = http\nurl = {peer.url('/health')}\ntimeout = 5\n"
            "tolerance = 1\n\n"
            f"[gone]\ntype = http\nurl = http://127.0.0.1:{free_port()}/\n"
            "timeout = 5\n"
        )
        done = run_monitor(tmp_path / "monitor.ini", "--loops", "4", "-H")
        assert done.returncode == 0, done.stderr
        assert len(peer.requests) == 4

    conn = sqlite3.connect(tmp_path / "monitor.db")
    rows = conn.execute(
        "SELECT monitor_result, state, monitor_info, duration_ms FROM results "
        "WHERE monitor_name = 'web' ORDER BY result_id"
    ).fetchall()
    assert [(r, s) for r, s, _, _ in rows] == [
        (1, "ok"),
        (1, "ok"),
        (0, "failing"),
        (0, "failed"),
    ]
    assert rows[0][2].startswith("HTTP 200 OK in ")
    assert [info for _, _, info, _ in rows[2:]] == [
        "HTTP 500 Internal Server Error"
    ] * 2
    assert all(ms > 0 for _, _, _, ms in rows)
    gone = conn.execute(
        "SELECT state, monitor_info, duration_ms FROM results "
        "WHERE monitor_name = 'gone'"
    ).fetchall()
    assert [state for state, _, _ in gone] == ["failed"] * 4
    assert all("refused" in info and ms > 0 for _, info, ms in gone)
    status = conn.execute(
        "SELECT state, monitor_result, monitor_info, virtual_fail_count, duration_ms "
        "FROM status WHERE monitor_name = 'web'"
    ).fetchone()
    conn.close()
    assert status[:4] == ("failed", 0, "HTTP 500 Internal Server Error", 1)
    assert status[4] == rows[-1][3]

    page = (tmp_path / "www" / "index.html").read_text()
    assert re.findall(r'data-monitor="([^"]+)" data-state="(\w+)"', page) == [
        ("gone", "failed"),
        ("web", "failed"),
    ]
    assert "HTTP 500 Internal Server Error" in page
    assert "50.00%" in page  # web: 2 of 4 checks succeeded
    doc = json.loads((tmp_path / "www" / "status.json").read_text())
    web = doc["monitors"]["web"]
    assert (web["state"], web["status"], web["result"]) == (
        "failed",
        "Fail",
        "HTTP 500 Internal Server Error",
    )
    assert web["availability"]["24h"] == 0.5
    assert [r["ok"] for r in web["recent"]] == [True, True, False, False]
    assert all(r["ms"] > 0 for r in web["recent"])
    assert web["duration_ms"] == round(rows[-1][3], 1)
    assert "refused" in doc["monitors"]["gone"]["result"]
