"""The SQLite state file, on real files in tmp_path."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from simplemon.alerting import NotificationRecord
from simplemon.model import AlertEvent, EventKind, MonitorState, Status
from simplemon.state_store import DELIVERED, EXPIRED, StateStore

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def event(n: int = 1, alerter: str = "mail", kind=EventKind.FAILURE) -> AlertEvent:
    return AlertEvent(
        kind=kind,
        monitor="web",
        alerter=alerter,
        created_at=T0 + timedelta(seconds=n),
        hostname="h",
        failed_at=T0,
        virtual_fail_count=n,
        last_virtual_fail_count=n - 1,
        info="refused",
        description="d",
        failure_doc=None,
        downtime_seconds=1.5,
        event_id=f"id{n}{alerter}",
    )


def test_states_records_and_events_survive_reopening(tmp_path):
    path = tmp_path / "sub" / "state.db"
    store = StateStore(path)
    state = MonitorState(
        status=Status.FAILED,
        failures=3,
        virtual_fail_count=3,
        first_failure_at=T0,
        failed_at=T0,
        last_message="x",
        last_duration=0.25,
    )
    record = NotificationRecord(
        announced_at=T0, failed_at=T0, last_virtual_fail_count=3
    )
    store.save_round({"web": state}, {("web", "mail"): record}, [event()])
    store.close()

    again = StateStore(path)
    assert again.load_states() == {"web": state}
    assert again.load_records() == {("web", "mail"): record}
    (item,) = again.pending("mail")
    assert item.event == event()
    assert item.attempts == 0


def test_empty_record_is_deleted_and_removed_monitor_forgotten(tmp_path):
    store = StateStore(tmp_path / "s.db")
    record = NotificationRecord(announced_at=T0)
    store.save_round(
        {"web": MonitorState(), "db": MonitorState()}, {("web", "m"): record}, []
    )
    store.save_round({}, {("web", "m"): NotificationRecord()}, [], removed=["db"])
    assert store.load_records() == {}
    assert set(store.load_states()) == {"web"}


def test_same_event_id_is_queued_once(tmp_path):
    store = StateStore(tmp_path / "s.db")
    store.save_round({}, {}, [event(1)])
    store.save_round({}, {}, [event(1)])
    assert len(store.pending("mail")) == 1


def test_outbox_order_retry_and_finish(tmp_path):
    store = StateStore(tmp_path / "s.db")
    store.save_round({}, {}, [event(1), event(2), event(3, alerter="sms")])
    first, second = store.pending("mail")
    assert (first.event.event_id, second.event.event_id) == ("id1mail", "id2mail")
    store.retry_later(first.row_id, T0 + timedelta(minutes=1), "timeout")
    head = store.pending("mail")[0]
    assert head.attempts == 1
    assert head.next_attempt_at == T0 + timedelta(minutes=1)
    store.finish(first.row_id, DELIVERED, T0)
    store.finish(second.row_id, EXPIRED, T0, "gave up")
    assert store.pending("mail") == []
    assert store.pending_alerters() == {"sms"}
    statuses = [(r[0], r[3], r[4]) for r in store.outbox_status()]
    assert statuses == [
        ("id1mail", "delivered", 2),
        ("id2mail", "expired", 1),
        ("id3sms", "pending", 0),
    ]


def test_prune_deletes_only_old_finished_rows(tmp_path):
    store = StateStore(tmp_path / "s.db")
    store.save_round({}, {}, [event(1), event(2)])
    first, _ = store.pending("mail")
    store.finish(first.row_id, DELIVERED, T0)
    assert store.prune(T0 - timedelta(days=1)) == 0
    assert store.prune(T0 + timedelta(days=8)) == 1
    assert len(store.outbox_status()) == 1


def test_commit_is_visible_to_another_connection_at_once(tmp_path):
    # what a kill -9 right after save_round would leave on disk
    path = tmp_path / "s.db"
    store = StateStore(path)
    store.save_round({"web": MonitorState(status=Status.OK)}, {}, [event()])
    other = sqlite3.connect(str(path))
    try:
        assert other.execute("SELECT count(*) FROM outbox").fetchone() == (1,)
        assert other.execute("SELECT count(*) FROM monitor_state").fetchone() == (1,)
    finally:
        other.close()
    store.close()


def test_opening_an_existing_file_keeps_its_rows(tmp_path):
    path = tmp_path / "s.db"
    StateStore(path).save_round({}, {}, [event()])
    assert len(StateStore(path).pending("mail")) == 1
