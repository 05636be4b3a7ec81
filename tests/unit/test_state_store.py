"""The SQLite state file, on real files in tmp_path."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone

import pytest

from simplemon.errors import StateFileError
from simplemon.model import (
    AlertEvent,
    EventKind,
    MonitorState,
    NotificationRecord,
    Status,
)
from simplemon.outbox import DELIVERED, EXPIRED
from simplemon.record import fields
from simplemon.state_codec import to_json
from simplemon.state_schema import SCHEMA, SCHEMA_VERSION
from simplemon.state_store import StateStore

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


# --- the on-disk layout and its migration ----------------------------------------

# What simplemon wrote before layout 1 (user_version 0): one JSON text per monitor.
LAYOUT_0 = """
CREATE TABLE monitor_state (monitor TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE notification (
    monitor TEXT NOT NULL, alerter TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (monitor, alerter)
);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    alerter TEXT NOT NULL,
    monitor TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT NOT NULL DEFAULT '',
    finished_at REAL
);
CREATE INDEX outbox_pending ON outbox (alerter, status, id);
"""
FAILED_STATE_JSON = (
    '{"status": "failed", "failures": 3, "virtual_fail_count": 2, '
    '"first_failure_at": "2026-01-05T12:00:00+00:00", '
    '"failed_at": "2026-01-05T12:01:00+00:00", "last_message": "refused", '
    '"last_duration": 0.25, "last_checked_at": "2026-01-05T12:02:00+00:00", '
    '"last_change_at": "2026-01-05T12:01:00+00:00", "checks": 9, "successes": 6}'
)


def every_field_set() -> MonitorState:
    return MonitorState(
        status=Status.FAILED,
        failures=3,
        virtual_fail_count=2,
        first_failure_at=T0,
        failed_at=T0 + timedelta(minutes=1),
        last_message="refused",
        last_duration=0.25,
        last_checked_at=T0 + timedelta(minutes=2),
        last_change_at=T0 + timedelta(minutes=1),
        checks=9,
        successes=6,
    )


def write_layout_0(path, states, records=(), outbox=()):
    db = sqlite3.connect(str(path))
    db.executescript(LAYOUT_0)
    db.executemany("INSERT INTO monitor_state VALUES (?, ?)", states)
    db.executemany("INSERT INTO notification VALUES (?, ?, ?)", records)
    db.executemany(
        "INSERT INTO outbox (event_id, alerter, monitor, data, created_at, "
        "next_attempt_at) VALUES (?, ?, ?, ?, 0, 0)",
        outbox,
    )
    db.commit()
    db.close()


def test_state_columns_follow_the_monitor_state_fields(tmp_path):
    store = StateStore(tmp_path / "s.db")
    columns = [
        r[0]
        for r in store._db.execute(
            "SELECT name FROM pragma_table_info(?)", ("monitor_state",)
        )
    ]
    store.close()
    assert columns == ["monitor"] + [f.name for f in fields(MonitorState)]


def test_every_state_field_survives_reopening(tmp_path):
    path = tmp_path / "s.db"
    store = StateStore(path)
    store.save_round({"web": every_field_set(), "new": MonitorState()}, {}, [])
    store.close()
    assert StateStore(path).load_states() == {
        "web": every_field_set(),
        "new": MonitorState(),
    }


def test_saving_a_state_again_replaces_it(tmp_path):
    store = StateStore(tmp_path / "s.db")
    store.save_round({"web": every_field_set()}, {}, [])
    store.save_round({"web": MonitorState(status=Status.OK, checks=10)}, {}, [])
    assert store.load_states() == {"web": MonitorState(status=Status.OK, checks=10)}


def test_a_file_of_the_json_layout_is_migrated_keeping_everything(tmp_path):
    path = tmp_path / "old.db"
    record = '{"announced_at": "2026-01-05T12:01:00+00:00", "failed_at": null, '
    record += '"last_virtual_fail_count": 2, "held_since": null, '
    record += '"recovery_held_at": null}'
    write_layout_0(
        path,
        # an older state without the newest fields, and one with an unknown key
        [("web", FAILED_STATE_JSON), ("db", '{"status": "ok", "checks": 1, "x": 0}')],
        [("web", "mail", record)],
        [(event().event_id, "mail", "web", to_json(event()))],
    )
    store = StateStore(path)
    assert store.load_states() == {
        "web": every_field_set(),
        "db": MonitorState(status=Status.OK, checks=1),
    }
    assert store.load_records() == {
        ("web", "mail"): NotificationRecord(
            announced_at=T0 + timedelta(minutes=1), last_virtual_fail_count=2
        )
    }
    assert [i.event for i in store.pending("mail")] == [event()]
    tables = {
        r[0]
        for r in store._db.execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert "monitor_state_json" not in tables
    assert store._db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    store.close()


def test_a_layout_1_outbox_gets_its_done_column_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.db"
    done_column = ",\n        done TEXT NOT NULL DEFAULT '[]'"
    assert done_column in SCHEMA[2]
    db = sqlite3.connect(str(path))
    for statement in SCHEMA:
        db.execute(statement.replace(done_column, ""))
    db.execute(
        "INSERT INTO outbox (event_id, alerter, monitor, data, created_at, "
        "next_attempt_at) VALUES (?, 'mail', 'web', ?, 0, 0)",
        (event().event_id, to_json(event())),
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    store = StateStore(path)
    (item,) = store.pending("mail")
    assert (item.event, item.done) == (event(), frozenset())
    store.retry_later(item.row_id, T0, "451 later", frozenset({"a@x", "b@x"}))
    assert store.pending("mail")[0].done == {"a@x", "b@x"}
    assert store._db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    store.close()


def test_a_damaged_done_value_resends_to_everyone(tmp_path):
    store = StateStore(tmp_path / "s.db")
    store.save_round({}, {}, [event()])
    for damaged in ("not json", "[" * 100_000, '{"a": 1}', "7"):
        store._db.execute("UPDATE outbox SET done = ?", (damaged,))
        store._db.commit()
        assert store.pending("mail")[0].done == frozenset()
    store.close()


def test_a_file_from_a_newer_simplemon_is_refused(tmp_path):
    path = tmp_path / "new.db"
    db = sqlite3.connect(str(path))
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StateFileError, match="written by a newer simplemon"):
        StateStore(path)


def test_a_failed_migration_leaves_the_old_file_as_it_was(tmp_path):
    path = tmp_path / "old.db"
    write_layout_0(path, [("web", FAILED_STATE_JSON), ("bad", '{"status": "nope"}')])
    with pytest.raises(StateFileError, match=r"cannot use state file .*nope"):
        StateStore(path)
    db = sqlite3.connect(str(path))
    try:
        assert db.execute("SELECT count(*) FROM monitor_state").fetchone() == (2,)
        assert db.execute("PRAGMA user_version").fetchone() == (0,)
    finally:
        db.close()


def test_equal_times_in_different_zones_keep_their_zones(tmp_path):
    paris = timezone(timedelta(hours=1))
    state = MonitorState(Status.FAILED, 1, 1, T0, T0.astimezone(paris))
    record = NotificationRecord(announced_at=T0.astimezone(paris), failed_at=T0)
    store = StateStore(tmp_path / "s.db")
    store.save_round({"web": state}, {("web", "mail"): record}, [])
    (loaded,) = store.load_states().values()
    (loaded_record,) = store.load_records().values()
    offsets = [
        t.utcoffset() if t else None
        for t in (
            loaded.failed_at,
            loaded.first_failure_at,
            loaded_record.announced_at,
            loaded_record.failed_at,
        )
    ]
    assert offsets == [timedelta(hours=1), timedelta(0)] * 2


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE monitor_state SET status='garbage' WHERE monitor='web'",
        "UPDATE monitor_state SET failed_at='yesterday' WHERE monitor='web'",
        "UPDATE notification SET data='{not json' WHERE monitor='web'",
    ],
)
def test_an_unreadable_row_is_skipped_with_a_warning_not_a_crash(
    tmp_path, damage, caplog
):
    # A damaged row used to stop every start with a ValueError traceback.
    path = tmp_path / "state.db"
    store = StateStore(path)
    state = MonitorState(status=Status.FAILED, failures=1, failed_at=T0)
    record = NotificationRecord(announced_at=T0, failed_at=T0)
    store.save_round(
        {"web": state, "db": state},
        {("web", "mail"): record, ("db", "mail"): record},
        [],
    )
    store.close()
    with sqlite3.connect(path) as db:
        db.execute(damage)
    db.close()

    again = StateStore(path)
    states, records = again.load_states(), again.load_records()
    again.close()
    assert states["db"] == state
    assert records[("db", "mail")] == record
    if "notification" in damage:
        assert ("web", "mail") not in records
    else:
        assert "web" not in states
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warning.startswith(f"state file {path}: ignoring the stored ")
    assert "'web'" in warning
    assert "cannot be read" in warning
