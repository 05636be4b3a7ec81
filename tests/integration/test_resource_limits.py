"""Running out of things: descriptors, threads, disk space, memory.

Each case runs in a real subprocess (monitor.py, or a small Python program) whose
limits are lowered with ``resource.setrlimit``, so the test process keeps its own.
Every subprocess has a timeout; nothing here outlives its test.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests.peers.http_server import HttpPeer, Reply

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def run_python(code: str, *args: str, timeout: float = 60) -> dict[str, Any]:
    """Run ``code`` (with the repo on sys.path); return the JSON it prints last."""
    program = f"import sys\nsys.path.insert(0, {str(REPO)!r})\n" + textwrap.dedent(code)
    result = subprocess.run(
        [sys.executable, "-c", program, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


#: Fills every descriptor below a limit of 64 but ``free``, then runs ``attempt()``.
EXHAUST = """
import json, os, resource
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

def exhaust(free):
    held = []
    while True:
        try:
            held.append(os.open(os.devnull, os.O_RDONLY))
        except OSError:
            break
    for _ in range(min(free, len(held))):
        os.close(held.pop())
    return held

def release(held):
    for fd in held:
        os.close(fd)
"""


# --- file descriptors -----------------------------------------------------------


@pytest.mark.parametrize("free", [0, 1, 2, 3])
def test_an_alert_command_that_cannot_start_for_lack_of_descriptors_is_retried(
    tmp_path, free
):
    """EMFILE while starting the command is no reason to drop the alert: it is a
    transient failure naming the cause, and the same alerter delivers once
    descriptors are free again."""
    out = tmp_path / "out.txt"
    code = (
        EXHAUST
        + """
from datetime import timedelta
from alerters.execute import ExecuteAlerter, ExecuteOptions, command
from simplemon.errors import DeliveryError
from simplemon.parsers import ParseContext
from tests.peers.alert_events import make_event

cmd = command(f"/bin/sh -c 'echo sent >> {sys.argv[2]}'", ParseContext())
alerter = ExecuteAlerter("run", ExecuteOptions(fail_command=cmd))
event = make_event()
alerter.send(event)  # imports and caches (time zones) happen before the shortage
held = exhaust(int(sys.argv[1]))
try:
    alerter.send(event)
    first = {"error": None}
except DeliveryError as e:
    first = {"error": str(e), "permanent": e.permanent}
except Exception as e:
    first = {"error": repr(e), "raw": True}
release(held)
alerter.send(event)
print(json.dumps(first))
"""
    )
    first = run_python(code, str(free), str(out))
    assert first.get("raw") is None, first
    assert first["permanent"] is False
    assert "too many open files" in first["error"].lower()
    assert out.read_text() == "sent\n" * 2


def test_a_tcp_check_without_a_free_descriptor_fails_plainly_and_the_next_works():
    """No socket for a tcp check is a plain failure naming the reason (no
    "internal error", no traceback in the log), and the loop goes on: once
    descriptors are free the same check connects."""
    code = (
        EXHAUST
        + """
import concurrent.futures, io, logging, socket  # imported before the shortage
from simplemon.monitors.tcp import TcpMonitor, TcpOptions
from simplemon.probe_loop import ProbeLoop

log = io.StringIO()
logging.basicConfig(stream=log, level=logging.DEBUG)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(8)
port = listener.getsockname()[1]
monitor = TcpMonitor("svc", TcpOptions(host="127.0.0.1", port=port))
loop = ProbeLoop(max_active=16)

def run():
    future = loop.submit(monitor.probe())
    loop.wait(future.done, 10)
    result = future.result()
    return {"ok": result.ok, "message": result.message}

held = exhaust(0)
short = run()
release(held)
again = run()
print(json.dumps({"short": short, "again": again, "log": log.getvalue()}))
"""
    )
    found = run_python(code)
    assert found["short"]["ok"] is False
    assert found["short"]["message"] == "cannot open a socket: too many open files"
    assert "Traceback" not in found["log"]
    assert found["again"]["ok"] is True, found


# --- disk full ------------------------------------------------------------------


def small_fs_or_skip(tmp_path: Path, script: str, timeout: float = 60) -> str:
    """Run ``script`` (sh) in a private mount namespace where ``small/`` is a 1 MiB
    tmpfs; return its output. The mount ends with the namespace, so nothing is
    left behind. Skips where mount namespaces are not allowed (not root)."""
    (tmp_path / "small").mkdir()
    probe = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         "mount -t tmpfs -o size=64k tmpfs small"],
        cwd=tmp_path, capture_output=True, text=True, timeout=10, check=False,
    )  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs in a mount namespace: {probe.stderr!r}")
    body = "set -u\nmount -t tmpfs -o size=1m tmpfs small\n" + textwrap.dedent(script)
    result = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", body],
        cwd=tmp_path, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    return result.stdout + result.stderr


#: Fills the small filesystem to the last byte.
FILL = "head -c 2000000 /dev/zero > small/filler 2>/dev/null\n"


def disk_config(tmp_path: Path, monitors: str, extra: str = "") -> Path:
    """Every logger writes to small/; an execute alerter records to alerts.txt."""
    (tmp_path / "monitors.ini").write_text(textwrap.dedent(monitors))
    recorder = tmp_path / "record.py"
    recorder.write_text(
        "import os, sys\n"
        "with open(sys.argv[1], 'a') as f:\n"
        "    f.write(os.environ['SIMPLEMON_EVENT'] + ' ' + sys.argv[2] + '\\n')\n"
    )
    command = f"{sys.executable} {recorder} {tmp_path / 'alerts.txt'} {{name}}"
    ini = tmp_path / "monitor.ini"
    ini.write_text(
        textwrap.dedent(f"""
        [monitor]
        interval = 1
        {extra}
        [reporting]
        loggers = logfile, db, dbstatus, html, json
        alerters = pager
        [logfile]
        type = logfile
        filename = small/monitor.log
        [db]
        type = db
        db_path = small/results.db
        [dbstatus]
        type = dbstatus
        db_path = small/status.db
        [html]
        type = html
        folder = small/html
        [json]
        type = json
        filename = small/json/status.json
        [pager]
        type = execute
        fail_command = {command}
        success_command = {command}
        """)
    )
    return ini


def monitor_sh(ini: Path, *args: str) -> str:
    words = [sys.executable, str(REPO / "monitor.py"), "-f", str(ini), "-v", *args]
    return "timeout 40 " + " ".join(words)


def test_loggers_on_a_full_disk_each_say_which_file_and_alerts_still_go(tmp_path):
    ini = disk_config(tmp_path, "[down]\ntype = fail\ninterval = 1000\n")
    out = small_fs_or_skip(
        tmp_path, FILL + monitor_sh(ini, "--loops", "2") + "\necho exit=$?\n"
    )
    assert "exit=0" in out, out
    assert "Traceback" not in out, out
    for name, file in [
        ("logfile", "small/monitor.log"),
        ("db", "small/results.db"),
        ("dbstatus", "small/status.db"),
        # The page is written even when the history file cannot be; here the
        # page cannot be either, and that is the one error named.
        ("html", "small/html/index.html"),
        ("json", "small/json/status.json"),
    ]:
        assert f"logger {name}: write failed: cannot " in out
        assert f"{file}: " in out, name
    assert "round 2: 1 checked, 1 failing" in out
    assert (tmp_path / "alerts.txt").read_text() == "failure down\n"


#: sh: wait (bounded) until the monitor's log in err.txt shows round $1.
WAIT_ROUND = """
wait_round() {
    i=0
    while ! grep -q " round $1: " err.txt 2>/dev/null; do
        i=$((i + 1)); [ $i -gt 300 ] && return 1; sleep 0.1
    done
}
"""


def test_loggers_write_again_once_the_disk_has_room(tmp_path):
    ini = disk_config(tmp_path, "[up]\ntype = null\n")
    script = (
        WAIT_ROUND
        + FILL
        + monitor_sh(ini, "--loops", "5")
        + """ 2> err.txt &
pid=$!
wait_round 2
rm small/filler
wait $pid
echo exit=$?
cp -r small after
"""
    )
    out = small_fs_or_skip(tmp_path, script)
    err = (tmp_path / "err.txt").read_text()
    assert "exit=0" in out, out + err
    assert "No space left on device" in err
    assert "round 5: 1 checked, 0 failing" in err
    after = tmp_path / "after"
    assert "up: ok" in (after / "monitor.log").read_text()
    assert "up" in (after / "html" / "index.html").read_text()
    assert '"up"' in (after / "json" / "status.json").read_text()
    import sqlite3

    for db in ("results.db", "status.db"):
        with sqlite3.connect(after / db) as conn:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master")]
            assert tables, db


def test_a_failure_while_the_state_file_disk_is_full_is_alerted_once_room_returns(
    tmp_path,
):
    """The round cannot be saved, so its alert is decided again later: it is
    neither lost nor sent twice, and the daemon keeps its rhythm meanwhile."""
    listener = tmp_path / "listen.py"
    # It accepts (and closes) every connection: a listener that never accepted
    # filled its queue with round 1's connects, so later rounds' checks timed out
    # and the monitors failed before the disk was full, now and then.
    listener.write_text(
        "import socket, sys, threading\n"
        "s = socket.socket()\n"
        "s.bind(('127.0.0.1', 0))\n"
        "s.listen(64)\n"
        "def serve():\n"
        "    while True:\n"
        "        s.accept()[0].close()\n"
        "threading.Thread(target=serve, daemon=True).start()\n"
        "open(sys.argv[1], 'w').write(str(s.getsockname()[1]))\n"
        "sys.stdin.read()\n"  # up until the script closes our stdin
    )
    # Forty monitors failing at once: the state file saves each round and then
    # checkpoints, so a save that fits the -wal file's earlier size needs no new
    # space; forty alerts at once outgrow it, as a real outage of several does.
    ini = disk_config(
        tmp_path,
        "".join(
            f"[svc{n:02}]\ntype = tcp\nhost = 127.0.0.1\nport = PORT\ntimeout = 1\n"
            for n in range(40)
        ),
        extra="state_file = small/state.db",
    )
    script = (
        WAIT_ROUND
        + f"""
mkfifo hold
{sys.executable} {listener} port.txt < hold &
exec 3> hold
i=0; while [ ! -s port.txt ] && [ $i -lt 100 ]; do i=$((i+1)); sleep 0.1; done
sed -i "s/PORT/$(cat port.txt)/g" monitors.ini
"""
        + monitor_sh(ini, "--loops", "8")
        + """ 2> err.txt 3>&- &
pid=$!
wait_round 1
"""
        + FILL
        + """exec 3>&-
wait_round 4
rm small/filler
wait $pid
echo exit=$?
"""
    )
    out = small_fs_or_skip(tmp_path, script)
    err = (tmp_path / "err.txt").read_text()
    assert "exit=0" in out, out + err
    assert "cannot save the round: database or disk is full" in err
    assert "round 8: 40 checked, 40 failing" in err
    alerts = (tmp_path / "alerts.txt").read_text().splitlines()
    assert sorted(alerts) == [f"failure svc{n:02}" for n in range(40)]


# --- threads ----------------------------------------------------------------------


@pytest.fixture
def pids_cgroup(tmp_path: Path):
    """A pids cgroup of our own (v1 or v2); yields its folder, removed afterwards."""
    base = next(
        (
            p
            for p in (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup/unified"))
            if (p / "cgroup.procs").exists()
        ),
        None,
    )
    if base is None:
        pytest.skip("no pids cgroup hierarchy")
    group = base / f"simplemon-test-{os.getpid()}-{tmp_path.name}"
    try:
        group.mkdir()
    except OSError as e:
        pytest.skip(f"cannot create a cgroup: {e}")
    if not (group / "pids.max").exists():
        group.rmdir()
        pytest.skip("the pids controller is not enabled here")
    try:
        yield group
    finally:
        for _ in range(100):  # the process may still be exiting
            try:
                group.rmdir()
                break
            except OSError:
                time.sleep(0.05)


def test_a_round_survives_when_no_thread_can_be_started(tmp_path, pids_cgroup):
    """With no room for a worker thread (a pids limit), the checks that need one
    fail saying why, the others run, and the round is not lost; once threads can
    be started again the same checks pass."""
    with HttpPeer() as peer:
        peer.route("/", Reply(200, b"fine"))
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        (tmp_path / "monitors.ini").write_text(
            f"[web]\ntype = http\nurl = {peer.url('/')}\ntimeout = 5\n\n"
            f"[svc]\ntype = tcp\nhost = 127.0.0.1\nport = {port}\n\n"
            "[down]\ntype = fail\ninterval = 1000\n"
        )
        ini = tmp_path / "monitor.ini"
        ini.write_text("[monitor]\ninterval = 1\n")
        (pids_cgroup / "pids.max").write_text("2")  # main and signal threads
        err = tmp_path / "err.txt"
        with open(err, "w") as stderr:
            # The shell joins the group, then becomes monitor.py (no preexec_fn).
            proc = subprocess.Popen(
                [
                    *("sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"'),
                    *(str(pids_cgroup), sys.executable, str(REPO / "monitor.py")),
                    *("-f", str(ini), "-v"),
                ],
                cwd=tmp_path,
                stderr=stderr,
                stdout=subprocess.DEVNULL,
            )
        try:
            wait_for(lambda: " round 2: " in err.read_text(), proc)
            (pids_cgroup / "pids.max").write_text("max")
            log = err.read_text()
            start = len(log)
            wait_for(lambda: err.read_text()[start:].count(" checked, ") >= 2, proc)
        finally:
            proc.terminate()
            proc.wait(15)
        listener.close()
    log = err.read_text()
    short, later = log[:start], log[start:]
    assert "round failed" not in log, log
    assert "Traceback" not in log, log
    assert "round 1: 3 checked, 2 failing" in short, short
    assert "monitor web: failed: cannot start a thread for the check" in short
    assert "monitor svc" not in short  # the probe loop needs no thread
    assert later.count(": 3 checked, 1 failing") == later.count(" checked, "), later
    assert proc.returncode == 0


def wait_for(predicate, proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert proc.poll() is None, "monitor.py exited"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
