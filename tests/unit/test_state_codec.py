"""Dataclasses to and from the state file's JSON texts and rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from simplemon.model import (
    AlertEvent,
    EventKind,
    MonitorState,
    NotificationRecord,
    Status,
)
from simplemon.state_codec import IsoTexts, codec, from_json, to_json

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
EVENT = AlertEvent(
    kind=EventKind.RECOVERY,
    monitor="web",
    alerter="mail",
    created_at=T0,
    hostname="h",
    failed_at=None,
    virtual_fail_count=0,
    last_virtual_fail_count=2,
    info='said "no"',
    description="d",
)


def test_json_text_is_the_one_older_state_files_hold():
    # Outbox rows and records written before this codec must still read back.
    assert to_json(EVENT) == (
        '{"kind": "recovery", "monitor": "web", "alerter": "mail", '
        '"created_at": "2026-01-05T12:00:00+00:00", "hostname": "h", '
        '"failed_at": null, "virtual_fail_count": 0, "last_virtual_fail_count": 2, '
        '"info": "said \\"no\\"", "description": "d", "failure_doc": null, '
        '"downtime_seconds": 0.0, "event_id": ""}'
    )
    assert from_json(AlertEvent, to_json(EVENT)) == EVENT


def test_unknown_keys_are_ignored_and_missing_ones_defaulted():
    text = json.dumps({"status": "failing", "failures": 2, "from_the_future": 1})
    assert from_json(MonitorState, text) == MonitorState(Status.FAILING, failures=2)


def test_an_unknown_enum_value_is_an_error():
    with pytest.raises(ValueError, match="'nope' is not a valid Status"):
        from_json(MonitorState, '{"status": "nope"}')


def test_rows_round_trip_every_field_with_its_zone():
    paris = timezone(timedelta(hours=1))
    record = NotificationRecord(T0.astimezone(paris), T0, 3, None, T0)
    row = codec(NotificationRecord).to_row(record, IsoTexts())
    assert row[:2] == ["2026-01-05T13:00:00+01:00", "2026-01-05T12:00:00+00:00"]
    assert codec(NotificationRecord).from_row(row) == record
