"""The round observer that turns each round into alerts, durably.

After every round it asks :mod:`simplemon.alerting` what each alerter must be told,
commits the changed monitor states, notification records and new events to the state
store in ONE transaction, and only then wakes the delivery workers. No SQL here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from simplemon.config import Config
from simplemon.dispatch import Dispatcher
from simplemon.errors import StateFileError
from simplemon.lazy_logging import get_logger
from simplemon.model import (
    AlertEvent,
    MonitorSnapshot,
    MonitorState,
    NotificationRecord,
    Snapshot,
)
from simplemon.outbox import KEEP_FINISHED

if TYPE_CHECKING:
    from simplemon.alert_events import Decision, MonitorView

log = get_logger(__name__)
_EMPTY = NotificationRecord()
_UNKNOWN = MonitorState()
#: How often a long run deletes outbox rows finished more than KEEP_FINISHED ago.
PRUNE_EVERY = timedelta(hours=1)


class RoundStore(Protocol):
    """What the notifier needs from the state store."""

    def save_round(
        self,
        states: Mapping[str, MonitorState],
        records: Mapping[tuple[str, str], NotificationRecord],
        events: Iterable[AlertEvent],
        *,
        removed: Iterable[str] = (),
    ) -> None:
        """Commit one round atomically."""

    def prune(self, before: datetime) -> int:
        """Delete outbox rows finished before ``before``."""

    def pending_alerters(self) -> set[str]:
        """Return the alerters with messages still waiting in the outbox."""


class Notifier:
    """Decide and enqueue alerts after every round (a scheduler RoundObserver)."""

    def __init__(
        self,
        store: RoundStore,
        dispatcher: Dispatcher,
        config: Config,
        *,
        states: Mapping[str, MonitorState],
        records: Mapping[tuple[str, str], NotificationRecord],
        pruned_at: datetime | None = None,
    ) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self._saved = dict(states)
        self._records = dict(records)
        # When the outbox was last pruned (by the caller, at start); None: never.
        self._pruned_at = pruned_at
        # The states before the first round that could not be saved, if any.
        self._unsaved_previous: dict[str, MonitorState] | None = None
        self.reload(config)
        # Until the first round, alerter ``depend`` sees the states from before the
        # restart: an uplink that was down stays down until checked again.
        self.dispatcher.set_failing(n for n, s in states.items() if s.status.is_failure)

    @property
    def states(self) -> dict[str, MonitorState]:
        """Return the monitor states last committed (loaded ones at start)."""
        return dict(self._saved)

    def reload(self, config: Config) -> None:
        """Use a new configuration (after SIGHUP) from the next round on."""
        self.config = config
        self._monitors = {m.name: m.common for m in config.monitors}
        self.dispatcher.configure(config.alerters)
        self._warn_orphaned(config)

    def _warn_orphaned(self, config: Config) -> None:
        """Say so when messages wait for an alerter the configuration lost.

        They are kept (a typo fixed by the next reload sends them), but nothing
        sends them meanwhile: at start and after every reload, the admin is told.
        """
        try:
            waiting = self.store.pending_alerters()
        except StateFileError as e:
            log.error("%s", e)
            return
        for name in sorted(waiting - {a.name for a in config.alerters}):
            log.warning(
                "alerter %s: messages are waiting in the state file, but no such "
                "alerter is configured; they are sent if it is configured again",
                name,
            )

    def _waiting_alerters(self) -> set[str]:
        """Return the alerters with queued messages; all of them if unreadable."""
        try:
            return self.store.pending_alerters()
        except StateFileError as e:
            log.error("%s", e)
            return {alerter for _, alerter in self._records}

    def after_round(
        self, snapshot: Snapshot, previous: Mapping[str, MonitorState]
    ) -> None:
        """Decide, persist and enqueue this round's alerts, then wake delivery.

        A round that cannot be saved (the state file is locked, the disk is full)
        changes nothing here: the next round decides again from the states before
        it, so an alert it would have sent is sent then, once.
        """
        if self._unsaved_previous is not None:
            previous = {**previous, **self._unsaved_previous}
        records: dict[tuple[str, str], NotificationRecord] = {}
        events: list[AlertEvent] = []
        if self.config.alerters:
            self._decide(snapshot, previous, records, events)
        removed = self._removed(snapshot, records, events)
        states = {
            m.name: m.state
            for m in snapshot.monitors
            if self._saved.get(m.name) != m.state
        }
        try:
            self.store.save_round(states, records, events, removed=removed)
        except StateFileError as e:
            if self._unsaved_previous is None:
                self._unsaved_previous = dict(previous)
            log.error("%s; its alerts are decided again after the next round", e)
            return
        self._unsaved_previous = None
        self._saved.update(states)
        for name in removed:
            self._saved.pop(name, None)
        for key, record in records.items():
            if record == _EMPTY:
                self._records.pop(key, None)
            else:
                self._records[key] = record
        for event in events:
            log.info(
                "alerter %s: queued %s for monitor %s (event %s)",
                event.alerter,
                event.kind.value,
                event.monitor,
                event.event_id,
            )
        self.dispatcher.set_failing(
            m.name for m in snapshot.monitors if m.state.status.is_failure
        )
        self.dispatcher.wake()
        self._prune_now_and_then(snapshot.taken_at)

    def _prune_now_and_then(self, now: datetime) -> None:
        """Prune the outbox hourly, so that a daemon running for months keeps it small.

        A last prune in the future means the wall clock was set back: prune now and
        count from here, rather than not at all until the clock catches up.
        """
        since = None if self._pruned_at is None else now - self._pruned_at
        if since is None or since >= PRUNE_EVERY or since < timedelta(0):
            self._pruned_at = now
            try:
                self.store.prune(now - KEEP_FINISHED)
            except StateFileError as e:  # locked by another program, say
                log.warning("cannot prune the outbox (tried again in an hour): %s", e)

    def _decide(
        self,
        snapshot: Snapshot,
        previous: Mapping[str, MonitorState],
        records: dict[tuple[str, str], NotificationRecord],
        events: list[AlertEvent],
    ) -> None:
        """Collect every (monitor, alerter) pair's changed record and new events."""
        # Imported only when alerters are configured: a run without any (the
        # plainest -1) never needs the decisions (start-up time, issue 5).
        from simplemon.alerting import decide, is_quiet  # noqa: PLC0415

        for monitor in snapshot.monitors:
            view = None
            for alerter in self.config.alerters:
                key = (monitor.name, alerter.name)
                record = self._records.get(key, _EMPTY)
                if is_quiet(monitor.state.status, record):
                    continue
                if view is None:
                    view = self._view(monitor, previous.get(monitor.name, _UNKNOWN))
                decision = decide(
                    view,
                    alerter.name,
                    alerter.common,
                    record,
                    snapshot.taken_at,
                    snapshot.hostname,
                )
                self._collect(key, record, decision, alerter, records, events)

    def _view(self, monitor: MonitorSnapshot, previous: MonitorState) -> MonitorView:
        from simplemon.alert_events import MonitorView  # noqa: PLC0415 - see _decide

        common = self._monitors.get(monitor.name)
        return MonitorView(
            name=monitor.name,
            previous=previous,
            current=monitor.state,
            group=monitor.group,
            urgent=monitor.urgent,
            notify=common.notify if common is not None else True,
            remind=common.remind if common is not None else None,
            description=monitor.description,
            failure_doc=monitor.failure_doc,
        )

    @staticmethod
    def _collect(
        key: tuple[str, str],
        record: NotificationRecord,
        decision: Decision,
        alerter: Any,
        records: dict[tuple[str, str], NotificationRecord],
        events: list[AlertEvent],
    ) -> None:
        if decision.record != record:
            records[key] = decision.record
        # A plugin with nothing to say for a kind (e.g. execute without a
        # success_command) gets no outbox row; the record still moves on.
        events.extend(e for e in decision.events if alerter.plugin.handles(e.kind))

    def _removed(
        self,
        snapshot: Snapshot,
        records: dict[tuple[str, str], NotificationRecord],
        events: list[AlertEvent],
    ) -> set[str]:
        """Send final notices for monitors gone from the config; forget them."""
        present = {m.name for m in snapshot.monitors}
        alerters = {a.name: a for a in self.config.alerters}
        removed = {n for n in self._saved if n not in present}
        waiting: set[str] | None = None  # read once, only if an alerter is gone
        kept: set[str] = set()  # monitors whose records wait for an alerter
        for (monitor, alerter_name), record in list(self._records.items()):
            alerter = alerters.get(alerter_name)
            if monitor in present and alerter is not None:
                continue
            if alerter is None:
                if waiting is None:
                    waiting = self._waiting_alerters()
                if alerter_name in waiting:
                    # Its queued messages go out if it is configured again; so
                    # must what they leave owed (the recovery of a failure, or
                    # the final notice of a monitor removed meanwhile, which
                    # keeps its state until then).
                    kept.add(monitor)
                    continue
            records[(monitor, alerter_name)] = _EMPTY
            if monitor in present or alerter is None:
                continue  # the alerter itself was removed: nobody to tell
            removed.add(monitor)
            from simplemon.alert_events import MonitorView  # noqa: PLC0415
            from simplemon.alerting import decide_removed  # noqa: PLC0415

            last = self._saved.get(monitor, MonitorState())
            view = MonitorView(monitor, last, MonitorState())
            decision = decide_removed(
                view,
                alerter_name,
                alerter.common,
                record,
                snapshot.taken_at,
                snapshot.hostname,
            )
            events.extend(e for e in decision.events if alerter.plugin.handles(e.kind))
        removed -= kept
        if removed:
            log.warning("monitors removed from the configuration: %s", sorted(removed))
        return removed
