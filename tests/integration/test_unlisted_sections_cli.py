# mypy: allow-untyped-defs, allow-incomplete-defs, allow-untyped-calls
"""An alerter or logger section that [reporting] does not list, as a user meets it:
``-t`` said "configuration OK ... 0 alerters" and no mail was ever sent, silently.

Real ``monitor.py`` processes; no network; every wait is bounded.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from tests.peers.monitor_process import (
    MonitorProcess,
    run_monitor_once,
    write_null_config,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

MAIL = (
    "[mail]\ntype = email\nhost = 127.0.0.1\nport = 2525\n"
    "from = monitor@example.test\nto = ops@example.test\n"
)
WARNING = (
    "monitor.ini: [mail] type = email looks like an alerter, but [reporting] "
    "alerters does not list it; it is not used"
)


def run_test(ini: Path) -> subprocess.CompletedProcess[str]:
    return run_monitor_once(ini, "-t")


@pytest.mark.parametrize("reporting", ["", "[reporting]\nalerters =\n"])
def test_dash_t_warns_about_an_email_section_no_reporting_line_lists(
    tmp_path, reporting
):
    ini = write_null_config(tmp_path, "[monitor]\ninterval = 30\n" + reporting + MAIL)
    result = run_test(ini)
    assert result.returncode == 0, result.stderr
    assert "configuration OK: 1 monitor, 0 loggers, 0 alerters" in result.stdout
    assert WARNING in result.stderr
    assert "WARNING" in result.stderr


def test_dash_t_warns_about_an_unlisted_logger_and_not_about_listed_ones(tmp_path):
    ini = write_null_config(
        tmp_path,
        "[monitor]\ninterval = 30\n[reporting]\nloggers = kept\n"
        "[kept]\ntype = logfile\nfilename = kept.log\n"
        "[forgotten]\ntype = json\nfilename = status.json\n",
    )
    result = run_test(ini)
    assert result.returncode == 0, result.stderr
    assert (
        "monitor.ini: [forgotten] type = json looks like a logger, but [reporting] "
        "loggers does not list it; it is not used"
    ) in result.stderr
    assert "[kept]" not in result.stderr


def test_a_reload_that_adds_an_unlisted_alerter_logs_the_warning(tmp_path):
    ini = write_null_config(tmp_path, "[monitor]\ninterval = 1\n")
    with MonitorProcess(ini) as proc:
        proc.wait_rounds(1)
        assert WARNING not in proc.log()
        ini.write_text("[monitor]\ninterval = 1\n" + MAIL, encoding="utf-8")
        proc.signal(signal.SIGHUP)
        proc.wait_for(lambda: WARNING in proc.log())
