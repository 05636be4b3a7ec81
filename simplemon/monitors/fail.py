"""The ``fail`` monitor: fails ``interval`` times in a row, then succeeds once, again.

It exists to exercise alerters. It is the one plugin with a counter of its own, since
its whole point is a scripted sequence; real monitors never keep state.
"""

from __future__ import annotations

import itertools
import threading

from simplemon.model import CheckResult
from simplemon.monitor import Monitor
from simplemon.options import opt
from simplemon.record import record


@record
class FailOptions:
    """Options of the fail monitor."""

    interval: int = opt(5, min=1, help="failures in a row before one success")


class FailMonitor(Monitor[FailOptions]):
    """Fail a fixed number of times, then succeed once, and repeat (for testing)."""

    type_name = "fail"
    Options = FailOptions

    def __init__(self, name: str, options: FailOptions) -> None:
        super().__init__(name, options)
        self._calls = itertools.count(1)
        self._lock = threading.Lock()

    def check(self) -> CheckResult:
        """Fail, except on every (interval + 1)th call."""
        with self._lock:
            n = next(self._calls)
        if n % (self.options.interval + 1) == 0:
            return CheckResult(True, "ok (the scheduled success)")
        return CheckResult(False, "This monitor always fails.")

    def describe(self) -> str:
        """Summarise the monitor."""
        return f"a monitor that fails {self.options.interval} times, then succeeds once"
