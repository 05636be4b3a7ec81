"""`--loops N` ends like `-1`: the alerts of its last round go out before it exits."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.integration.conftest import run_monitor
from tests.peers.monitor_process import kinds, outbox, recorder_command

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def write_config(tmp_path: Path, monitors: str, alerters: str) -> Path:
    (tmp_path / "monitors.ini").write_text(textwrap.dedent(monitors), encoding="utf-8")
    main = tmp_path / "monitor.ini"
    main.write_text(
        "[monitor]\ninterval = 1\nmonitors = monitors.ini\n"
        + textwrap.dedent(alerters),
        encoding="utf-8",
    )
    return main


def run(main: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_monitor("-f", str(main), "-H", *args)


def test_loops_delivers_the_alerts_of_its_last_round_before_exiting(tmp_path):
    out = tmp_path / "alerts.jsonl"
    main = write_config(
        tmp_path,
        "[down]\ntype = fail\ninterval = 5\n",
        f"""
        [reporting]
        alerters = run
        [run]
        type = execute
        fail_command = {recorder_command(out)}
        """,
    )
    result = run(main, "--loops", "1")
    assert result.returncode == 0, result.stderr
    # SimpleMonitor sends each round's alerts within the round: --loops 1 alerts.
    assert kinds(out) == [("failure", "down", 1)]
    rows = outbox(tmp_path / "simplemon-state.db")
    assert [r["status"] for r in rows] == ["delivered"]
