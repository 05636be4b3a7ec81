"""The Alerter contract: deliver one event; never decide whether to alert."""

from __future__ import annotations

import abc
from typing import ClassVar, Generic, TypeVar

from simplemon.common import AlerterCommon
from simplemon.model import AlertEvent, EventKind

OptionsT = TypeVar("OptionsT")


class Alerter(abc.ABC, Generic[OptionsT]):
    """Base class for alerter plugins.

    Routing (limits, repeats, groups, hours, snoozing) is decided in the core; a
    plugin only turns an AlertEvent into a message::

        class PagerAlerter(Alerter[PagerOptions]):
            '''Page someone.'''
            type_name = "pager"
            Options = PagerOptions

            def send(self, event: AlertEvent) -> None:
                ...  # raise DeliveryError(..., permanent=True) for bad credentials
    """

    type_name: ClassVar[str]
    Options: ClassVar[type]

    def __init__(
        self, name: str, options: OptionsT, common: AlerterCommon | None = None
    ) -> None:
        self.name = name
        self.options = options
        self.common = common or AlerterCommon(type=self.type_name)

    @abc.abstractmethod
    def send(self, event: AlertEvent) -> None:
        """Deliver exactly one event, or raise DeliveryError."""

    def send_rest(self, event: AlertEvent, done: frozenset[str]) -> None:
        """Deliver ``event`` to what an earlier attempt did not reach.

        Called instead of ``send`` when that attempt raised DeliveryError with
        ``done`` set (some mail recipients took the message, one was greylisted):
        sending it all again would give them a second copy. Only plugins that
        raise ``done`` need to override this.
        """
        self.send(event)

    def handles(self, kind: EventKind) -> bool:
        """Return whether this plugin has anything to send for events of ``kind``."""
        return True

    def problems(self) -> list[str]:
        """Say what would keep ``send`` from working, without sending anything.

        Called when the configuration is loaded (``-t``, start, reload); each
        problem is a warning naming the alerter's section, e.g. ``fail_command:
        program /x not found``. Alerts are still queued and retried.
        """
        return []

    def describe(self) -> str:
        """Return a one-line human summary of where alerts go."""
        return f"{self.type_name} alerter"
