"""The wall clock set back or forward while the daemon runs (fake clocks)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from simplemon.common import AlerterCommon
from simplemon.sections import PluginConfig
from simplemon.state_store import StateStore
from tests.unit.test_notifier import Handles, build, config, monitor, queued


def reminding(tmp_path: Path, clock):
    alerter = PluginConfig(
        "mail",
        "email",
        AlerterCommon(type="email", allow_reminders=True),
        Handles(),
        "monitor.ini",
    )
    store = StateStore(tmp_path / "s.db")
    cfg = config(monitor("web", True, remind=timedelta(minutes=10)), alerter=alerter)
    scheduler, _ = build(store, cfg, clock)
    return store, scheduler


def run_minutes(scheduler, clock, minutes: int) -> None:
    for _ in range(minutes):
        clock.advance(60)
        scheduler.run_once()


def test_reminders_go_on_after_the_wall_clock_is_set_back_a_day(tmp_path, clock):
    store, scheduler = reminding(tmp_path, clock)
    scheduler.run_once()
    run_minutes(scheduler, clock, 10)
    assert [kind for kind, _ in queued(store)] == ["failure", "reminder"]
    clock.wall -= timedelta(days=1)  # an admin fixes a wrong date
    run_minutes(scheduler, clock, 25)
    # Counted again from the step: one interval after it and every interval on
    # (minutes 11 and 21 after the step), not a day later, and not at once.
    created = [i.event.created_at for i in store.pending("mail")]
    kinds = [kind for kind, _ in queued(store)]
    assert kinds == ["failure", "reminder", "reminder", "reminder"]
    assert created[2] - created[1] == timedelta(days=-1, minutes=11)
    assert created[3] - created[2] == timedelta(minutes=10)
    store.close()
