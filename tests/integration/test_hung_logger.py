"""A logger whose write hangs never stops the checks and alerts of later rounds.

The hung logger is real: a logfile logger whose file is a FIFO nobody reads, so its
open() blocks in the kernel as a write to a dead hard-mounted NFS share does. The
test "mounts the share again" by opening the FIFO for reading.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import monitor_cmd, run_monitor, wait_for

pytestmark = pytest.mark.integration

MAIN = """
[monitor]
interval = 1
state_file = state.db
pidfile = simplemon.pid
[reporting]
alerters = run
loggers = log
[run]
type = execute
fail_command = /usr/bin/touch failed-{name}
[log]
type = logfile
filename = {logfile}
groups = _all
"""
MONITORS = """
[web]
type = tcp
host = 127.0.0.1
port = {port}
timeout = 2
"""


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    try:
        yield server
    finally:
        server.close()


def configure(tmp_path: Path, port: int, logfile: str = "results.fifo") -> Path:
    (tmp_path / "monitors.ini").write_text(
        textwrap.dedent(MONITORS.format(port=port)).lstrip(), encoding="utf-8"
    )
    main = tmp_path / "monitor.ini"
    main.write_text(
        textwrap.dedent(MAIN.replace("{logfile}", logfile)).lstrip(), encoding="utf-8"
    )
    if logfile.endswith(".fifo"):
        os.mkfifo(tmp_path / logfile)
    return main


def rounds(stderr: Path) -> int:
    """Return the number of the last round the daemon reported."""
    numbers = re.findall(r"round (\d+): ", stderr.read_text())
    return int(numbers[-1]) if numbers else 0


class Reader:
    """The FIFO's reader, non-blocking: collects what the logger wrote."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self.data = b""

    def read(self) -> str:
        with contextlib.suppress(BlockingIOError):
            while chunk := os.read(self.fd, 65536):
                self.data += chunk
        return self.data.decode()

    def close(self) -> None:
        os.close(self.fd)


def stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=30)


def test_rounds_and_alerts_go_on_while_a_logger_hangs_and_it_catches_up_in_order(
    tmp_path, daemon, listener
):
    main = configure(tmp_path, listener.getsockname()[1])
    proc = daemon("-f", str(main))
    stderr = tmp_path / "stderr-0.txt"
    # The logger is stuck in its first round; the rounds go on regardless.
    assert wait_for(lambda: "logger log: fell behind" in stderr.read_text())
    assert wait_for(lambda: rounds(stderr) >= 3)
    # An outage that starts while the logger hangs is still alerted.
    listener.close()
    assert wait_for((tmp_path / "failed-web").exists)
    hung_for = rounds(stderr)
    assert "caught up" not in stderr.read_text()

    reader = Reader(tmp_path / "results.fifo")  # the share is back
    try:
        assert wait_for(lambda: "logger log: caught up after" in stderr.read_text())
        assert wait_for(lambda: "web: failed since" in reader.read())
        assert stop(proc) == 0
        assert wait_for(lambda: reader.read().endswith("\n") and proc.poll() == 0)
        text = reader.read()
    finally:
        reader.close()
    log = stderr.read_text()
    caught_up = re.search(
        r"caught up after [\d.]+s behind: (\d+) rounds? written late, 0 dropped", log
    )
    assert caught_up is not None, log
    assert int(caught_up.group(1)) >= hung_for - 1  # all but the one it hung in
    # Every round is in the file, once, in order: OK ones first, then the outage.
    lines = [x.split(" ", 1) for x in text.splitlines()]
    assert lines[0][1] == "simplemon starting"
    web = [rest for _, rest in lines[1:]]
    assert len(web) == rounds(stderr)
    assert all(x.startswith("web: ") for x in web)
    first_failure = next(i for i, x in enumerate(web) if not x.startswith("web: ok"))
    assert first_failure >= hung_for - 1
    assert all(not x.startswith("web: ok") for x in web[first_failure:])
    stamps = [int(stamp) for stamp, _ in lines[1:]]  # "starting" is stamped at open
    assert stamps == sorted(stamps)
    assert log.count("fell behind") == 1
    assert log.count("caught up") == 1


def test_a_stop_does_not_wait_for_ever_for_a_hung_logger_and_keeps_the_state(
    tmp_path, daemon
):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]  # closed: the check fails at once
    main = configure(tmp_path, port)
    proc = daemon("-f", str(main))
    stderr = tmp_path / "stderr-0.txt"
    assert wait_for((tmp_path / "failed-web").exists)
    assert wait_for(lambda: "logger log: fell behind" in stderr.read_text())
    started = time.monotonic()
    assert stop(proc) == 0  # before: never, the round's thread was stuck
    assert time.monotonic() - started < 25
    log = stderr.read_text()
    assert re.search(
        r"ERROR .*logger log: still at round 1 after waiting [\d.]+s .*stopping "
        r"without it: \d+ rounds? not written",
        log,
    ), log
    assert "stopped" in log
    assert not (tmp_path / "simplemon.pid").exists()

    # The state file kept the outage and its alert: a restart does not alert again.
    (tmp_path / "failed-web").unlink()
    main = configure(tmp_path, port, logfile="results.log")
    result = run_monitor("-f", str(main), "--loops", "1", cwd=tmp_path, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "web: failed since" in (tmp_path / "results.log").read_text()
    assert not (tmp_path / "failed-web").exists()


def test_one_shot_waits_for_a_slow_logger_to_write_its_round(tmp_path):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    main = configure(tmp_path, port)
    proc = subprocess.Popen(
        monitor_cmd("-f", str(main), "-1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        # The round is over (its alert went out); -1 now waits for the logger.
        assert wait_for((tmp_path / "failed-web").exists)
        assert proc.poll() is None
        reader = Reader(tmp_path / "results.fifo")
        try:
            _, err = proc.communicate(timeout=30)
            text = reader.read()
        finally:
            reader.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 1, err  # the check failed; the logger did its job
    assert "web: failed since" in text
    assert "still at" not in err
