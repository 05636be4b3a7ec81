"""Create databases exactly as SimpleMonitor 1.15 does, for migration tests."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

SM_PYTHON = Path("/opt/smvenv/bin/python")

# SimpleMonitor 1.15's schema (Loggers/db.py, version 1), written out here.
SM_V1_SCHEMA = """
CREATE TABLE IF NOT EXISTS results(
result_id integer primary key,
monitor_host varchar(50),
monitor_name varchar(50),
monitor_type varchar(50),
monitor_params varchar(100),
monitor_result int,
timestamp int,
monitor_info varchar(255));
CREATE TABLE IF NOT EXISTS status (
monitor_host varchar(50),
monitor_name varchar(50),
monitor_result int,
monitor_info varchar(255));
CREATE TABLE IF NOT EXISTS monitor_schema (
    k varchar(50) primary key,
    v varchar(255)
);
INSERT OR IGNORE INTO monitor_schema (k, v) VALUES ('monitor_schema_version', 1)
"""


def sm_params(params: tuple[object, ...]) -> str:
    """Return monitor_params the way SimpleMonitor stores them (chars joined by :)."""
    return ":".join(str(params))


def create_v1(path: Path) -> None:
    """Write a SimpleMonitor v1 database with a few realistic rows."""
    conn = sqlite3.connect(path)
    conn.executescript(SM_V1_SCHEMA)
    url = "http://admin:hunter2@127.0.0.1:8080/health"
    rows = [
        ("oldhost", "web", "http", sm_params((url, None, [200])), 1, 1_700_000_000),
        ("oldhost", "web", "http", sm_params((url, None, [200])), 0, 1_700_000_060),
        ("oldhost", "db", "tcp", sm_params(("127.0.0.1", 5432)), 1, 1_700_000_000),
    ]
    conn.executemany(
        "INSERT INTO results (monitor_host, monitor_name, monitor_type, "
        "monitor_params, monitor_result, timestamp, monitor_info) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(*r, f"Checking {url} returns HTTP/200") for r in rows],
    )
    # SimpleMonitor can leave duplicate status rows (it deletes by its own hostname).
    conn.executemany(
        "INSERT INTO status VALUES (?, ?, ?, ?)",
        [
            ("oldhost", "web", 1, f"Checking {url}"),
            ("oldhost", "web", 0, f"Checking {url}"),
            ("oldhost", "db", 1, "Checking 127.0.0.1:5432"),
        ],
    )
    conn.commit()
    conn.close()


SM_SCRIPT = """
import sys
from simplemonitor.Loggers.db import DBFullLogger, DBStatusLogger
from simplemonitor.Monitors.network import MonitorHTTP
full = DBFullLogger({"db_path": sys.argv[1]})
status = DBStatusLogger({"db_path": sys.argv[1]})
m = MonitorHTTP("web", {"url": "http://user:hunter2@127.0.0.1:9/x"})
m.record_success("fine")
full.save_result2("web", m)
status.save_result2("web", m)
"""


def create_with_simplemonitor(path: Path) -> bool:
    """Let the installed SimpleMonitor create a database; False if it is absent."""
    if not SM_PYTHON.exists():
        return False
    subprocess.run(
        [str(SM_PYTHON), "-c", SM_SCRIPT, str(path)],
        check=True,
        timeout=60,
        capture_output=True,
    )
    return True
