# mypy: allow-untyped-defs, allow-incomplete-defs, allow-untyped-calls
"""The alerter examples shipped in monitor.ini load, stay on loopback, and run."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from simplemon.config import load_config

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def test_shipped_alerters_are_an_execute_and_a_disabled_loopback_email():
    config = load_config(REPO / "monitor.ini")
    by_type = {a.common.type: a for a in config.alerters}
    assert sorted(by_type) == ["email", "execute"]
    assert by_type["execute"].common.enabled
    mail = by_type["email"]
    assert not mail.common.enabled  # no retries against an absent mail server
    assert ipaddress.ip_address(mail.plugin.options.host).is_loopback


def test_shipped_execute_alerter_runs_for_a_failing_monitor(tmp_path):
    shutil.copy(REPO / "monitor.ini", tmp_path / "monitor.ini")
    (tmp_path / "monitors.ini").write_text("[down]\ntype = fail\n", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "monitor.py"),
            "-1",
            "-f",
            str(tmp_path / "monitor.ini"),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr  # the monitor failed
    assert "alerter note: sent failure for monitor down" in result.stderr
    assert "alerter mail" not in result.stderr
    assert "ERROR" not in result.stderr
