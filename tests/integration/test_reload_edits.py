"""Edits a sysadmin makes to a running daemon's configuration, then SIGHUP.

Real ``monitor.py`` processes, loopback only; every wait is bounded.
"""

from __future__ import annotations

import re
import signal
import textwrap
from pathlib import Path

import pytest

from tests.peers.monitor_process import MonitorProcess, kinds, recorder_command

pytestmark = pytest.mark.integration


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def main_ini(folder: Path, interval: int = 1, extra: str = "") -> Path:
    text = f"[monitor]\ninterval = {interval}\nmonitors = monitors.ini\n{extra}\n"
    return write(folder / "monitor.ini", text)


def test_a_broken_reload_is_logged_as_such_not_as_a_start_that_failed(tmp_path):
    """The errors of a refused reload went to stderr as bare lines ending with
    "nothing was started", while the daemon went on running the old config."""
    write(tmp_path / "monitors.ini", "[a]\ntype = null\n")
    ini = main_ini(tmp_path)
    with MonitorProcess(ini) as proc:
        proc.wait_rounds(1)
        write(
            tmp_path / "monitors.ini",
            "[a]\ntype = null\n[b]\ntype = fail\ninterval = x\n",
        )
        proc.signal(signal.SIGHUP)
        proc.wait_for(lambda: "still running the previous" in proc.log())
        proc.wait_rounds(1)
    log = proc.log()
    assert "nothing was started" not in log
    # One log line (level, timestamp) naming the file, the section and the key.
    assert re.search(
        r"^\S+ \S+ ERROR simplemon: .*monitors\.ini: \[b\] interval = 'x': expected",
        log,
        re.MULTILINE,
    ), log
    assert not re.search(r"^error: ", log, re.MULTILINE), log


def test_a_monitor_added_by_a_reload_is_checked_at_once(tmp_path):
    """cli.md says new monitors run at once; they waited for the next tick (up to
    the whole interval, an hour for an hourly config)."""
    write(tmp_path / "monitors.ini", "[a]\ntype = null\n")
    ini = main_ini(tmp_path, interval=120)
    with MonitorProcess(ini) as proc:
        proc.wait_rounds(1)
        write(tmp_path / "monitors.ini", "[a]\ntype = null\n[b]\ntype = fail\n")
        proc.signal(signal.SIGHUP)
        # Only b was due: a keeps its tick, 120 s after its first check.
        proc.wait_for(lambda: "round 2: 1 checked, 1 failing" in proc.log(), 30)
        assert "monitor b: failed" in proc.log()


def test_a_shorter_interval_is_not_waited_out_at_the_old_length(tmp_path):
    """interval 120 -> 1 by a reload: the daemon went on waiting 120 s first."""
    write(tmp_path / "monitors.ini", "[a]\ntype = null\n")
    ini = main_ini(tmp_path, interval=120)
    with MonitorProcess(ini) as proc:
        proc.wait_rounds(1)
        main_ini(tmp_path, interval=1)
        proc.signal(signal.SIGHUP)
        proc.wait_for(lambda: "configuration reloaded" in proc.log())
        proc.wait_rounds(3, timeout=30)


def test_setting_hup_file_by_a_reload_does_not_reload_a_second_time(tmp_path):
    """The new hup_file's time was compared with the old setting's (none), so the
    reload that set it was followed by a second one a second later."""
    write(tmp_path / "monitors.ini", "[a]\ntype = null\n")
    (tmp_path / "reload.me").write_text("", encoding="utf-8")
    ini = main_ini(tmp_path)
    with MonitorProcess(ini) as proc:
        proc.wait_rounds(1)
        main_ini(tmp_path, extra="hup_file = reload.me")
        proc.signal(signal.SIGHUP)
        proc.wait_for(lambda: "configuration reloaded" in proc.log())
        proc.wait_rounds(3)
    assert proc.log().count("reloading configuration") == 1, proc.log()


def test_a_state_file_changed_by_a_reload_is_reported_as_needing_a_restart(
    tmp_path,
):
    """The new state_file was silently ignored: the daemon kept the old one, and
    the next start opened the new, empty one (outages and queued alerts lost)."""
    write(tmp_path / "monitors.ini", "[a]\ntype = null\n")
    ini = main_ini(tmp_path)
    with MonitorProcess(ini) as proc:
        proc.wait_rounds(1)
        main_ini(tmp_path, extra="state_file = other.db\npidfile = other.pid")
        proc.signal(signal.SIGHUP)
        proc.wait_for(lambda: "configuration reloaded" in proc.log())
    log = proc.log()
    assert re.search(r"WARNING .*state_file .*other\.db.*restart", log), log
    assert re.search(r"WARNING .*pidfile .*other\.pid.*restart", log), log


def test_raising_an_alerters_limit_mid_outage_sends_no_second_failure(tmp_path):
    """Announced at limit 1; a reload made the limit 5, and when the outage's count
    reached 5 the same outage was announced again (as SimpleMonitor does)."""
    out = tmp_path / "rec.jsonl"

    def with_limit(limit: int) -> Path:
        return main_ini(
            tmp_path,
            extra="[reporting]\nalerters = rec\n[rec]\ntype = execute\n"
            f"limit = {limit}\nfail_command = {recorder_command(out)}\n",
        )

    ini = with_limit(1)
    write(tmp_path / "monitors.ini", "[down]\ntype = fail\n")
    with MonitorProcess(ini) as proc:
        proc.wait_for(lambda: kinds(out) == [("failure", "down", 1)])
        with_limit(5)
        proc.signal(signal.SIGHUP)
        proc.wait_for(lambda: "configuration reloaded" in proc.log())
        proc.wait_rounds(7)  # the count (1 or more at the reload) is well past 5
    assert kinds(out) == [("failure", "down", 1)]


def test_raising_tolerance_of_an_alerted_outage_sends_no_second_failure(tmp_path):
    """A failed, alerted monitor fell back to 'failing within tolerance' when a
    reload raised its tolerance past its failure count: its reminders stopped, and
    once it passed the new tolerance the same outage was announced again."""
    out = tmp_path / "rec.jsonl"
    ini = main_ini(
        tmp_path,
        extra="[reporting]\nalerters = rec\n[rec]\ntype = execute\n"
        f"fail_command = {recorder_command(out)}\n",
    )
    write(tmp_path / "monitors.ini", "[down]\ntype = fail\n")
    with MonitorProcess(ini) as proc:
        proc.wait_for(lambda: kinds(out) == [("failure", "down", 1)])
        write(tmp_path / "monitors.ini", "[down]\ntype = fail\ntolerance = 4\n")
        proc.signal(signal.SIGHUP)
        proc.wait_for(lambda: "configuration reloaded" in proc.log())
        proc.wait_rounds(6)  # the count (1 or more) is well past the new tolerance
    assert kinds(out) == [("failure", "down", 1)]
