# mypy: allow-untyped-defs, allow-incomplete-defs, allow-untyped-calls
"""Two loggers on one output file, as a user meets it: ``-t`` said "configuration
OK" and the log's lines came out interleaved. Now warned about at ``-t``, at start
and at reload; the configuration still loads (SimpleMonitor accepted it).

Real ``monitor.py`` processes; no network; every wait is bounded.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.peers.monitor_process import (
    MonitorProcess,
    run_monitor_once,
    write_null_config,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

LOGFILES = (
    "[reporting]\nloggers = l1, l2\n"
    "[l1]\ntype = logfile\nfilename = x.log\n"
    "[l2]\ntype = logfile\nfilename = ./x.log\n"
)
JSONS = (
    "[reporting]\nloggers = j1, j2\n"
    "[j1]\ntype = json\nfilename = s.json\n"
    "[j2]\ntype = json\nfilename = s.json\n"
)


def warning(folder: Path, first: str, second: str, path: str, effect: str) -> str:
    return (
        f"monitor.ini: [{second}] filename: writes the same file as [{first}] "
        f"({(folder / path).resolve()}): {effect}; give each logger its own file"
    )


def test_dash_t_warns_about_two_logfiles_on_one_file_and_still_says_ok(tmp_path):
    ini = write_null_config(tmp_path, "[monitor]\ninterval = 30\n" + LOGFILES)
    result = run_monitor_once(ini, "-t")
    assert result.returncode == 0, result.stderr
    assert "configuration OK: 1 monitor, 2 loggers" in result.stdout
    assert "WARNING" in result.stderr
    assert (
        warning(tmp_path, "l1", "l2", "x.log", "their lines will interleave")
        in result.stderr
    )
    assert not (tmp_path / "x.log").exists()


def test_the_daemon_warns_at_start_and_again_at_a_reload(tmp_path):
    ini = write_null_config(tmp_path, "[monitor]\ninterval = 1\n" + LOGFILES)
    at_start = warning(tmp_path, "l1", "l2", "x.log", "their lines will interleave")
    at_reload = warning(
        tmp_path,
        "j1",
        "j2",
        "s.json",
        "the file is overwritten by each in turn and shows only one logger's results",
    )
    with MonitorProcess(ini) as proc:
        proc.wait_for(lambda: at_start in proc.log())
        proc.wait_rounds(1)
        ini.write_text("[monitor]\ninterval = 1\n" + JSONS, encoding="utf-8")
        proc.signal(signal.SIGHUP)
        proc.wait_for(lambda: at_reload in proc.log())
