"""Dependencies in a real daemon: skips, the round summary, reloads, a refused cycle."""

from __future__ import annotations

import signal
import textwrap
from pathlib import Path

import pytest

from tests.integration.conftest import run_monitor, wait_for

pytestmark = pytest.mark.integration

MAIN = """
[monitor]
interval = 1
state_file = state.db
[reporting]
alerters = run
loggers = log
[run]
type = execute
fail_command = /usr/bin/touch failed-{name}
success_command = /usr/bin/touch recovered-{name}
[log]
type = logfile
filename = results.log
groups = _all
buffered = no
"""
PARENT_DOWN = """
[parent]
type = fail
interval = 1000
[child]
type = null
depend = parent
"""


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def lines(tmp_path: Path, name: str = "results.log") -> list[str]:
    path = tmp_path / name
    return path.read_text().splitlines() if path.exists() else []


def test_a_skipped_monitor_is_not_counted_as_checked(tmp_path):
    write(tmp_path / "monitors.ini", PARENT_DOWN)
    main = write(tmp_path / "monitor.ini", MAIN)
    result = run_monitor("-f", str(main), "--loops", "1", cwd=tmp_path)
    assert "child: skipped (depends on parent, which is failed)" in "\n".join(
        lines(tmp_path)
    )
    # One check ran (parent); child was skipped, not checked.
    assert "round 1: 1 checked, 1 failing, 1 skipped" in result.stderr
    assert (tmp_path / "failed-parent").exists()
    assert not (tmp_path / "failed-child").exists()


def test_reloads_refuse_a_cycle_then_drop_the_parent(tmp_path, daemon):
    write(tmp_path / "monitors.ini", PARENT_DOWN)
    main = write(tmp_path / "monitor.ini", MAIN)
    proc = daemon("-f", str(main))
    assert wait_for((tmp_path / "failed-parent").exists)
    assert wait_for(lambda: any(" child: skipped" in x for x in lines(tmp_path)))

    # A cycle is refused; the old configuration keeps running (child still skipped).
    write(
        tmp_path / "monitors.ini",
        PARENT_DOWN.replace("interval = 1000", "interval = 1000\ndepend = child"),
    )
    proc.send_signal(signal.SIGHUP)
    stderr = tmp_path / "stderr-0.txt"
    assert wait_for(lambda: "still running the previous one" in stderr.read_text())
    assert "dependency cycle: parent -> child -> parent" in stderr.read_text()
    count = len(lines(tmp_path))
    assert wait_for(lambda: len(lines(tmp_path)) > count + 2)
    assert " child: skipped" in lines(tmp_path)[-1] + lines(tmp_path)[-2]

    # The parent is removed: its failure gets a final notice, the child now runs.
    write(tmp_path / "monitors.ini", "[child]\ntype = null\n")
    proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: any(" child: ok" in x for x in lines(tmp_path)))
    assert wait_for((tmp_path / "recovered-parent").exists)
    assert not (tmp_path / "failed-child").exists()
    assert not (tmp_path / "recovered-child").exists()
    assert proc.poll() is None
