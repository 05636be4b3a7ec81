"""Deliver queued AlertEvents off the check path: one worker thread per alerter.

A hung mail server therefore delays neither checks nor other alerters. Events come
from a durable outbox (passed in; this module does no SQL) and are marked delivered
only after ``send`` returned. Transient DeliveryErrors are retried with backoff until
the alerter's ``retry_for`` expires; permanent ones are logged loudly and dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from simplemon.errors import DeliveryError, StateFileError
from simplemon.holds import Holds
from simplemon.lazy_logging import get_logger
from simplemon.outbox import (
    DELIVERED,
    SUPERSEDED,
    Backoff,
    Outbox,
    OutboxItem,
    superseded_reminders,
)
from simplemon.outcomes import Outcomes
from simplemon.timefmt import utc_now

log = get_logger(__name__)

#: Seconds an idle worker sleeps before looking at the outbox again.
POLL_SECONDS = 1.0


class Dispatcher:
    """Own the delivery workers; the scheduler thread only calls wake/configure.

    ``alerters`` are PluginConfig-like objects with ``name``, ``common``
    (AlerterCommon) and ``plugin`` (an Alerter).
    """

    def __init__(
        self,
        outbox: Outbox,
        alerters: Iterable[Any],
        *,
        now: Callable[[], datetime] = utc_now,
        backoff: Backoff | None = None,
    ) -> None:
        self.outbox = outbox
        self.now = now
        self.backoff = backoff or Backoff()
        self._alerters: dict[str, Any] = {}
        self._holds = Holds()  # alerters' depend
        self._workers: dict[str, _Worker] = {}
        # Guards _alerters and _workers: a worker whose alerter a reload removed
        # ends itself, and a reload that adds it again starts a new one.
        self._config_lock = threading.Lock()
        self.outcomes = Outcomes(outbox, now, self.backoff)
        self._stop = threading.Event()
        self._started = False
        self._unstarted: set[str] = set()  # alerters whose worker could not start
        self._retry_now: set[str] = set()  # alerters changed by a reload
        self.configure(alerters)

    def configure(self, alerters: Iterable[Any]) -> None:
        """Use these alerters from now on (after a reload); start new workers.

        An alerter whose settings changed tries its waiting messages at once: the
        reload may have fixed what they failed on (a port, a password), and its
        backoff could otherwise hold them for minutes more.
        """
        with self._config_lock:
            new = {a.name: a for a in alerters}
            for name, config in new.items():
                old = self._alerters.get(name)
                if old is not None and _settings(old) != _settings(config):
                    self._retry_now.add(name)
            self._alerters = new
            if self._started:
                self._spawn()
            for name in self._retry_now:
                if name in self._workers:
                    self._workers[name].wakeup.set()

    def set_failing(self, monitors: Iterable[str]) -> None:
        """Tell which monitors are down, for alerters' ``depend``."""
        self._holds.set_failing(monitors)

    def start(self) -> None:
        """Start one worker thread per alerter."""
        with self._config_lock:
            self._started = True
            self._spawn()

    def _spawn(self) -> None:
        """Start a worker for every alerter without one (caller holds the lock)."""
        for name in self._alerters:
            if name not in self._workers:
                worker = _Worker(self, name)
                try:
                    worker.start()
                except RuntimeError as e:  # a thread or pids limit: try at next wake
                    if name not in self._unstarted:
                        self._unstarted.add(name)
                        log.error(
                            "alerter %s: cannot start its delivery thread (%s); its "
                            "alerts stay queued, tried again after each round",
                            name,
                            e,
                        )
                    continue
                if name in self._unstarted:
                    self._unstarted.discard(name)
                    log.info("alerter %s: delivery thread started", name)
                self._workers[name] = worker

    def _keeps(self, worker: _Worker) -> bool:
        """Return whether ``worker``'s alerter is configured; else forget the worker.

        Its messages stay in the outbox, sent if the alerter is configured again.
        """
        with self._config_lock:
            if worker.alerter in self._alerters:
                return True
            if self._workers.get(worker.alerter) is worker:
                del self._workers[worker.alerter]
            self._holds.forget(worker.alerter)
            return False

    def _current_workers(self) -> list[_Worker]:
        with self._config_lock:
            return list(self._workers.values())

    def wake(self) -> None:
        """Make every worker look at the outbox now (new events were committed)."""
        with self._config_lock:
            if self._unstarted and self._started and not self._stop.is_set():
                self._spawn()
        for worker in self._current_workers():
            worker.wakeup.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask workers to stop and wait up to ``timeout`` seconds in all.

        A worker stuck inside ``send`` is abandoned (it is a daemon thread); its
        event stays pending in the outbox and is delivered after the next start.
        """
        self._stop.set()
        self.wake()
        deadline = time.monotonic() + timeout
        workers = self._current_workers()
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        for worker in workers:
            if worker.is_alive():
                log.warning(
                    "alerter %s: still sending when stopping; what it was sending "
                    "stays queued and is sent after the next start",
                    worker.alerter,
                )

    def is_blocked(self, alerter: str) -> str | None:
        """Return the failing monitor the alerter depends on, if any."""
        config = self._alerters.get(alerter)
        if config is None:
            return None
        return self._holds.blocker(config)

    def has_deliverable(self) -> bool:
        """Return whether any configured, unblocked alerter has events pending."""
        return any(
            self.outbox.pending(name, limit=1)
            for name in self._alerters
            if self.is_blocked(name) is None
        )

    def drain(self, timeout: float, poll: float = 0.05) -> bool:
        """Wait until nothing deliverable is pending or ``timeout``; True if drained."""
        deadline = time.monotonic() + timeout
        while self.has_deliverable():
            if time.monotonic() >= deadline:
                return False
            self.wake()
            self._stop.wait(poll)
        return True

    def deliver_due(self, alerter: str) -> float:
        """Deliver the alerter's due events in order; return seconds until next due.

        Order is kept per alerter: after a transient failure nothing behind the
        failed event is sent, so a recovery never overtakes its failure.
        """
        if self._sending_as(alerter) is None:
            return POLL_SECONDS
        with self._config_lock:
            retry_now = alerter in self._retry_now
            self._retry_now.discard(alerter)
        items = self.outbox.pending(alerter)
        stale = superseded_reminders(items)
        for item in items:
            # A reload (alerter removed, dry_run set, depend changed) applies from
            # the next message, not after a whole batch sent the old way.
            config = self._sending_as(alerter)
            if config is None:
                return POLL_SECONDS
            outcome = self.outcomes.unrecorded.get(item.row_id)
            if outcome is not None:
                if not self.outcomes.finish(config.name, item, *outcome):
                    return POLL_SECONDS
                continue
            if item.row_id in stale:
                self._supersede(config.name, item)
                continue
            wait = (item.next_attempt_at - self.now()).total_seconds()
            if wait > self.backoff.maximum.total_seconds() or retry_now:
                # Planned before the wall clock was set back, or before a reload
                # changed the alerter: due now.
                wait = 0.0
            if wait > 0:
                return wait
            if not self.attempt(config, item):
                return self.backoff.delay(item.attempts + 1).total_seconds()
        return POLL_SECONDS

    def _sending_as(self, alerter: str) -> Any | None:
        """Return the alerter's configuration now; None if it must not send now."""
        if self._stop.is_set():
            return None
        config = self._alerters.get(alerter)
        # ``depend`` holds its messages while a monitor it needs is down.
        if config is None or self._holds.is_holding(
            alerter,
            self.is_blocked(alerter),
            lambda: bool(self.outbox.pending(alerter, 1)),
        ):
            return None
        return config

    def _supersede(self, alerter: str, item: OutboxItem) -> None:
        log.info(
            "alerter %s: not sending an old reminder for monitor %s: a newer message "
            "about it is queued",
            alerter,
            item.event.monitor,
        )
        self.outcomes.finish(alerter, item, SUPERSEDED)

    def attempt(self, config: Any, item: OutboxItem) -> bool:
        """Try one event once; return False if it must be retried later."""
        event, name = item.event, config.name
        what = f"{event.kind.value} for monitor {event.monitor}"
        if config.common.dry_run:
            log.info("alerter %s: dry run, not sending %s", name, what)
            return self.outcomes.finish(name, item, DELIVERED, "dry run")
        try:
            if item.done:
                config.plugin.send_rest(event, item.done)
            else:
                config.plugin.send(event)
        except DeliveryError as e:
            return self.outcomes.failed(
                config, item, str(e), permanent=e.permanent, done=e.done
            )
        except Exception as e:
            log.exception("alerter %s: internal error sending %s", name, what)
            return self.outcomes.failed(config, item, f"{type(e).__name__}: {e}", False)
        log.info("alerter %s: sent %s", name, what)
        return self.outcomes.finish(name, item, DELIVERED)


def _settings(config: Any) -> tuple[Any, ...]:
    """Return what makes an alerter send differently when a reload changes it."""
    return (config.common, getattr(config.plugin, "options", None))


class _Worker(threading.Thread):
    """Deliver one alerter's events until the dispatcher stops."""

    def __init__(self, dispatcher: Dispatcher, alerter: str) -> None:
        super().__init__(name=f"alerter-{alerter}", daemon=True)
        self.dispatcher = dispatcher
        self.alerter = alerter
        self.wakeup = threading.Event()

    def run(self) -> None:
        stop = self.dispatcher._stop
        while not stop.is_set() and self.dispatcher._keeps(self):
            self.wakeup.clear()
            try:
                wait = self.dispatcher.deliver_due(self.alerter)
            except StateFileError as e:  # e.g. locked by another process: one line
                log.error("alerter %s: %s", self.alerter, e)
                wait = POLL_SECONDS
            except Exception:
                log.exception("alerter %s: delivery worker error", self.alerter)
                wait = POLL_SECONDS
            self.wakeup.wait(min(max(wait, 0.01), POLL_SECONDS))
