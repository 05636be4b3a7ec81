"""Only the main thread takes SIGINT, SIGTERM and SIGHUP. Python 3.11 runs handlers on
the main thread only and does not wake it for a signal the kernel gave another
thread: a Ctrl-C that landed on a worker blocked in a check was lost."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import pytest

from tests.peers.monitor_process import MonitorProcess

pytestmark = pytest.mark.integration

SHIELDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def blocked(pid: int, task: str) -> set[int]:
    """Signal numbers that thread ``task`` of process ``pid`` blocks."""
    status = Path(f"/proc/{pid}/task/{task}/status").read_text()
    line = next(ln for ln in status.splitlines() if ln.startswith("SigBlk:"))
    mask = int(line.split()[1], 16)
    return {n for n in range(1, 65) if mask >> (n - 1) & 1}


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc")
def test_a_check_thread_leaves_stop_signals_to_the_main_thread(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        listener.settimeout(15)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        (tmp_path / "monitors.ini").write_text(
            f"[hang]\ntype = http\nurl = {url}\ntimeout = 30\n"
        )
        ini = tmp_path / "monitor.ini"
        ini.write_text("[monitor]\ninterval = 60\n")
        proc = MonitorProcess(ini, "-1")
        try:
            conn, _ = listener.accept()  # a worker thread is in the check now
            with conn:
                pid = proc.proc.pid
                tasks = [p.name for p in Path(f"/proc/{pid}/task").iterdir()]
                masks = {task: blocked(pid, task) for task in tasks}
                main = masks.pop(str(pid))
                assert not set(SHIELDED) & main
                shielding = [t for t, m in masks.items() if set(SHIELDED) <= m]
                assert shielding, masks  # the check's workers at least
                proc.signal(signal.SIGINT)
                assert proc.proc.wait(10) == 130
        finally:
            proc.kill()
    assert proc.log().strip().endswith("interrupted")
