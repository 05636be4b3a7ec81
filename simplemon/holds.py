"""Alerters' ``depend``: which monitors are down, and whose messages wait for them.

Split from dispatch.py, which runs the delivery threads: this is the bookkeeping of
holding, kept in one place so the holding and releasing of an alerter's messages
is logged once each, not at every look at the outbox. No threads and no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from simplemon.lazy_logging import get_logger

# The log lines keep the name they had before the split (the console shows it).
log = get_logger("simplemon.dispatch")


class Holds:
    """The monitors that are down, and the dependency each alerter waits for."""

    def __init__(self) -> None:
        self._failing: frozenset[str] = frozenset()
        self._held_for: dict[str, str] = {}  # alerter -> dependency it waits for

    def set_failing(self, monitors: Iterable[str]) -> None:
        """Tell which monitors are down, for alerters' ``depend``."""
        self._failing = frozenset(monitors)

    def blocker(self, config: Any) -> str | None:
        """Return the failing monitor the alerter ``config`` depends on, if any."""
        return next((d for d in config.common.depend if d in self._failing), None)

    def is_holding(
        self, alerter: str, blocker: str | None, has_pending: Callable[[], bool]
    ) -> bool:
        """Return whether ``blocker`` holds the alerter's messages; log it once."""
        if blocker is None:
            if self._held_for.pop(alerter, None) is not None:
                log.info("alerter %s: dependencies up, sending held messages", alerter)
            return False
        if self._held_for.get(alerter) != blocker and has_pending():
            self._held_for[alerter] = blocker
            log.info(
                "alerter %s: holding messages while monitor %s is down",
                alerter,
                blocker,
            )
        return True

    def forget(self, alerter: str) -> None:
        """Drop what is known of an alerter a reload removed."""
        self._held_for.pop(alerter, None)
