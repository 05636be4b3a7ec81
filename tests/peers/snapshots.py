"""Builders for Snapshot/MonitorSnapshot values used by the logger tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from simplemon.model import MonitorSnapshot, MonitorState, Snapshot, Status
from simplemon.record import replace

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def monitor(
    name: str,
    status: Status = Status.OK,
    *,
    at: datetime = T0,
    message: str = "ok",
    duration: float | None = 0.012,
    ran: bool = True,
    **extra: Any,
) -> MonitorSnapshot:
    """Return a monitor snapshot checked at ``at`` with the given outcome."""
    failing = status in (Status.FAILING, Status.FAILED)
    state = MonitorState(
        status=status,
        failures=2 if failing else 0,
        virtual_fail_count=1 if status is Status.FAILED else 0,
        first_failure_at=at - timedelta(minutes=1) if failing else None,
        failed_at=at if status is Status.FAILED else None,
        last_message=message,
        last_duration=duration,
        last_checked_at=at if status is not Status.UNKNOWN else None,
        last_change_at=at - timedelta(hours=1),
        checks=10,
        successes=8,
    )
    fields: dict[str, Any] = {
        "tolerance": 1,
        "description": f"checks {name}",
        "type_name": "null",
    }
    fields.update(extra)
    return MonitorSnapshot(
        name=name,
        state=state,
        ran=ran,
        **fields,
    )


def snapshot(
    *monitors: MonitorSnapshot,
    at: datetime = T0,
    number: int = 1,
    interval: float = 60.0,
    hostname: str = "mon1",
) -> Snapshot:
    """Return a round's snapshot holding ``monitors``."""
    return Snapshot(
        taken_at=at,
        round_number=number,
        hostname=hostname,
        interval=interval,
        monitors=tuple(monitors),
    )


def later(m: MonitorSnapshot, seconds: float, **changes: Any) -> MonitorSnapshot:
    """Return ``m`` checked again ``seconds`` later, with state fields changed."""
    checked = m.state.last_checked_at or T0
    state = replace(
        m.state, last_checked_at=checked + timedelta(seconds=seconds), **changes
    )
    return replace(m, state=state)
