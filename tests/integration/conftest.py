"""Helpers for tests that run ``monitor.py`` as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def monitor_cmd(*args: str) -> list[str]:
    """Return the argv that runs this checkout's monitor.py."""
    return [sys.executable, str(REPO / "monitor.py"), *args]


def run_monitor(
    *args: str,
    timeout: float = 60,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run monitor.py to completion and capture its output."""
    return subprocess.run(
        monitor_cmd(*args),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
        check=False,
    )


def wait_for(
    predicate: Callable[[], bool], timeout: float = 20.0, step: float = 0.05
) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@pytest.fixture
def daemon(tmp_path: Path):
    """Start monitor.py in the background; always killed at teardown."""
    procs: list[subprocess.Popen[str]] = []
    files = []

    def start(*args: str) -> subprocess.Popen[str]:
        err = (tmp_path / f"stderr-{len(procs)}.txt").open("w")
        files.append(err)
        proc = subprocess.Popen(
            monitor_cmd(*args),
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    for f in files:
        f.close()
