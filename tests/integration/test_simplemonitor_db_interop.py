"""The db, dbstatus and json outputs against SimpleMonitor 1.15's, through real runs."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
SIMPLEMONITOR = Path("/opt/smvenv/bin/simplemonitor")

# No spaces in the list: SimpleMonitor 1.15 reads "db, x" as section " x".
MONITOR_INI = """
[monitor]
interval = 60
monitors = monitors.ini

[reporting]
loggers = db,dbstatus,json

[db]
type = db
db_path = {folder}/monitor.db

[dbstatus]
type = dbstatus
db_path = {folder}/monitor.db

[json]
type = json
filename = {folder}/status.json
"""

MONITORS_INI = """
[up]
type = null

[down]
type = fail

[child]
type = null
depend = down

[off]
type = null
enabled = 0
"""


def write_config(folder):
    (folder / "monitor.ini").write_text(MONITOR_INI.format(folder=folder))
    (folder / "monitors.ini").write_text(MONITORS_INI)
    return folder / "monitor.ini"


def run_ours(ini):
    return subprocess.run(
        [sys.executable, str(REPO / "monitor.py"), "-f", str(ini), "-1", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def run_simplemonitor(ini):
    return subprocess.run(
        [str(SIMPLEMONITOR), "-f", str(ini), "-1"],
        cwd=ini.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def journal_bytes(path):
    # Header bytes 18-19: 1 = rollback journal (SimpleMonitor's), 2 = WAL.
    return path.read_bytes()[18:20]


def test_once_run_leaves_its_databases_readable_without_a_writable_folder(tmp_path):
    # A WAL file at rest cannot be opened by a reader that may not create its
    # -shm file (a dashboard's user): "attempt to write a readonly database".
    ini = write_config(tmp_path)
    assert run_ours(ini).returncode == 1  # [down] failed
    for name in ("monitor.db", ".simplemon-history.db"):
        assert journal_bytes(tmp_path / name) == b"\x01\x01", name
        assert not (tmp_path / f"{name}-wal").exists()
    conn = sqlite3.connect(tmp_path / "monitor.db")
    try:
        assert conn.execute("SELECT count(*) FROM results").fetchone() == (3,)
    finally:
        conn.close()


def test_json_last_run_duration_is_always_a_number_as_in_simplemonitor(tmp_path):
    ini = write_config(tmp_path)
    run_ours(ini)
    monitors = json.loads((tmp_path / "status.json").read_text())["monitors"]
    durations = {name: m["last_run_duration"] for name, m in monitors.items()}
    assert all(type(d) in (int, float) for d in durations.values()), durations
    assert durations["child"] == durations["off"] == 0
    assert monitors["child"]["duration_ms"] is None  # the precise field says so
    assert monitors["off"]["duration_ms"] is None


@pytest.mark.skipif(not SIMPLEMONITOR.exists(), reason="SimpleMonitor not installed")
def test_switching_to_simplemonitor_and_back_keeps_every_row(tmp_path):
    ini = write_config(tmp_path)
    db = tmp_path / "monitor.db"
    run_ours(ini)
    sm = run_simplemonitor(ini)
    # It says it cannot use the upgraded file, then writes to it all the same.
    assert "newer than this code" in sm.stderr
    run_ours(ini)
    conn = sqlite3.connect(db)
    try:
        states = conn.execute(
            "SELECT monitor_name, state FROM results ORDER BY result_id"
        ).fetchall()
        status = conn.execute(
            "SELECT monitor_name, state FROM status ORDER BY monitor_name"
        ).fetchall()
    finally:
        conn.close()
    ours = [("up", "ok"), ("down", "failed"), ("child", "skipped")]
    assert sorted(states[:3]) == sorted(ours)
    assert sorted(states[3:6]) == [("child", None), ("down", None), ("up", None)]
    assert sorted(states[6:]) == sorted(ours)
    assert status == [
        ("child", "skipped"),
        ("down", "failed"),
        ("off", "disabled"),
        ("up", "ok"),
    ]
