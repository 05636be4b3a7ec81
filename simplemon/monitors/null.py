"""The ``null`` monitor: always succeeds (for demos and for testing alerters)."""

from __future__ import annotations

from simplemon.model import CheckResult
from simplemon.monitor import Monitor
from simplemon.record import record


@record
class NullOptions:
    """The null monitor takes no options of its own."""


class NullMonitor(Monitor[NullOptions]):
    """Always succeed; useful as a placeholder or a dependency in test configs."""

    type_name = "null"
    Options = NullOptions

    def check(self) -> CheckResult:
        """Return a success at once."""
        return CheckResult(True, "ok")

    def describe(self) -> str:
        """Summarise the monitor."""
        return "a monitor that always succeeds"
