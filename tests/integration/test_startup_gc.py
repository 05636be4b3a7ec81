"""monitor.py collects garbage less often while it starts (issue 5); a daemon gets
Python's own collector settings back before its first round."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from simplemon import startup

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]

# monitor.py as `python monitor.py ARGS` runs it, plus an exit handler (exit_now
# runs them) that prints the collector's thresholds at the end.
RUN = """
import atexit, gc, runpy, sys
sys.path.insert(0, {repo!r})
atexit.register(lambda: print("thresholds", *gc.get_threshold()))
sys.argv = ["monitor.py", *{args!r}]
runpy.run_path({script!r}, run_name="__main__")
"""


def thresholds_at_exit(folder: Path, *args: str) -> tuple[int, str]:
    code = RUN.format(repo=str(REPO), args=list(args), script=str(REPO / "monitor.py"))
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=folder,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def config(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    port = server.getsockname()[1]
    (tmp_path / "monitors.ini").write_text(
        f"[web]\ntype = tcp\nhost = 127.0.0.1\nport = {port}\n"
    )
    (tmp_path / "monitor.ini").write_text("[monitor]\ninterval = 1\n")
    yield tmp_path
    server.close()


@pytest.mark.parametrize("mode", [["-1"], ["-t"]])
def test_a_one_shot_or_test_run_keeps_the_relaxed_collector(config, mode):
    code, out = thresholds_at_exit(config, "-q", "-f", "monitor.ini", *mode)
    assert code == 0, out
    assert out.splitlines()[-1] == "thresholds 50000 10 10"


def test_a_daemon_runs_with_pythons_own_collector_settings(config):
    code, out = thresholds_at_exit(config, "-q", "-f", "monitor.ini", "--loops", "1")
    assert code == 0, out
    assert out == "thresholds {} {} {}\n".format(*startup.DEFAULT)


def test_the_relaxed_settings_are_larger_young_passes_only():
    assert startup.STARTING[0] > startup.DEFAULT[0]
    assert startup.STARTING[1:] == startup.DEFAULT[1:] == (10, 10)
