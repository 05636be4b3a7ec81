"""SimpleMonitor 1.15 monitors.ini options whose meaning simplemon must keep or refuse.

Each test runs ``monitor.py -t`` on a file a SimpleMonitor user could have.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def check_config(
    tmp_path: Path, monitors: str, interval: int = 60, groups: str = "webservers"
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "monitors.ini").write_text(monitors, encoding="utf-8")
    main = tmp_path / "monitor.ini"
    main.write_text(
        f"[monitor]\ninterval = {interval}\n\n[reporting]\nalerters = mail\n\n"
        f"[mail]\ntype = syslog\ngroups = {groups}\n",
        encoding="utf-8",
    )
    return subprocess.run(
        [sys.executable, str(REPO / "monitor.py"), "-t", "-f", str(main)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_a_group_name_with_a_space_is_joined_as_simplemonitor_did(tmp_path: Path):
    # SimpleMonitor read "web servers" as "webservers", so its alerter said
    # groups = webservers; taken as written, that alerter would never hear of it.
    result = check_config(tmp_path, "[web]\ntype = null\ngroup = web servers, db\n")
    assert result.returncode == 0, result.stderr
    assert "matches no monitor" not in result.stderr


def test_an_alerter_naming_the_group_with_its_space_is_warned_about(tmp_path: Path):
    result = check_config(
        tmp_path,
        "[web]\ntype = null\ngroup = web servers\n",
        groups="web servers",
    )
    assert result.returncode == 0, result.stderr
    assert (
        "[mail] groups = web servers matches no monitor, so this alerter never "
        "alerts (groups in use: webservers;"
    ) in result.stderr


def test_the_group_name_simplemonitor_matched_still_loads(tmp_path: Path) -> None:
    result = check_config(tmp_path, "[web]\ntype = null\ngroup = webservers, db\n")
    assert result.returncode == 0, result.stderr
    assert "matches no monitor" not in result.stderr


@pytest.mark.parametrize("section", ["defaults", "DEFAULT"])
def test_a_shared_timeout_reaches_tcp_but_not_a_host_monitors_ping_ttl(
    tmp_path: Path, section: str
) -> None:
    # SimpleMonitor's host type reads only ping_ttl: a shared timeout (for http)
    # left its pings at 5 s. Our host type also takes `timeout`, in its own section.
    monitors = (
        f"[{section}]\ntimeout = 30\n\n"
        "[nas]\ntype = host\nhost = 127.0.0.1\n\n"
        "[nas2]\ntype = host\nhost = 127.0.0.1\ntimeout = 20\n\n"
        "[ssh]\ntype = tcp\nhost = 127.0.0.1\nport = 22\n"
    )
    result = check_config(tmp_path, monitors, interval=10)
    assert result.returncode == 0, result.stderr
    assert (
        "shorter than the timeout of 2 monitors ([ssh] 30s, [nas2] 20s)"
    ) in result.stderr
