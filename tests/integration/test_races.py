"""Threads, signals and reloads through real ``monitor.py`` processes.

Every subprocess, socket and wait is bounded.
"""

from __future__ import annotations

import signal
import socket
import textwrap
from pathlib import Path

import pytest

from tests.peers.monitor_process import MonitorProcess

pytestmark = pytest.mark.integration


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def test_sighup_reloads_a_daemon_whose_rounds_overrun_the_interval(tmp_path):
    """A check that takes 2 s in a 1 s interval leaves no wait between rounds;
    the daemon reloaded only while waiting, so SIGHUP was never acted on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)  # never accepted: the request is never answered
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        monitors = f"[slow]\ntype = http\nurl = {url}\ntimeout = 2\n"
        write(tmp_path / "monitors.ini", monitors)
        ini = write(
            tmp_path / "monitor.ini",
            """
            [monitor]
            interval = 1
            """,
        )
        with MonitorProcess(ini) as proc:
            proc.wait_for(lambda: "overran" in proc.log())
            proc.signal(signal.SIGHUP)
            proc.wait_for(lambda: "configuration reloaded" in proc.log(), timeout=15)
            proc.signal(signal.SIGTERM)
            assert proc.proc.wait(15) == 0
    assert "Traceback" not in proc.log()
