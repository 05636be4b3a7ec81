"""The round observer with a real Scheduler and a real state file (no delivery)."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from simplemon.alerting import REMOVED_INFO
from simplemon.common import AlerterCommon, MainOptions, MonitorCommon
from simplemon.config import Config
from simplemon.dispatch import Dispatcher
from simplemon.errors import StateFileError
from simplemon.model import AlertEvent, EventKind
from simplemon.monitors.fail import FailMonitor, FailOptions
from simplemon.monitors.null import NullMonitor, NullOptions
from simplemon.notifier import Notifier
from simplemon.scheduler import Scheduler
from simplemon.sections import PluginConfig
from simplemon.state_store import StateStore


class Handles:
    def __init__(self, kinds=tuple(EventKind)) -> None:
        self.kinds = kinds

    def handles(self, kind: EventKind) -> bool:
        return kind in self.kinds

    def send(self, event: AlertEvent) -> None:
        raise AssertionError("not started: nothing is delivered in these tests")


def monitor(name: str, failing: bool, **common) -> PluginConfig:
    plugin = (
        FailMonitor(name, FailOptions(interval=1000))
        if failing
        else NullMonitor(name, NullOptions())
    )
    kind = "fail" if failing else "null"
    return PluginConfig(name, kind, MonitorCommon(type=kind, **common), plugin, "m.ini")


def config(*monitors: PluginConfig, alerter=None) -> Config:
    alerter = alerter or PluginConfig(
        "mail", "email", AlerterCommon(type="email"), Handles(), "monitor.ini"
    )
    return Config(
        Path("monitor.ini"),
        MainOptions(interval=timedelta(seconds=1)),
        monitors,
        (alerter,),
        (),
    )


def build(store: StateStore, cfg: Config, clock) -> tuple[Scheduler, Notifier]:
    notifier = Notifier(
        store,
        Dispatcher(store, cfg.alerters),
        cfg,
        states=store.load_states(),
        records=store.load_records(),
    )
    scheduler = Scheduler(
        cfg,
        hostname="h",
        now=clock.now,
        clock=clock.monotonic,
        observers=[notifier],
        states=notifier.states,
    )
    return scheduler, notifier


def queued(store: StateStore, monitor: str = "web") -> list[tuple[str, str]]:
    return [
        (item.event.kind.value, item.event.info)
        for item in store.pending("mail")
        if item.event.monitor == monitor
    ]


def test_failure_is_queued_once_across_a_restart(tmp_path, clock):
    store = StateStore(tmp_path / "s.db")
    cfg = config(monitor("web", failing=True))
    scheduler, _ = build(store, cfg, clock)
    scheduler.run_once()
    clock.advance(1)
    scheduler.run_once()
    assert queued(store) == [("failure", "This monitor always fails.")]
    # a new process on the same file
    scheduler, _ = build(store, cfg, clock)
    assert scheduler.states["web"].virtual_fail_count == 2
    clock.advance(1)
    scheduler.run_once()
    assert scheduler.states["web"].virtual_fail_count == 3
    assert len(queued(store)) == 1
    store.close()


def test_reload_removing_an_alerted_monitor_sends_a_final_notice(tmp_path, clock):
    store = StateStore(tmp_path / "s.db")
    scheduler, notifier = build(
        store, config(monitor("web", True), monitor("db", False)), clock
    )
    scheduler.run_once()
    new = config(monitor("db", False))
    scheduler.reload(new)
    notifier.reload(new)
    clock.advance(1)
    scheduler.run_once()
    assert queued(store) == [
        ("failure", "This monitor always fails."),
        ("recovery", REMOVED_INFO),
    ]
    assert set(store.load_states()) == {"db"}
    assert store.load_records() == {}
    clock.advance(1)
    scheduler.run_once()
    assert len(queued(store)) == 2
    store.close()


def test_monitor_removed_while_process_was_stopped_gets_final_notice(tmp_path, clock):
    store = StateStore(tmp_path / "s.db")
    scheduler, _ = build(store, config(monitor("web", True)), clock)
    scheduler.run_once()
    scheduler, _ = build(store, config(monitor("db", False)), clock)
    scheduler.run_once()
    assert [k for k, _ in queued(store)] == ["failure", "recovery"]
    store.close()


def test_notify_off_and_unhandled_kinds_queue_nothing(tmp_path, clock):
    store = StateStore(tmp_path / "s.db")
    quiet = monitor("web", True, notify=False)
    only_failures_plugin = PluginConfig(
        "mail",
        "execute",
        AlerterCommon(type="execute"),
        Handles((EventKind.RECOVERY,)),
        "monitor.ini",
    )
    scheduler, _ = build(
        store, config(quiet, monitor("api", True), alerter=only_failures_plugin), clock
    )
    scheduler.run_once()
    assert store.pending("mail") == []
    # the record still says the failure was handled, so the recovery is owed
    assert ("api", "mail") in store.load_records()
    assert ("web", "mail") not in store.load_records()
    store.close()


def test_alerter_depend_sees_the_states_from_before_a_restart(tmp_path, clock):
    store = StateStore(tmp_path / "s.db")
    scheduler, _ = build(store, config(monitor("uplink", True)), clock)
    scheduler.run_once()
    held = PluginConfig(
        "mail",
        "email",
        AlerterCommon(type="email", depend=("uplink",)),
        Handles(),
        "monitor.ini",
    )
    cfg = config(monitor("uplink", True), alerter=held)
    _, notifier = build(store, cfg, clock)
    assert notifier.dispatcher.is_blocked("mail") == "uplink"
    store.close()


def test_a_long_run_prunes_finished_outbox_rows(tmp_path, clock):
    store = StateStore(tmp_path / "s.db")
    scheduler, _ = build(store, config(monitor("web", failing=True)), clock)
    scheduler.run_once()
    (item,) = store.pending("mail")
    store.finish(item.row_id, "delivered", clock.now())
    for _ in range(8):
        clock.advance(86400)
        scheduler.run_once()
    assert store.outbox_status() == []
    store.close()


def test_final_notice_of_a_removed_monitor_carries_the_fail_count_reached(
    tmp_path, clock
):
    store = StateStore(tmp_path / "s.db")
    scheduler, notifier = build(store, config(monitor("web", True)), clock)
    for _ in range(3):
        scheduler.run_once()
        clock.advance(1)
    new = config(monitor("db", False))
    scheduler.reload(new)
    notifier.reload(new)
    scheduler.run_once()
    counts = [
        (i.event.kind.value, i.event.last_virtual_fail_count)
        for i in store.pending("mail")
    ]
    assert counts == [("failure", 0), ("recovery", 3)]
    store.close()


class CountingStore(StateStore):
    prunes = 0

    def prune(self, before):
        self.prunes += 1
        return super().prune(before)


def pruned_at_start(tmp_path, clock) -> tuple[CountingStore, Scheduler]:
    """A failing monitor's scheduler and notifier, the outbox pruned just now."""
    store = CountingStore(tmp_path / "s.db")
    cfg = config(monitor("web", failing=True))
    notifier = Notifier(
        store,
        Dispatcher(store, cfg.alerters),
        cfg,
        states={},
        records={},
        pruned_at=clock.now(),
    )
    scheduler = Scheduler(cfg, hostname="h", now=clock.now, clock=clock.monotonic)
    scheduler.observers.append(notifier)
    return store, scheduler


def test_outbox_pruned_at_start_is_pruned_again_only_an_hour_later(tmp_path, clock):
    store, scheduler = pruned_at_start(tmp_path, clock)
    scheduler.run_once()
    clock.advance(3599)
    scheduler.run_once()
    assert store.prunes == 0
    clock.advance(1)
    scheduler.run_once()
    assert store.prunes == 1
    store.close()


def test_outbox_pruning_goes_on_after_the_wall_clock_is_set_back(tmp_path, clock):
    store, scheduler = pruned_at_start(tmp_path, clock)
    clock.wall -= timedelta(days=30)
    for _ in range(3):
        clock.advance(3600)
        scheduler.run_once()
    # Hourly by the new clock, not only once it is 30 days later again.
    assert store.prunes == 3
    store.close()


class LockedForPruning(StateStore):
    def prune(self, before):
        raise StateFileError(f"state file {self.path}: database is locked")


def test_an_outbox_that_cannot_be_pruned_is_one_warning_not_a_traceback(
    tmp_path, clock, caplog
):
    # Another program holding the state file locked made "round observer failed"
    # with a traceback; the round's alerts were already queued, pruning can wait.
    store = LockedForPruning(tmp_path / "s.db")
    cfg = config(monitor("web", failing=True))
    scheduler, _ = build(store, cfg, clock)
    with caplog.at_level(logging.INFO):
        scheduler.run_once()
    assert "round observer" not in caplog.text
    assert "queued failure for monitor web" in caplog.text  # before the prune
    assert "cannot prune the outbox" in caplog.text
    assert "database is locked" in caplog.text
    store.close()


def test_a_reload_that_drops_an_alerter_with_waiting_messages_says_so(
    tmp_path, clock, caplog
):
    store = StateStore(tmp_path / "s.db")
    cfg = config(monitor("web", failing=True))
    scheduler, notifier = build(store, cfg, clock)
    scheduler.run_once()
    clock.advance(1)
    scheduler.run_once()
    assert queued(store)  # a failure waits for "mail" (delivery is not started)
    assert "messages are waiting" not in caplog.text
    other = PluginConfig(
        "pager", "email", AlerterCommon(type="email"), Handles(), "monitor.ini"
    )
    notifier.reload(config(monitor("web", failing=True), alerter=other))
    assert (
        "alerter mail: messages are waiting in the state file, but no such alerter "
        "is configured; they are sent if it is configured again" in caplog.text
    )
    assert queued(store)  # kept for when it comes back
    store.close()


def test_an_alerter_with_waiting_messages_is_owed_what_follows_when_back(
    tmp_path, clock
):
    """Out of the configuration while its failure waits, then back: the failure
    goes out, so the recovery (or the final notice) must follow it."""
    store = StateStore(tmp_path / "s.db")
    other = PluginConfig(
        "pager", "email", AlerterCommon(type="email"), Handles(), "monitor.ini"
    )
    scheduler, _ = build(
        store, config(monitor("web", True), monitor("db", True)), clock
    )
    scheduler.run_once()
    # restarted without "mail"; web recovers and db is removed meanwhile
    scheduler, _ = build(store, config(monitor("web", False), alerter=other), clock)
    clock.advance(1)
    scheduler.run_once()
    clock.advance(1)
    scheduler.run_once()
    # "mail" is back
    scheduler, _ = build(store, config(monitor("web", False)), clock)
    clock.advance(1)
    scheduler.run_once()
    assert [k for k, _ in queued(store, "web")] == ["failure", "recovery"]
    assert [k for k, _ in queued(store, "db")] == ["failure", "recovery"]
    assert queued(store, "db")[1][1] == REMOVED_INFO
    assert store.load_records() == {}
    store.close()


def test_a_delivered_alert_stays_in_the_outbox_for_a_week_for_inspection(
    tmp_path, clock
):
    store = StateStore(tmp_path / "s.db")
    scheduler, _ = build(store, config(monitor("web", failing=True)), clock)
    scheduler.run_once()
    (item,) = store.pending("mail")
    store.finish(item.row_id, "delivered", clock.now())
    clock.advance(6.5 * 86400)
    scheduler.run_once()
    assert len(store.outbox_status()) == 1  # 6.5 days after: still there
    clock.advance(0.5 * 86400 + 3600)
    scheduler.run_once()
    assert store.outbox_status() == []  # a week and an hour after: pruned
    store.close()


def test_outbox_pruning_goes_on_after_the_wall_clock_is_set_back_two_hours(
    tmp_path, clock
):
    store, scheduler = pruned_at_start(tmp_path, clock)
    clock.wall -= timedelta(hours=2)
    clock.advance(1)
    scheduler.run_once()
    assert store.prunes == 1  # at once, and hourly from there
    store.close()


def test_an_alerter_removed_while_a_failure_it_announced_goes_on_is_forgotten(
    tmp_path, clock, caplog
):
    store = StateStore(tmp_path / "s.db")
    scheduler, notifier = build(store, config(monitor("web", True)), clock)
    scheduler.run_once()
    (item,) = store.pending("mail")
    store.finish(item.row_id, "delivered", clock.now())
    assert ("web", "mail") in store.load_records()
    pager = PluginConfig(
        "pager", "email", AlerterCommon(type="email"), Handles(), "monitor.ini"
    )
    new = config(monitor("web", True), alerter=pager)
    scheduler.reload(new)
    notifier.reload(new)
    clock.advance(1)
    with caplog.at_level(logging.INFO):
        scheduler.run_once()
    assert "round observer" not in caplog.text
    assert "removed from the configuration" not in caplog.text  # web is not
    assert store.load_records() == {}
    assert store.pending("pager") == []
    store.close()


class WakeCounter(Dispatcher):
    wakes = 0

    def wake(self) -> None:
        self.wakes += 1
        super().wake()


def test_delivery_is_woken_after_every_round_not_left_to_its_poll(tmp_path, clock):
    store = StateStore(tmp_path / "s.db")
    cfg = config(monitor("web", failing=True))
    dispatcher = WakeCounter(store, cfg.alerters)
    notifier = Notifier(store, dispatcher, cfg, states={}, records={})
    scheduler = Scheduler(
        cfg, hostname="h", now=clock.now, clock=clock.monotonic, observers=[notifier]
    )
    scheduler.run_once()
    assert store.pending("mail")
    assert dispatcher.wakes == 1
    store.close()


def test_outbox_is_pruned_hourly_after_each_prune_not_every_round(tmp_path, clock):
    store, scheduler = pruned_at_start(tmp_path, clock)
    clock.advance(3600)
    scheduler.run_once()
    assert store.prunes == 1
    clock.advance(1800)
    scheduler.run_once()
    assert store.prunes == 1
    clock.advance(1800)
    scheduler.run_once()
    assert store.prunes == 2
    store.close()


class LockedOnce(StateStore):
    refused = 0

    def save_round(self, *args, **kwargs):
        if not self.refused:
            self.refused += 1
            raise StateFileError(f"state file {self.path}: database is locked")
        return super().save_round(*args, **kwargs)


def test_a_failure_first_seen_in_a_round_that_could_not_be_saved_is_queued_once(
    tmp_path, clock
):
    store = LockedOnce(tmp_path / "s.db")
    scheduler, _ = build(store, config(monitor("web", failing=True)), clock)
    for _ in range(4):
        scheduler.run_once()
        clock.advance(1)
    assert store.refused == 1
    assert queued(store) == [("failure", "This monitor always fails.")]
    store.close()
