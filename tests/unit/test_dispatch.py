"""Delivery: order, retries with backoff, permanent errors, expiry, dry_run, depend."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest

from simplemon.common import AlerterCommon
from simplemon.dispatch import Dispatcher
from simplemon.errors import DeliveryError, StateFileError
from simplemon.model import AlertEvent, EventKind
from simplemon.outbox import Backoff, OutboxItem, superseded_reminders
from simplemon.record import replace
from simplemon.state_store import StateStore
from tests.peers.alert_events import Configured, numbered_event

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class RecordingAlerter:
    """Fails with the scripted errors first, then records what it sends."""

    def __init__(self, errors=(), block: threading.Event | None = None) -> None:
        self.errors = list(errors)
        self.sent: list[AlertEvent] = []
        self.rests: list[frozenset[str]] = []  # ``done`` of each send_rest call
        self.attempts = 0
        self.block = block

    def send(self, event: AlertEvent) -> None:
        self.attempts += 1
        if self.block is not None:
            self.block.wait(10)
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(event)

    def send_rest(self, event: AlertEvent, done: frozenset[str]) -> None:
        self.rests.append(done)
        self.send(event)

    def handles(self, kind: EventKind) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


event = numbered_event


@pytest.fixture
def store(tmp_path):
    s = StateStore(tmp_path / "state.db")
    yield s
    s.close()


def statuses(store):
    return [(r[0], r[3]) for r in store.outbox_status()]


def test_delivers_in_order_and_marks_delivered(store):
    alerter = Configured("mail", RecordingAlerter())
    store.save_round({}, {}, [event(1), event(2)])
    d = Dispatcher(store, [alerter], now=Clock())
    d.deliver_due("mail")
    assert [e.event_id for e in alerter.plugin.sent] == ["e1mail", "e2mail"]
    assert statuses(store) == [("e1mail", "delivered"), ("e2mail", "delivered")]


def test_transient_error_retries_with_backoff_and_keeps_order(store):
    plugin = RecordingAlerter([DeliveryError("refused"), DeliveryError("refused")])
    clock = Clock()
    store.save_round({}, {}, [event(1), event(2)])
    d = Dispatcher(store, [Configured("mail", plugin)], now=clock, backoff=Backoff())
    assert d.deliver_due("mail") == pytest.approx(2.0)
    assert plugin.sent == []  # nothing overtakes the failed head
    assert d.deliver_due("mail") == pytest.approx(2.0)  # not due yet: no attempt
    assert plugin.attempts == 1
    clock.now += timedelta(seconds=2)
    assert d.deliver_due("mail") == pytest.approx(4.0)  # second failure: doubled
    clock.now += timedelta(seconds=4)
    d.deliver_due("mail")
    assert [e.event_id for e in plugin.sent] == ["e1mail", "e2mail"]
    assert plugin.attempts == 4


def test_a_retry_after_a_partial_delivery_goes_only_to_the_rest(tmp_path):
    path = tmp_path / "state.db"
    store = StateStore(path)
    greylisted = DeliveryError("b deferred", done=frozenset({"a"}))
    again = DeliveryError("c deferred", done=frozenset({"b"}))
    plugin = RecordingAlerter([greylisted, again])
    clock = Clock()
    store.save_round({}, {}, [event(1)])
    Dispatcher(store, [Configured("mail", plugin)], now=clock).deliver_due("mail")
    assert plugin.rests == []  # the first attempt is a plain send
    store.close()
    store = StateStore(path)  # what is done survives a restart
    clock.now += timedelta(minutes=10)
    d = Dispatcher(store, [Configured("mail", plugin)], now=clock)
    d.deliver_due("mail")
    clock.now += timedelta(minutes=10)
    d.deliver_due("mail")
    assert plugin.rests == [frozenset({"a"}), frozenset({"a", "b"})]
    assert [e.event_id for e in plugin.sent] == ["e1mail"]
    assert statuses(store) == [("e1mail", "delivered")]
    store.close()


def test_a_reload_that_changes_the_alerter_retries_its_waiting_message_at_once(store):
    plugin = RecordingAlerter([DeliveryError("refused")] * 3)
    clock = Clock()
    store.save_round({}, {}, [event(1)])
    d = Dispatcher(store, [Configured("mail", plugin)], now=clock)
    for _ in range(3):  # backoff now 8 s
        clock.now += timedelta(minutes=5)
        d.deliver_due("mail")
    d.configure([Configured("mail", plugin)])  # the same settings: keeps waiting
    assert d.deliver_due("mail") == pytest.approx(8.0)
    fixed = AlerterCommon(type="x", retry_for=timedelta(days=2))
    d.configure([Configured("mail", plugin, fixed)])
    d.deliver_due("mail")
    assert [e.event_id for e in plugin.sent] == ["e1mail"]
    assert plugin.attempts == 4


def test_backoff_doubles_up_to_maximum():
    b = Backoff(timedelta(seconds=2), timedelta(seconds=30))
    assert [b.delay(n).total_seconds() for n in (1, 2, 3, 4, 5, 99)] == [
        2,
        4,
        8,
        16,
        30,
        30,
    ]


def test_permanent_error_is_not_retried_and_next_event_goes_out(store, caplog):
    plugin = RecordingAlerter([DeliveryError("535 auth refused", permanent=True)])
    store.save_round({}, {}, [event(1), event(2)])
    Dispatcher(store, [Configured("mail", plugin)], now=Clock()).deliver_due("mail")
    assert plugin.attempts == 2
    assert statuses(store) == [("e1mail", "failed"), ("e2mail", "delivered")]
    assert "GAVE UP" in caplog.text
    assert "535 auth refused" in caplog.text


def test_transient_errors_give_up_after_retry_for(store, caplog):
    plugin = RecordingAlerter([DeliveryError("down")] * 10)
    common = AlerterCommon(type="x", retry_for=timedelta(minutes=1))
    clock = Clock()
    store.save_round({}, {}, [event(1)])
    d = Dispatcher(store, [Configured("mail", plugin, common)], now=clock)
    d.deliver_due("mail")
    clock.now += timedelta(minutes=2)
    d.deliver_due("mail")
    assert statuses(store) == [("e1mail", "expired")]
    assert "GAVE UP" in caplog.text


def test_unexpected_exception_is_retried_not_lost(store):
    plugin = RecordingAlerter([RuntimeError("bug")])
    clock = Clock()
    store.save_round({}, {}, [event(1)])
    d = Dispatcher(store, [Configured("mail", plugin)], now=clock)
    d.deliver_due("mail")
    clock.now += timedelta(seconds=5)
    d.deliver_due("mail")
    assert statuses(store) == [("e1mail", "delivered")]


def test_dry_run_sends_nothing_but_logs(store, caplog):
    caplog.set_level(logging.INFO)
    plugin = RecordingAlerter()
    common = AlerterCommon(type="x", dry_run=True)
    store.save_round({}, {}, [event(1)])
    Dispatcher(store, [Configured("mail", plugin, common)], now=Clock()).deliver_due(
        "mail"
    )
    assert plugin.attempts == 0
    assert statuses(store) == [("e1mail", "delivered")]
    assert "dry run" in caplog.text


def test_depend_holds_messages_until_the_monitor_recovers(store, caplog):
    caplog.set_level(logging.INFO)
    plugin = RecordingAlerter()
    common = AlerterCommon(type="x", depend=("uplink",))
    store.save_round({}, {}, [event(1)])
    d = Dispatcher(store, [Configured("mail", plugin, common)], now=Clock())
    d.set_failing({"uplink"})
    d.deliver_due("mail")
    assert plugin.attempts == 0
    assert not d.has_deliverable()  # held messages don't keep --one-shot waiting
    d.deliver_due("mail")
    held = "alerter mail: holding messages while monitor uplink is down"
    assert caplog.text.count(held) == 1  # said once, not every poll
    d.set_failing(set())
    d.deliver_due("mail")
    assert len(plugin.sent) == 1
    assert "alerter mail: dependencies up, sending held messages" in caplog.text


def message(kind: EventKind, monitor: str, n: int) -> AlertEvent:
    return replace(event(n), kind=kind, monitor=monitor, event_id=f"{monitor}-{n}")


def test_held_reminders_are_superseded_by_newer_messages(store, caplog):
    # A mail relay (the alerter's depend) was down for hours: reminders piled up.
    caplog.set_level(logging.INFO)
    plugin = RecordingAlerter()
    common = AlerterCommon(type="x", depend=("relay",))
    queued = [
        message(EventKind.FAILURE, "web", 1),
        message(EventKind.REMINDER, "web", 2),
        message(EventKind.REMINDER, "db", 3),
        message(EventKind.REMINDER, "web", 4),
        message(EventKind.RECOVERY, "web", 5),
        message(EventKind.REMINDER, "db", 6),
    ]
    store.save_round({}, {}, queued)
    d = Dispatcher(store, [Configured("mail", plugin, common)], now=Clock())
    d.set_failing({"relay"})
    d.deliver_due("mail")
    d.set_failing(set())
    d.deliver_due("mail")
    assert [e.event_id for e in plugin.sent] == ["web-1", "web-5", "db-6"]
    assert statuses(store) == [
        ("web-1", "delivered"),
        ("web-2", "superseded"),
        ("db-3", "superseded"),
        ("web-4", "superseded"),
        ("web-5", "delivered"),
        ("db-6", "delivered"),
    ]
    assert "not sending an old reminder for monitor web" in caplog.text


def test_the_newest_reminder_is_still_sent():
    items = [
        OutboxItem(1, message(EventKind.REMINDER, "web", 1), 0, T0),
        OutboxItem(2, message(EventKind.FAILURE, "db", 2), 0, T0),
    ]
    assert superseded_reminders(items) == set()
    items.append(OutboxItem(3, message(EventKind.REMINDER, "web", 3), 0, T0))
    assert superseded_reminders(items) == {1}


def test_hung_alerter_does_not_delay_another(store):
    release = threading.Event()
    hung = Configured("mail", RecordingAlerter(block=release))
    fast = Configured("sms", RecordingAlerter())
    store.save_round({}, {}, [event(1, "mail"), event(1, "sms")])
    d = Dispatcher(store, [hung, fast])
    d.start()
    try:
        d.wake()
        for _ in range(200):
            if fast.plugin.sent:
                break
            threading.Event().wait(0.02)
        assert len(fast.plugin.sent) == 1
        assert hung.plugin.sent == []
    finally:
        release.set()
        d.stop(5)
    assert statuses(store) == [("e1mail", "delivered"), ("e1sms", "delivered")]


def test_drain_waits_for_delivery_then_returns_true(store):
    plugin = RecordingAlerter()
    store.save_round({}, {}, [event(1), event(2)])
    d = Dispatcher(store, [Configured("mail", plugin)])
    d.start()
    try:
        assert d.drain(5)
    finally:
        d.stop(5)
    assert len(plugin.sent) == 2


def test_drain_gives_up_after_timeout(store):
    plugin = RecordingAlerter([DeliveryError("down")] * 5)
    store.save_round({}, {}, [event(1, created=datetime.now(UTC))])
    d = Dispatcher(store, [Configured("mail", plugin)])
    d.start()
    try:
        assert not d.drain(0.3)
    finally:
        d.stop(5)
    assert statuses(store) == [("e1mail", "pending")]


def test_error_lines_name_the_alerter_once(store, caplog):
    error = DeliveryError("alerter mail: SMTP 127.0.0.1:25: 535 no", permanent=True)
    store.save_round({}, {}, [event(1)])
    plugin = RecordingAlerter([error])
    Dispatcher(store, [Configured("mail", plugin)], now=Clock()).deliver_due("mail")
    assert caplog.text.count("alerter mail:") == 1
    assert "SMTP 127.0.0.1:25: 535 no" in caplog.text


class FlakyFinish:
    """The real store, but recording outcomes fails (file locked) ``failures`` times."""

    def __init__(self, store: StateStore, failures: int) -> None:
        self.store = store
        self.failures = failures

    def pending(self, alerter: str, limit: int = 50) -> list[OutboxItem]:
        return self.store.pending(alerter, limit)

    def finish(self, row_id: int, status: str, now: datetime, error: str = "") -> None:
        if self.failures:
            self.failures -= 1
            raise StateFileError("state file s.db: cannot record a delivery: locked")
        self.store.finish(row_id, status, now, error)

    def retry_later(
        self,
        row_id: int,
        when: datetime,
        error: str,
        done: frozenset[str] = frozenset(),
    ) -> None:
        self.store.retry_later(row_id, when, error, done)


def test_a_sent_event_that_cannot_be_marked_delivered_is_not_sent_again(store, caplog):
    alerter = Configured("mail", RecordingAlerter())
    store.save_round({}, {}, [event(1), event(2)])
    d = Dispatcher(FlakyFinish(store, failures=2), [alerter], now=Clock())
    d.deliver_due("mail")  # sent e1; recording it failed: stop there
    d.deliver_due("mail")  # recording e1 fails again: still nothing resent
    assert [e.event_id for e in alerter.plugin.sent] == ["e1mail"]
    d.deliver_due("mail")  # recorded at last; then e2
    assert [e.event_id for e in alerter.plugin.sent] == ["e1mail", "e2mail"]
    assert statuses(store) == [("e1mail", "delivered"), ("e2mail", "delivered")]
    assert "cannot record a delivery" in caplog.text
    assert "Traceback" not in caplog.text


def test_a_retry_is_not_postponed_by_a_wall_clock_stepped_back(store):
    """Retries are stored as wall-clock times. After the clock is set back (a
    machine that booted a year ahead, then NTP), a retry must not wait the year:
    no retry is ever planned further ahead than the backoff's maximum."""
    plugin = RecordingAlerter([DeliveryError("refused")])
    clock = Clock()
    store.save_round({}, {}, [event(1)])
    d = Dispatcher(store, [Configured("mail", plugin)], now=clock, backoff=Backoff())
    d.deliver_due("mail")  # fails; retry planned at T0 + 2 s
    clock.now -= timedelta(days=365)
    assert d.deliver_due("mail") <= Backoff().maximum.total_seconds()
    clock.now += timedelta(seconds=2)
    d.deliver_due("mail")
    assert [e.event_id for e in plugin.sent] == ["e1mail"]


def test_stopping_while_an_alerter_hangs_says_its_message_stays_queued(store, caplog):
    block = threading.Event()
    alerter = Configured("mail", RecordingAlerter(block=block))
    store.save_round({}, {}, [event(1)])
    d = Dispatcher(store, [alerter], now=Clock())
    d.start()
    try:
        for _ in range(200):  # bounded: until the worker is inside send()
            if alerter.plugin.attempts:
                break
            threading.Event().wait(0.01)
        with caplog.at_level(logging.WARNING):
            d.stop(0.1)
        assert statuses(store) == [("e1mail", "pending")]
    finally:
        block.set()
        d.stop(5)  # the worker ends before the store closes
    assert "alerter mail: still sending when stopping" in caplog.text


def alerter_threads() -> set[str]:
    return {
        t.name for t in threading.enumerate() if t.name.startswith("alerter-renamed")
    }


def test_reloads_that_rename_an_alerter_leave_one_worker_thread(store):
    # A daemon reloaded for months must not keep a thread for every name ever used.
    d = Dispatcher(store, [Configured("renamed0", RecordingAlerter())])
    d.start()
    try:
        for n in range(1, 6):
            d.configure([Configured(f"renamed{n}", RecordingAlerter())])
        for _ in range(300):  # a worker notices within POLL_SECONDS
            if alerter_threads() == {"alerter-renamed5"}:
                break
            threading.Event().wait(0.02)
        assert alerter_threads() == {"alerter-renamed5"}
        # Configured again later, an alerter gets a worker again and its messages.
        again = Configured("renamed2", RecordingAlerter())
        store.save_round({}, {}, [event(1, "renamed2")])
        d.configure([again])
        assert d.drain(5)
        assert len(again.plugin.sent) == 1
    finally:
        d.stop(5)


def test_an_alerter_whose_thread_cannot_start_is_started_at_a_later_wake(
    store, monkeypatch, caplog
):
    """A pids limit at start must not crash the daemon nor leave the alerter
    without a worker for good: its events wait and go once a thread starts."""
    caplog.set_level(logging.INFO, logger="simplemon.dispatch")
    full = True
    real = threading.Thread.start

    def start(thread: threading.Thread) -> None:
        if full:
            raise RuntimeError("can't start new thread")
        real(thread)

    monkeypatch.setattr(threading.Thread, "start", start)
    plugin = RecordingAlerter()
    store.save_round({}, {}, [event(1)])
    d = Dispatcher(store, [Configured("mail", plugin)])
    d.start()  # no exception
    try:
        d.wake()
        assert plugin.sent == []
        full = False
        d.wake()
        assert d.drain(5)
    finally:
        d.stop(5)
    assert [e.event_id for e in plugin.sent] == ["e1mail"]
    errors = [r.message for r in caplog.records if "delivery thread" in r.message]
    assert errors == [
        "alerter mail: cannot start its delivery thread (can't start new thread); "
        "its alerts stay queued, tried again after each round",
        "alerter mail: delivery thread started",
    ]


def test_retries_come_2_4_8_seconds_apart_and_at_most_5_minutes_apart():
    delays = [Backoff().delay(n).total_seconds() for n in range(1, 12)]
    assert delays == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    assert Backoff().delay(10_000) == timedelta(minutes=5)
