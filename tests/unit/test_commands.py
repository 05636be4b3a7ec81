import sys
from datetime import UTC, datetime
from typing import Any

from simplemon.commands import CommandRunner, run_command
from simplemon.common import MonitorCommon
from simplemon.model import MonitorSnapshot, MonitorState, Snapshot, Status

T = datetime(2026, 1, 1, tzinfo=UTC)


class FakeConfig:
    def __init__(self, common):
        self.common = common

    def monitor(self, name):
        return self


def snap(state, ran=True):
    return Snapshot(T, 1, "h", 30.0, (MonitorSnapshot("m", "fake", "", state, ran),))


def runner(common):
    started: list[object] = []
    fake: Any = FakeConfig(common)
    r = CommandRunner(lambda: fake, spawn=started.append)
    return r, started


COMMON = MonitorCommon(type="fake", recover_command="fix it", recovered_command="ok")
OK = MonitorState(status=Status.OK)
FAILING = MonitorState(status=Status.FAILING, failures=1, first_failure_at=T)
FAILED = MonitorState(status=Status.FAILED, failures=2, failed_at=T)
SKIPPED_AFTER_FAIL = MonitorState(status=Status.SKIPPED, failures=2, failed_at=T)


def test_recover_command_runs_once_when_monitor_becomes_failed():
    r, started = runner(COMMON)
    r.after_round(snap(FAILING), {"m": OK})
    assert started == []
    r.after_round(snap(FAILED), {"m": FAILING})
    assert len(started) == 1
    r.after_round(snap(FAILED), {"m": FAILED})
    assert len(started) == 1


def test_recovered_command_runs_after_failed_even_through_a_skip():
    r, started = runner(COMMON)
    r.after_round(snap(OK), {"m": SKIPPED_AFTER_FAIL})
    assert len(started) == 1
    r.after_round(snap(OK), {"m": FAILING})  # never reached FAILED: nothing to do
    assert len(started) == 1


def test_nothing_runs_for_monitors_not_checked_or_without_commands():
    r, started = runner(COMMON)
    r.after_round(snap(FAILED, ran=False), {"m": OK})
    r2, started2 = runner(MonitorCommon(type="fake"))
    r2.after_round(snap(FAILED), {"m": OK})
    assert started == started2 == []


def test_run_command_reports_exit_codes_and_missing_programs(tmp_path):
    assert run_command("m", "x", f"{sys.executable} -c 'raise SystemExit(3)'", 10) == 3
    assert run_command("m", "x", str(tmp_path / "absent"), 10) is None
    assert (
        run_command("m", "x", f"{sys.executable} -c 'import time; time.sleep(5)'", 0.2)
        is None
    )


def test_exit_text_names_the_signal_of_a_killed_command():
    from simplemon.processes import exit_text

    assert exit_text(0) == "exited with 0"
    assert exit_text(3) == "exited with 3"
    assert exit_text(-9) == "was killed by signal 9 (SIGKILL)"
    assert exit_text(-200) == "was killed by signal 200"
