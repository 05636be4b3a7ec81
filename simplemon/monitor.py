"""The Monitor contract: a plugin runs one probe and reports; no alert state."""

from __future__ import annotations

import abc
from typing import ClassVar, Generic, TypeVar

from simplemon.model import CheckResult
from simplemon.probe import Probe

OptionsT = TypeVar("OptionsT")


class Monitor(abc.ABC, Generic[OptionsT]):
    """Base class for monitor plugins.

    A plugin declares a frozen ``Options`` record (:mod:`simplemon.record`) and
    implements ``check``::

        @record
        class PortOptions:
            host: str = opt(help="host to connect to")

        class PortMonitor(Monitor[PortOptions]):
            '''Check that a port accepts connections.'''
            type_name = "port"
            Options = PortOptions

            def check(self) -> CheckResult:
                ...

    ``__init__`` only stores values. ``check`` does the I/O, honours its own timeout,
    and returns a failed CheckResult for expected failures (refused, timeout, wrong
    answer). Anything it raises is recorded by the scheduler as an internal error.
    """

    type_name: ClassVar[str]
    Options: ClassVar[type]

    def __init__(self, name: str, options: OptionsT) -> None:
        self.name = name
        self.options = options

    @abc.abstractmethod
    def check(self) -> CheckResult:
        """Run one probe and return its result; may block up to the timeout."""

    def probe(self) -> Probe | None:
        """Return this check as a non-blocking Probe, or None (the default).

        A monitor whose check is a few socket operations (tcp, ping) can return a
        Probe; the scheduler then multiplexes it with many others on one thread
        instead of a worker thread each. ``check()`` must still work on its own.
        """
        return None

    def describe(self) -> str:
        """Return a one-line human summary of what is checked."""
        return f"{self.type_name} check"

    def timeout_seconds(self) -> float:
        """Return the longest a check may take; the scheduler adds a margin to it."""
        timeout = getattr(self.options, "timeout", None)
        if timeout is None:
            return 10.0
        return float(timeout.total_seconds())
