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
