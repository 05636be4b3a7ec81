"""Alert decisions against SimpleMonitor 1.15 itself, on seeded random histories.

Each case is a monitors.ini / monitor.ini (tolerance, depend, remind, urgent, group,
gap, notify; limit, repeat, delay, only_failures, ooh_recovery, allow_reminders,
times_type / time_lower / time_upper / times_tz / days, groups, urgent, dry_run,
depend) and an outcome per monitor per round. SimpleMonitor runs it with its own
classes and its own round in a subprocess of /opt/smvenv (tests/peers/sm_driver.py,
its clock moved by the driver); simplemon runs it through the Scheduler and Notifier
on a fake clock. Both must decide the same alerts in the same rounds, except where
the docs say we differ on purpose (tests/peers/sm_diff.py: DOCUMENTED).

CI has no /opt/smvenv: this test is skipped there; the cases it found are plain unit
tests (test_alerting.py: test_window_opening_on_a_repeat_multiple_sends_the_catchup).
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from typing import Any

import pytest

from tests.peers.sm_diff import (
    DOCUMENTED,
    compare,
    have_simplemonitor,
    random_case,
    run_ours,
    run_simplemonitor,
)

CASES = 100

pytestmark = pytest.mark.skipif(
    not have_simplemonitor(), reason="SimpleMonitor 1.15 is not in /opt/smvenv"
)


def test_random_histories_alert_in_the_same_rounds_as_simplemonitor(tmp_path, caplog):
    caplog.set_level(logging.CRITICAL)
    rng = random.Random(20260105)
    cases = [random_case(rng, depend=i % 3 == 0) for i in range(CASES)]
    theirs = run_simplemonitor(cases, timeout=120)
    unexplained: list[Any] = []
    reasons: Counter[str] = Counter()
    alerts = 0
    for i, (case, sm) in enumerate(zip(cases, theirs, strict=True)):
        ours = run_ours(case, tmp_path / f"state-{i}.db")
        alerts += len(sm["alerts"])
        bad, explained = compare(case, sm, ours)
        reasons.update(reason for reason, *_ in explained)
        unexplained.extend((i, item) for item in bad)
    assert not unexplained, (
        f"{len(unexplained)} undocumented differences; first: "
        f"{unexplained[0]}\ncase: {cases[unexplained[0][0]]}"
    )
    # The comparison means something: many alerts, and few of them set aside.
    assert alerts > 8 * CASES
    assert set(reasons) <= set(DOCUMENTED)
    assert sum(reasons.values()) < alerts / 10
