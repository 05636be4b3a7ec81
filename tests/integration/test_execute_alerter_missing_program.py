# mypy: allow-untyped-defs, allow-incomplete-defs, allow-untyped-calls
"""An execute alerter whose program is missing, as a user meets it: ``-t`` and the
daemon warn at load, and the alert waits (retried) until the admin fixes the path.

Real ``monitor.py`` processes; no network at all; every wait is bounded.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from tests.peers.monitor_process import (
    MonitorProcess,
    kinds,
    outbox,
    recorder_command,
    run_monitor_once,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def write_config(folder: Path, fail_command: str) -> Path:
    (folder / "monitors.ini").write_text(
        "[a]\ntype = fail\ninterval = 1000\n", encoding="utf-8"
    )
    ini = folder / "monitor.ini"
    ini.write_text(
        "[monitor]\ninterval = 1\n[reporting]\nalerters = m\n"
        f"[m]\ntype = execute\nfail_command = {fail_command}\n",
        encoding="utf-8",
    )
    return ini


def run_test(ini: Path) -> subprocess.CompletedProcess[str]:
    return run_monitor_once(ini, "-t")


def test_dash_t_warns_about_a_missing_program_and_stays_valid(tmp_path):
    missing = tmp_path / "bin" / "pagee"
    result = run_test(write_config(tmp_path, f"{missing} {{name}}"))
    assert result.returncode == 0, result.stderr
    assert "configuration OK: 1 monitor, 0 loggers, 1 alerter" in result.stdout
    assert (
        f"monitor.ini: [m] fail_command: program {missing} not found" in result.stderr
    )
    assert "WARNING" in result.stderr


def test_dash_t_warns_about_a_bare_name_not_in_path_and_a_file_not_executable(
    tmp_path,
):
    script = tmp_path / "page.sh"
    script.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    script.chmod(0o644)
    ini = write_config(tmp_path, "simplemon-no-such-pager {name}")
    with ini.open("a", encoding="utf-8") as f:
        f.write(f"success_command = {script} {{name}}\n")
    result = run_test(ini)
    assert result.returncode == 0, result.stderr
    assert (
        "[m] fail_command: program simplemon-no-such-pager not found in PATH"
        in result.stderr
    )
    assert f"[m] success_command: program {script} is not executable" in result.stderr


def test_dash_t_says_nothing_about_programs_that_exist(tmp_path):
    ini = write_config(tmp_path, recorder_command(tmp_path / "pager.jsonl"))
    with ini.open("a", encoding="utf-8") as f:
        f.write("success_command = true {name}\n")  # a bare name found in PATH
    result = run_test(ini)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr


def test_an_alert_for_a_missing_program_is_sent_once_the_path_is_fixed(tmp_path):
    """It was given up at once as permanent: the page never went out."""
    pager = tmp_path / "pager.jsonl"
    good = recorder_command(pager)
    ini = write_config(tmp_path, f"{tmp_path / 'pagee'} {{name}}")
    with MonitorProcess(ini) as proc:
        proc.wait_for(lambda: "could not send failure for monitor a" in proc.log())
        log = proc.log()
        assert f"fail_command: program {tmp_path / 'pagee'} not found" in log
        assert "GAVE UP" not in log
        assert [row["status"] for row in outbox(proc.state_file)] == ["pending"]
        ini.write_text(ini.read_text().replace(f"{tmp_path / 'pagee'}", good))
        proc.signal(signal.SIGHUP)
        proc.wait_for(lambda: kinds(pager))
        proc.wait_for(lambda: "alerter m: sent failure for monitor a" in proc.log())
    assert kinds(pager) == [("failure", "a", 1)]
    assert [row["status"] for row in outbox(proc.state_file)] == ["delivered"]


def test_an_alert_for_a_missing_program_is_sent_once_it_is_installed(tmp_path):
    """Same program path, installed while the alert waits (no reload)."""
    pager = tmp_path / "pager.jsonl"
    program = tmp_path / "pager"
    ini = write_config(tmp_path, f"{program} {{name}}")
    with MonitorProcess(ini) as proc:
        proc.wait_for(lambda: "could not send failure for monitor a" in proc.log())
        program.write_text(
            f'#!/bin/sh\nexec {recorder_command(pager)} "$@"\n', encoding="utf-8"
        )
        program.chmod(0o755)
        proc.wait_for(lambda: kinds(pager), timeout=30)  # next retry: 2-4 s
    assert kinds(pager) == [("failure", "a", 1)]
