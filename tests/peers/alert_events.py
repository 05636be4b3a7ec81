"""Build AlertEvents for alerter tests: ``make_event(kind=..., info=...)``.

``Configured(name, plugin)`` is an alerter as the dispatcher sees it after a load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from simplemon.common import AlerterCommon
from simplemon.model import AlertEvent, EventKind

FAILED_AT = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
CREATED_AT = datetime(2026, 1, 6, 15, 4, 5, tzinfo=UTC)


def make_event(**overrides: Any) -> AlertEvent:
    """Return a failure of monitor ``web`` on ``host1``, down 1 day 3h 4m 5s."""
    values: dict[str, Any] = {
        "kind": EventKind.FAILURE,
        "monitor": "web",
        "alerter": "test",
        "created_at": CREATED_AT,
        "hostname": "host1",
        "failed_at": FAILED_AT,
        "virtual_fail_count": 3,
        "last_virtual_fail_count": 2,
        "info": "HTTP 503 Service Unavailable",
        "description": "GET http://127.0.0.1/ expecting 200",
        "failure_doc": "https://wiki.example/web",
        "downtime_seconds": 86400 + 3 * 3600 + 4 * 60 + 5,
        "event_id": "42-web-test",
    }
    values.update(overrides)
    return AlertEvent(**values)


def numbered_event(
    n: int, alerter: str = "mail", created: datetime = FAILED_AT
) -> AlertEvent:
    """Return failure number ``n`` (of monitor ``m<n>``) for ``alerter``: a queue
    of distinct events for delivery tests."""
    return AlertEvent(
        kind=EventKind.FAILURE,
        monitor=f"m{n}",
        alerter=alerter,
        created_at=created,
        hostname="h",
        failed_at=FAILED_AT,
        virtual_fail_count=1,
        last_virtual_fail_count=0,
        info="",
        description="",
        event_id=f"e{n}{alerter}",
    )


@dataclass
class Configured:
    """An alerter as the dispatcher sees it after a config load."""

    name: str
    plugin: Any
    common: AlerterCommon = field(default_factory=lambda: AlerterCommon(type="x"))
