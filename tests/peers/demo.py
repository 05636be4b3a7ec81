"""A demo round with every display state, for page tests and the docs screenshot."""

from __future__ import annotations

from datetime import timedelta

from simplemon.model import Status
from simplemon.record import replace
from tests.peers.snapshots import T0, monitor, snapshot

HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=\"alert('x')\">"


def demo_monitors(at=T0):
    """Return monitors in every display state, checked at ``at``."""
    return [
        monitor(
            "web-frontend",
            at=at,
            description="GET https://127.0.0.1:8443/ expecting 200",
            duration=0.084,
            type_name="http",
        ),
        monitor(
            "api",
            Status.FAILED,
            at=at,
            message="HTTP 503 Service Unavailable",
            duration=1.21,
            type_name="http",
            failure_doc="https://wiki.example.invalid/runbooks/api",
        ),
        monitor(
            "queue",
            Status.FAILING,
            at=at,
            message="connection refused",
            duration=0.002,
            tolerance=3,
            type_name="tcp",
        ),
        monitor(
            "api-worker",
            Status.SKIPPED,
            at=at,
            message="depends on api, which is failed",
            duration=None,
            depend=("api",),
        ),
        monitor("backup-host", Status.DISABLED, message="", duration=None, at=at),
        monitor(
            "dns-internal",
            at=at - timedelta(minutes=30),
            message="127.0.0.1 answered 10.0.0.5",
            type_name="dns",
            ran=False,  # not checked in this round (nor the ones before)
        ),
        monitor("new-check", Status.UNKNOWN, message="", duration=None, at=at),
        monitor(f"evil\"'{HOSTILE}", Status.FAILED, message=f"body: {HOSTILE}", at=at),
        monitor("mail-relay", duration=0.031, type_name="tcp", at=at),
    ]


def demo_round(at=T0, **changes):
    """Return the demo snapshot (interval 60 s)."""
    return replace(snapshot(*demo_monitors(at), at=at), **changes)
