"""A real daemon's loggers under a storm of SIGHUPs and log rotations.

logrotate moves the file away and sends SIGHUP; a reload replaces every logger
instance while its thread may be writing. No round may be lost or written twice,
in the log file (across the rotated files) or in the database, and a stop
writes the last round before it exits.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import textwrap
import time
from pathlib import Path

import pytest

from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration

MAIN = """
[monitor]
interval = 1
state_file = state.db
[reporting]
loggers = log, db, status
[log]
type = logfile
filename = results.log
[db]
type = db
db_path = results.db
[status]
type = dbstatus
db_path = results.db
"""
MONITORS = """
[web]
type = tcp
host = 127.0.0.1
port = {port}
timeout = 2
[other]
type = null
"""


def heartbeats(stderr: Path) -> list[int]:
    return [int(n) for n in re.findall(r"round (\d+): ", stderr.read_text())]


def test_sighup_storm_and_rotations_lose_and_repeat_no_round(tmp_path, daemon):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        port = server.getsockname()[1]
        (tmp_path / "monitors.ini").write_text(
            textwrap.dedent(MONITORS.format(port=port)).lstrip(), encoding="utf-8"
        )
        main = tmp_path / "monitor.ini"
        main.write_text(textwrap.dedent(MAIN).lstrip(), encoding="utf-8")
        proc = daemon("-f", str(main))
        stderr = tmp_path / "stderr-0.txt"
        assert wait_for(lambda: len(heartbeats(stderr)) >= 1)
        rotated = []
        deadline = time.monotonic() + 4
        n = 0
        while time.monotonic() < deadline and proc.poll() is None:
            n += 1
            log = tmp_path / "results.log"
            if n % 3 == 0 and log.exists():
                moved = tmp_path / f"results.log.{n}"
                log.rename(moved)  # what logrotate does before its SIGHUP
                rotated.append(moved)
            proc.send_signal(signal.SIGHUP)
            time.sleep(0.05)
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    text = stderr.read_text()
    rounds = heartbeats(stderr)
    assert rounds == list(range(1, len(rounds) + 1)), text
    assert "configuration reloaded" in text
    assert "Traceback" not in text
    assert "ERROR" not in text, text
    lines = []
    for path in [*rotated, tmp_path / "results.log"]:
        if path.exists():
            lines += path.read_text(encoding="utf-8").splitlines()
    web = [line.split(" ", 1)[0] for line in lines if " web: " in line]
    other = [line for line in lines if " other: " in line]
    assert len(web) == len(rounds), (len(web), rounds)
    assert len(other) == len(rounds)
    assert web == sorted(web)
    db = sqlite3.connect(tmp_path / "results.db", timeout=5)
    try:
        per_monitor = dict(
            db.execute(
                "SELECT monitor_name, COUNT(*) FROM results GROUP BY monitor_name"
            ).fetchall()
        )
        status = db.execute("SELECT COUNT(*) FROM status").fetchone()[0]
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()
    assert per_monitor == {"web": len(rounds), "other": len(rounds)}
    assert status == 2
    assert os.path.exists(tmp_path / "state.db")
