import json
import re
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

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
