"""`monitor.py -1 -q` with every check passing writes nothing and imports neither
logging nor json (issue 5: ~9 ms and ~1.5 ms of every start), nor, for tcp checks of
IP addresses, socket.py (~3 ms); a run with something to say says it in the usual
format from its first line."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def write_config(folder: Path, ports: list[int]) -> Path:
    sections = "".join(
        f"[port{i}]\ntype = tcp\nhost = 127.0.0.1\nport = {port}\n\n"
        for i, port in enumerate(ports)
    )
    (folder / "monitors.ini").write_text(sections)
    ini = folder / "monitor.ini"
    ini.write_text("[monitor]\ninterval = 60\n")
    return ini


def one_shot(ini: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *(sys.executable, "-X", "importtime", str(REPO / "monitor.py")),
            *("-f", str(ini), "-1", "--no-timestamps", *args),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ini.parent,
        check=False,
    )


def split(stderr: str) -> tuple[set[str], list[str]]:
    """Modules imported (from -X importtime) and the other lines."""
    modules, lines = set(), []
    for line in stderr.splitlines():
        if line.startswith("import time:"):
            modules.add(line.rsplit("|", 1)[1].strip())
        else:
            lines.append(line)
    return modules, lines


def bare_start_modules() -> set[str]:
    """What this interpreter imports before any code runs (site, .pth files)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "pass"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return split(done.stderr)[0]


def test_a_quiet_healthy_one_shot_imports_no_logging(tmp_path):
    already = {"logging", "traceback", "json", "socket"} & bare_start_modules()
    if already:  # e.g. a site-wide .pth file: nothing of ours to measure
        pytest.skip(f"this interpreter imports {sorted(already)} at start")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        port = server.getsockname()[1]
        done = one_shot(write_config(tmp_path, [port, port, port]), "-q")
    modules, lines = split(done.stderr)
    assert (done.returncode, lines) == (0, [])
    assert {"simplemon.cli", "simplemon.scheduler"} <= modules  # it did run
    assert not {"logging", "traceback"} & modules
    # No alert to record: states are table rows, json is never needed.
    assert "json" not in modules
    # The tcp checks, the probe loop's wake-up pair and the host name: _socket's.
    assert "_socket" in modules
    assert "socket" not in modules


def test_a_failing_one_shot_logs_its_first_line_in_the_usual_format(tmp_path):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        up = server.getsockname()[1]
        server.listen(16)
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            down = closed.getsockname()[1]  # bound, never listening: refused
            done = one_shot(write_config(tmp_path, [up, down]))
    modules, lines = split(done.stderr)
    assert done.returncode == 1
    assert "logging" in modules
    assert (
        "WARNING simplemon.scheduler: monitor port1: failed: connection refused"
        in lines
    ), lines
