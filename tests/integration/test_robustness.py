"""Fault injection through real ``monitor.py`` processes: a second instance, a
state file that is read-only, locked or damaged, signals and stuck plugins.

Every subprocess and wait is bounded. A file is made read-only for root with
``chattr +i`` (root ignores permission bits); those tests skip where it is missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import run_monitor
from tests.peers.monitor_process import (
    MonitorProcess,
    kinds,
    recorder_command,
)

pytestmark = pytest.mark.integration


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def setup(
    tmp_path: Path,
    monitors: str = "[down]\ntype = fail\ninterval = 1000\n",
    extra: str = "",
) -> Path:
    """A one-second config whose alerter records each event in pager.jsonl."""
    write(tmp_path / "monitors.ini", monitors)
    command = recorder_command(tmp_path / "pager.jsonl")
    return write(
        tmp_path / "monitor.ini",
        f"""
        [monitor]
        interval = 1
        pidfile = run.pid
        {extra}
        [reporting]
        alerters = pager
        [pager]
        type = execute
        fail_command = {command}
        success_command = {command}
        groups = _all
        """,
    )


@pytest.fixture
def immutable() -> Iterator[list[Path]]:
    """Paths to make read-only even for root; made writable again afterwards."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed")
    paths: list[Path] = []
    yield paths
    for path in paths:
        subprocess.run(["chattr", "-i", str(path)], timeout=10, check=False)


def make_immutable(paths: list[Path], path: Path) -> None:
    result = subprocess.run(
        ["chattr", "+i", str(path)], capture_output=True, timeout=10, check=False
    )
    if result.returncode != 0:
        pytest.skip(f"chattr +i does not work here: {result.stderr!r}")
    paths.append(path)


# --- two instances ------------------------------------------------------------------


def test_a_second_instance_on_the_same_state_file_is_refused(tmp_path):
    ini = setup(tmp_path)
    with MonitorProcess(ini) as first:
        first.wait_for(lambda: kinds(tmp_path / "pager.jsonl"))
        pid = (tmp_path / "run.pid").read_text()
        second = run_monitor("-f", str(ini), "--loops", "3", cwd=tmp_path, timeout=30)
        once = run_monitor("-f", str(ini), "-1", cwd=tmp_path, timeout=30)
        first.wait_rounds(1)
        assert (tmp_path / "run.pid").read_text() == pid  # not taken over
    for result in (second, once):
        assert result.returncode == 3, result.stderr  # not 1: no check failed
        assert "is in use by another simplemon" in result.stderr
        assert f"(process {pid.strip()})" in result.stderr
        assert "Traceback" not in result.stderr
    assert kinds(tmp_path / "pager.jsonl") == [("failure", "down", 1)]


def test_the_state_file_is_free_again_after_a_kill_9(tmp_path):
    ini = setup(tmp_path)
    first = MonitorProcess(ini)
    try:
        first.wait_rounds(1)
    finally:
        first.kill()
    result = run_monitor("-f", str(ini), "-1", cwd=tmp_path, timeout=30)
    assert "in use" not in result.stderr
    assert "Traceback" not in result.stderr


# --- the state file -----------------------------------------------------------------


def test_a_read_only_state_file_is_one_clear_error(tmp_path, immutable):
    ini = setup(tmp_path)
    assert run_monitor("-f", str(ini), "-1", cwd=tmp_path, timeout=30).returncode == 1
    state = tmp_path / "simplemon-state.db"
    assert not (tmp_path / "simplemon-state.db-wal").exists()
    make_immutable(immutable, state)
    result = run_monitor("-f", str(ini), "-1", cwd=tmp_path, timeout=30)
    assert result.returncode == 3  # nothing ran: not a failed check (1)
    assert "Traceback" not in result.stderr
    assert f"state file {state}" in result.stderr
    assert "readonly" in result.stderr


def test_a_state_folder_that_cannot_be_written_is_one_clear_error(tmp_path, immutable):
    ini = setup(tmp_path, extra="state_file = state/s.db")
    (tmp_path / "state").mkdir()
    make_immutable(immutable, tmp_path / "state")
    result = run_monitor("-f", str(ini), "-1", cwd=tmp_path, timeout=30)
    assert result.returncode == 3  # nothing ran: not a failed check (1)
    assert "Traceback" not in result.stderr
    assert f"state file {tmp_path / 'state' / 's.db'}" in result.stderr


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_state_file_is_one_clear_error_and_left_alone(tmp_path, damage):
    ini = setup(tmp_path)
    state = tmp_path / "simplemon-state.db"
    if damage == "garbage":
        state.write_bytes(b"not a database\n" * 50)
    else:
        run_monitor("-f", str(ini), "-1", cwd=tmp_path, timeout=30)
        import sqlite3

        db = sqlite3.connect(state)
        db.execute("PRAGMA journal_mode=DELETE")
        db.close()
        state.write_bytes(state.read_bytes()[:3000])
    before = state.read_bytes()
    result = run_monitor("-f", str(ini), "-1", cwd=tmp_path, timeout=30)
    assert result.returncode == 3  # nothing ran: not a failed check (1)
    assert "Traceback" not in result.stderr
    assert f"state file {state}" in result.stderr
    assert state.read_bytes() == before


#: Holds a write transaction on argv[1] for argv[2] seconds; prints "locked" first.
_LOCKER = """\
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=5, isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
"""


def hold_write_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    """Start a process holding ``path``'s write lock; return once it holds it."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _LOCKER, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_failure_while_the_state_file_is_locked_is_alerted_once_later(tmp_path):
    """The round that fails cannot be saved (another process holds the lock for
    longer than SQLite waits): its alert is decided again once the file is free."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    ini = setup(tmp_path, f"[svc]\ntype = tcp\nhost = 127.0.0.1\nport = {port}\n")
    with MonitorProcess(ini) as proc:
        proc.wait_rounds(1)
        # SQLite waits 10 s: a save that starts up to 3 s after the lock was taken
        # (a round late on a loaded machine) still gives up while it is held.
        locker = hold_write_lock(proc.state_file, 13)
        try:
            listener.close()
            proc.wait_for(lambda: "cannot save" in proc.log(), timeout=30)
            assert kinds(tmp_path / "pager.jsonl") == []
        finally:
            locker.wait(30)
            assert locker.stdout is not None
            locker.stdout.close()
        proc.wait_for(lambda: kinds(tmp_path / "pager.jsonl"), timeout=30)
        proc.wait_rounds(2)
    assert [k for k, _, _ in kinds(tmp_path / "pager.jsonl")] == ["failure"]
    log = proc.log()
    assert "Traceback" not in log
    assert f"state file {proc.state_file}: cannot save the round" in log


# --- execute alerter commands -------------------------------------------------------

#: Records its event in argv[1], leaves a child behind holding stderr, exits 0.
_BACKGROUNDING = """\
import os, subprocess, sys
with open(sys.argv[1], "a", encoding="utf-8") as out:
    out.write(os.environ["SIMPLEMON_EVENT"] + "\\n")
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(6)"])
"""

#: Writes argv[2] megabytes to stderr, then exits 3.
_NOISY = """\
import sys
for _ in range(int(sys.argv[2])):
    sys.stderr.write("x" * 1023 + "\\n")
sys.stderr.write("the real reason\\n")
with open(sys.argv[1], "a", encoding="utf-8") as out:
    out.write("tried\\n")
sys.exit(3)
"""


def test_a_command_that_leaves_a_child_running_is_delivered_once(tmp_path):
    """The program exited 0; a background child still holding stderr open is no
    reason to call it hung, kill it and run the command again."""
    script = write(tmp_path / "background.py", _BACKGROUNDING)
    write(tmp_path / "monitors.ini", "[down]\ntype = fail\ninterval = 1000\n")
    ini = write(
        tmp_path / "monitor.ini",
        f"""
        [monitor]
        interval = 1
        [reporting]
        alerters = pager
        [pager]
        type = execute
        fail_command = {sys.executable} {script} {tmp_path / "sent.txt"}
        timeout = 2
        groups = _all
        """,
    )
    with MonitorProcess(ini) as proc:
        proc.wait_for(lambda: "alerter pager: sent failure" in proc.log(), timeout=15)
        proc.wait_rounds(2)
    assert (tmp_path / "sent.txt").read_text() == "failure\n"
    assert "still running" not in proc.log()


def test_a_command_that_fails_noisily_is_one_line_and_others_go_on(tmp_path):
    noisy = write(tmp_path / "noisy.py", _NOISY)
    write(tmp_path / "monitors.ini", "[down]\ntype = fail\ninterval = 1000\n")
    command = recorder_command(tmp_path / "pager.jsonl")
    ini = write(
        tmp_path / "monitor.ini",
        f"""
        [monitor]
        interval = 1
        [reporting]
        alerters = noisy, pager
        [noisy]
        type = execute
        fail_command = {sys.executable} {noisy} {tmp_path / "tried.txt"} 2048
        groups = _all
        [pager]
        type = execute
        fail_command = {command}
        groups = _all
        """,
    )
    with MonitorProcess(ini) as proc:
        proc.wait_for(lambda: "alerter noisy: could not send" in proc.log())
        proc.wait_for(lambda: kinds(tmp_path / "pager.jsonl"))
    (line,) = [x for x in proc.log().splitlines() if "alerter noisy: could not" in x]
    assert line.endswith("exited with 3: the real reason") or "the real reason" in line
    assert len(line) < 1000
    assert "Traceback" not in proc.log()
    assert kinds(tmp_path / "pager.jsonl") == [("failure", "down", 1)]


# --- signals ------------------------------------------------------------------------


def test_a_second_sigterm_stops_at_once_during_a_hung_check(tmp_path):
    """The first signal lets the round finish (here: a check that waits 30 s for
    a server that never answers); the second one stops without waiting."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        listener.settimeout(15)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        monitors = (
            f"[hang]\ntype = http\nurl = {url}\ntimeout = 30\n[ok]\ntype = null\n"
        )
        ini = setup(tmp_path, monitors)
        proc = MonitorProcess(ini)
        try:
            conn, _ = listener.accept()  # the check is waiting for an answer
            with conn:
                proc.signal(signal.SIGTERM)
                proc.wait_for(lambda: "stopping after this round" in proc.log())
                assert proc.proc.poll() is None  # still finishing the round
                proc.signal(signal.SIGTERM)
                assert proc.proc.wait(10) == 0
        finally:
            proc.kill()
    log = proc.log()
    assert "stopping now" in log
    assert "Traceback" not in log
    assert not (tmp_path / "run.pid").exists()


def test_ctrl_c_during_a_one_shot_round_is_one_line(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        listener.settimeout(15)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        ini = setup(tmp_path, f"[hang]\ntype = http\nurl = {url}\ntimeout = 30\n")
        # A shell starts a background job (`bash .ci/run &`) with SIGINT ignored,
        # and a program inherits that: this one would rightly ignore Ctrl-C too.
        ignored = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            proc = MonitorProcess(ini, "-1")
        finally:
            signal.signal(signal.SIGINT, ignored)
        try:
            conn, _ = listener.accept()
            with conn:
                proc.signal(signal.SIGINT)
                assert proc.proc.wait(10) == 130, proc.log()
        finally:
            proc.kill()
    assert proc.log().strip().endswith("interrupted")
    assert "Traceback" not in proc.log()


def test_a_storm_of_sighups_neither_hangs_nor_kills_the_daemon(tmp_path):
    """Signal handlers take no locks: a handler interrupted by the next signal
    used to wait for a lock its own thread held, and the daemon froze for good."""
    ini = setup(tmp_path, "[a]\ntype = null\n")
    with MonitorProcess(ini) as proc:
        proc.wait_rounds(1)
        for _ in range(5):
            for _ in range(200):
                os.kill(proc.proc.pid, signal.SIGHUP)
            time.sleep(0.05)
        proc.wait_for(lambda: "configuration reloaded" in proc.log())
        proc.wait_rounds(2, timeout=10)
        proc.signal(signal.SIGTERM)
        assert proc.proc.wait(15) == 0
    assert "Traceback" not in proc.log()


def test_a_state_file_deleted_while_running_is_written_again(tmp_path):
    """rm of the state file (and its -wal, -shm and .lock) while running: SQLite
    would go on writing to the deleted file and a restart would forget every
    state, record and queued alert (and alert again); a second instance could
    start. The store writes the file again from what it holds."""
    ini = setup(tmp_path)
    with MonitorProcess(ini) as proc:
        proc.wait_for(lambda: kinds(tmp_path / "pager.jsonl"))
        for path in tmp_path.glob("simplemon-state.db*"):
            path.unlink()
        proc.wait_for(lambda: "was deleted" in proc.log())
        proc.wait_rounds(2)
        assert proc.state_file.exists()
        second = run_monitor("-f", str(ini), "-1", cwd=tmp_path, timeout=30)
        assert "is in use by another simplemon" in second.stderr
    with MonitorProcess(ini) as again:
        again.wait_rounds(2)
    assert kinds(tmp_path / "pager.jsonl") == [("failure", "down", 1)]
    assert "Traceback" not in proc.log() + again.log()
