"""simplemon's output files while other programs use them: a sqlite3 shell holding a
lock, a web server reading the page, logrotate. Real daemons on a 1 s interval."""

from __future__ import annotations

import signal
import sqlite3
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.peers.monitor_process import MonitorProcess, kinds, recorder_command

pytestmark = pytest.mark.integration

MONITORS_INI = """
[okay]
type = null
"""


def make_config(folder: Path, loggers: str, sections: str) -> Path:
    ini = folder / "monitor.ini"
    ini.write_text(
        textwrap.dedent(
            """
            [monitor]
            interval = 1
            monitors = monitors.ini

            [reporting]
            """
        )
        + (f"loggers = {loggers}\n" if loggers else "")
        + textwrap.dedent(sections),
        encoding="utf-8",
    )
    (folder / "monitors.ini").write_text(textwrap.dedent(MONITORS_INI))
    return ini


def rounds_while(proc: MonitorProcess, wanted: int, limit: float) -> int:
    """Return how many rounds completed, waiting until ``wanted`` or ``limit`` s."""
    start = proc.rounds()
    deadline = time.monotonic() + limit
    while proc.rounds() - start < wanted and time.monotonic() < deadline:
        assert proc.proc.poll() is None, proc.log()
        time.sleep(0.05)
    return proc.rounds() - start


def test_a_write_lock_held_elsewhere_neither_stalls_rounds_nor_loses_rows(tmp_path):
    ini = make_config(
        tmp_path,
        "db, dbstatus",
        """
        [db]
        type = db
        db_path = data.db

        [dbstatus]
        type = dbstatus
        db_path = data.db
        """,
    )
    with MonitorProcess(ini) as proc:
        proc.wait_for((tmp_path / "data.db").exists)
        proc.wait_rounds(1)
        shell = sqlite3.connect(tmp_path / "data.db", isolation_level=None)
        try:
            shell.execute("BEGIN IMMEDIATE")  # a sqlite3 shell left inside a write
            during = rounds_while(proc, 4, limit=12.0)
            shell.execute("COMMIT")
        finally:
            shell.close()
        assert during >= 4, proc.log()  # the round rhythm went on
        proc.wait_rounds(2)
    last = proc.rounds()
    db = sqlite3.connect(tmp_path / "data.db")
    try:
        (rows,) = db.execute(
            "SELECT count(*) FROM results WHERE monitor_name = 'okay'"
        ).fetchone()
        (status,) = db.execute("SELECT count(*) FROM status").fetchone()
    finally:
        db.close()
    assert rows == last  # the rows of the rounds during the lock came later
    assert status == 1
    lines = proc.log().splitlines()
    locked = [line for line in lines if "write lock" in line]
    assert 1 <= len(locked) <= 2, locked  # one line per logger, not one per round
    assert any("writing again" in line for line in lines), proc.log()


def test_a_hung_upload_command_does_not_hold_up_the_rounds(tmp_path):
    ini = make_config(
        tmp_path,
        "html",
        """
        [html]
        type = html
        folder = www
        upload_command = sleep 30
        upload_timeout = 2
        """,
    )
    with MonitorProcess(ini) as proc:
        proc.wait_rounds(1)
        during = rounds_while(proc, 5, limit=9.0)
        assert during >= 5, proc.log()  # before: one round per upload_timeout
    killed = [line for line in proc.log().splitlines() if "killed" in line]
    assert 1 <= len(killed) <= 2, proc.log()  # logged once, maybe again at the stop


def test_a_reload_does_not_wait_for_a_running_upload(tmp_path):
    # logrotate's daily SIGHUP closed the old html logger on the round's thread,
    # and that waited for its upload: no check ran for up to upload_timeout.
    script = tmp_path / "upload.py"
    script.write_text(
        "import pathlib, sys, time\n"
        "here = pathlib.Path(sys.argv[1])\n"
        "for _ in range(1200):\n"  # bounded: 120 s
        "    if (here / 'go').exists():\n"
        "        break\n"
        "    time.sleep(0.1)\n",
        encoding="utf-8",
    )
    ini = make_config(
        tmp_path,
        "html",
        f"""
        [html]
        type = html
        folder = www
        upload_command = {sys.executable} {script} {tmp_path}
        upload_timeout = 120
        """,
    )
    with MonitorProcess(ini) as proc:
        proc.wait_rounds(1)  # the upload runs, and waits for 'go'
        proc.signal(signal.SIGHUP)
        during = rounds_while(proc, 5, limit=15.0)
        (tmp_path / "go").write_text("")  # lets the upload end, for the stop
        assert during >= 5, proc.log()  # before: none until the upload ended
    assert "configuration reloaded" in proc.log()


def test_a_state_file_copied_with_cp_while_running_restores_without_a_second_alert(
    tmp_path,
):
    alerts = tmp_path / "alerts.jsonl"
    ini = make_config(
        tmp_path,
        "",
        f"""
        alerters = pager

        [pager]
        type = execute
        fail_command = {recorder_command(alerts)}
        """,
    )
    (tmp_path / "monitors.ini").write_text("[down]\ntype = fail\n")
    state = tmp_path / "simplemon-state.db"
    copy = tmp_path / "copy.db"
    with MonitorProcess(ini) as proc:
        proc.wait_for(lambda: kinds(alerts))
        proc.wait_rounds(2)  # the delivery is marked in the file by now
        copy.write_bytes(state.read_bytes())  # a nightly `cp` of the live file
    for suffix in ("", "-wal", "-shm"):  # the restore: the copy, and nothing else
        Path(f"{state}{suffix}").unlink(missing_ok=True)
    state.write_bytes(copy.read_bytes())
    with MonitorProcess(ini) as proc:
        proc.wait_rounds(3)
    assert kinds(alerts) == [("failure", "down", 1)], proc.log()
