"""Run ``monitor.py`` as a subprocess in end-to-end alerting tests, and read back
what it did: the outbox of its state file, the alerts an execute alerter recorded,
its log. Every wait is bounded.

Usage::

    from tests.peers.monitor_process import MonitorProcess, recorder_command

    cmd = recorder_command(tmp_path / "pager.jsonl")  # an execute fail_command
    with MonitorProcess(tmp_path / "monitor.ini") as proc:
        proc.wait_for(lambda: recorded(tmp_path / "pager.jsonl"))
        proc.wait_rounds(2)                          # two more rounds went by
    # on exit: SIGTERM, then SIGKILL if it does not stop
"""

from __future__ import annotations

import json
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

REPO = Path(__file__).resolve().parents[2]

#: An execute alerter's command: appends one JSON line per event to argv[1].
_RECORDER = """\
import json, os, sys
entry = {
    "kind": os.environ["SIMPLEMON_EVENT"],
    "name": os.environ["SIMPLEMON_NAME"],
    "vfc": int(os.environ["SIMPLEMON_VIRTUAL_FAIL_COUNT"]),
    "info": os.environ["SIMPLEMON_INFO"],
    "argv": sys.argv[2:],
}
with open(sys.argv[1], "a", encoding="utf-8") as out:
    out.write(json.dumps(entry) + "\\n")
"""


def recorder_command(out: Path, *extra: str) -> str:
    """Return a command line that records each event it is run for into ``out``."""
    script = out.parent / "record_alert.py"
    if not script.exists():
        script.write_text(_RECORDER, encoding="utf-8")
    words = [sys.executable, str(script), str(out), *extra]
    return " ".join(shlex.quote(w) for w in words)


def recorded(path: Path) -> list[dict[str, Any]]:
    """Return the events recorded into ``path`` so far (none if it does not exist)."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.endswith("}")]


def kinds(path: Path) -> list[tuple[str, str, int]]:
    """Return (event kind, monitor, virtual fail count) of each recorded event."""
    return [(e["kind"], e["name"], e["vfc"]) for e in recorded(path)]


def outbox(state_file: Path) -> list[dict[str, Any]]:
    """Return the outbox rows of a state file, oldest first (none if unreadable)."""
    if not state_file.exists():
        return []
    db = sqlite3.connect(str(state_file), timeout=5)
    db.row_factory = sqlite3.Row
    try:
        rows = db.execute(
            "SELECT event_id, alerter, monitor, status, attempts, last_error, data"
            " FROM outbox ORDER BY id"
        ).fetchall()
    except sqlite3.OperationalError:  # the schema is being created right now
        return []
    finally:
        db.close()
    result = []
    for row in rows:
        item = dict(row)
        item["kind"] = json.loads(item.pop("data"))["kind"]
        result.append(item)
    return result


def write_null_config(folder: Path, main: str) -> Path:
    """Write ``main`` as monitor.ini beside a monitors.ini of one null monitor."""
    (folder / "monitors.ini").write_text("[a]\ntype = null\n", encoding="utf-8")
    ini = folder / "monitor.ini"
    ini.write_text(main, encoding="utf-8")
    return ini


def run_monitor_once(ini: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``monitor.py -f INI ARGS`` (``-t``, ``-1``…) to its end, from the INI's
    folder, with a timeout; the output is text."""
    return subprocess.run(
        [sys.executable, str(REPO / "monitor.py"), "-f", str(ini), *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ini.parent,
        check=False,
    )


def wait_for(predicate: Callable[[], object], timeout: float = 20.0) -> None:
    """Poll ``predicate`` until it is true; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")


class MonitorProcess:
    """``python monitor.py -f INI`` in the INI's folder, stderr kept in stderr.log."""

    def __init__(self, ini: Path, *args: str, env: dict[str, str] | None = None):
        self.ini = ini
        self.folder = ini.parent
        self.stderr_path = self.folder / "stderr.log"
        # stderr.log is shared by successive processes: this one's part starts here
        self.log_start = (
            self.stderr_path.stat().st_size if self.stderr_path.exists() else 0
        )
        with open(self.stderr_path, "a", encoding="utf-8") as err:
            self.proc = subprocess.Popen(
                [sys.executable, str(REPO / "monitor.py"), "-f", str(ini), *args],
                cwd=self.folder,
                stdout=subprocess.DEVNULL,
                stderr=err,
                text=True,
                env=env,
            )

    def __enter__(self) -> MonitorProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            assert self.stop() == 0, self.log()
        else:
            self.kill()

    @property
    def state_file(self) -> Path:
        """Return the default state file next to monitor.ini."""
        return self.folder / "simplemon-state.db"

    def log(self) -> str:
        """Return what this process logged so far."""
        with open(self.stderr_path, "rb") as err:
            err.seek(self.log_start)
            return err.read().decode("utf-8", errors="replace")

    def rounds(self) -> int:
        """Return the number of the last round the heartbeat logged (0 if none)."""
        numbers = re.findall(r" round (\d+): ", self.log())
        return int(numbers[-1]) if numbers else 0

    def wait_for(self, predicate: Callable[[], object], timeout: float = 20.0) -> None:
        """Like :func:`wait_for`, but fail at once if the process died."""

        def alive_and_true() -> object:
            if self.proc.poll() is not None:
                raise AssertionError(f"monitor.py exited early:\n{self.log()}")
            return predicate()

        wait_for(alive_and_true, timeout)

    def wait_rounds(self, count: int, timeout: float = 20.0) -> None:
        """Wait until ``count`` more rounds have completed."""
        target = self.rounds() + count
        self.wait_for(lambda: self.rounds() >= target, timeout)

    def signal(self, signum: signal.Signals) -> None:
        """Send ``signum`` to the process."""
        self.proc.send_signal(signum)

    def stop(self) -> int:
        """SIGTERM, wait (bounded), return the exit code; SIGKILL as a last resort."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL the process (no cleanup at all) and reap it."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
