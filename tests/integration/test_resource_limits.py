"""Running out of things: descriptors, threads, disk space, memory.

Each case runs in a real subprocess (monitor.py, or a small Python program) whose
limits are lowered with ``resource.setrlimit``, so the test process keeps its own.
Every subprocess has a timeout; nothing here outlives its test.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

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
