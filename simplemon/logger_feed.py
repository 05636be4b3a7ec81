"""Each result logger writes beside the rounds, on a thread of its own.

A logger whose write hangs (a log file on a hard-mounted NFS share that went away, a
database another program keeps locked) must never stop the checks and alerts of
later rounds. The round's thread only hands its snapshot over; each logger's thread
writes them in order, one at a time, and is the only one ever to call that logger's
``write``, ``reopen`` and ``close`` (a replaced instance is closed there too, before
its successor's first write).

While a logger is stuck its rounds wait in a bounded backlog (``Backlog``, no threads
and no I/O, so its decisions are tested with a fake clock):

- a logger that records history (logfile, db) keeps every round, up to
  ``history_limit`` of them; beyond that the oldest are dropped;
- a logger that shows the current status (html, json, dbstatus; ``ResultLogger.
  every_round`` False) keeps only the latest round.

One WARNING says when a logger falls behind (a second round comes while one has
waited a second or more), one when rounds start being dropped, and one when it has
caught up, with counts; never a line per round.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from simplemon import fanout
from simplemon.lazy_logging import get_logger
from simplemon.logger_backlog import Backlog, plural
from simplemon.model import Snapshot, Status
from simplemon.sections import PluginConfig

log = get_logger(__name__)

#: Seconds a stopping daemon waits for its loggers (``-1`` waits 15, as for alerts).
STOP_WAIT_SECONDS = 5.0


class Feed:
    """One logger's thread: writes its rounds in order, then reopens and closes it."""

    def __init__(
        self,
        logger: PluginConfig,
        problems: fanout.Problems,
        clock: Callable[[], float],
    ) -> None:
        self.logger = logger
        self.name = logger.name
        self.problems = problems
        every_round = getattr(logger.plugin, "every_round", True)
        self.backlog = Backlog(logger.name, every_round=every_round, clock=clock)
        self._cond = threading.Condition()
        self._retired: list[PluginConfig] = []  # replaced instances, to be closed
        self._reopen = False
        self._finishing = False
        self._stopped_at: datetime | None = None  # a final stop: call ``stopped``
        self._thread: threading.Thread | None = None
        self.finished = threading.Event()

    def put(self, snapshot: Snapshot) -> None:
        """Hand over one round's snapshot (already filtered to the logger's groups)."""
        with self._cond:
            lines = self.backlog.put(snapshot)
            self._cond.notify()
        for line in lines:
            log.warning("%s", line)
        self._run()

    def replace(self, logger: PluginConfig) -> None:
        """Write later rounds with ``logger`` (a reload's instance, same settings)."""
        with self._cond:
            self._retired.append(self.logger)
            self.logger = logger
            self._cond.notify()
        self._run()

    def reopen(self) -> None:
        """Reopen the logger's files before its next write (log rotation)."""
        with self._cond:
            self._reopen = True
            self._cond.notify()
        self._run()

    def finish(
        self, *, keep_waiting: bool = True, stopped_at: datetime | None = None
    ) -> None:
        """Write what waits (or drop it), close the logger and end the thread.

        With ``stopped_at`` (the daemon stops for good) the logger's ``stopped`` is
        called between its last write and its close.
        """
        with self._cond:
            self._finishing = True
            self._stopped_at = stopped_at
            if not keep_waiting:
                self.backlog.waiting.clear()
            self._cond.notify()
        self._run()

    def idle(self) -> bool:
        """Whether nothing waits or runs (for tests: writes are done)."""
        with self._cond:
            return self.finished.is_set() or not (
                self.backlog.waiting
                or self.backlog.doing
                or self._retired
                or self._reopen
                or self._finishing
            )

    def closing_time(self) -> float:
        """Seconds the logger's ``close`` may need (an html upload's timeout)."""
        allowance = getattr(self.logger.plugin, "closing_time", None)
        return float(allowance()) if allowance is not None else 0.0

    def stuck(self, waited: float) -> None:
        """Log that the logger is still busy after ``waited`` seconds of a stop."""
        with self._cond:
            doing = self.backlog.doing or "busy"
            unwritten = self.backlog.unwritten()
        log.error(
            "logger %s: still at %s after waiting %.1fs (a hung file system or "
            "upload?); stopping without it: %s not written",
            self.name,
            doing,
            waited,
            plural(unwritten, "round"),
        )

    def _run(self) -> None:
        """Start the thread if it is not running; without one, work here."""
        if self._thread is not None or self.finished.is_set():
            return
        # Noted before it starts: a signal handler running between the two (a
        # second SIGTERM) must not start a second thread for this logger.
        self._thread = threading.Thread(
            target=self._work, name=f"logger-{self.name}", daemon=True
        )
        try:
            self._thread.start()
        except RuntimeError as e:  # a thread or pids limit: write here, as before
            self._thread = None
            log.debug("logger %s: no thread (%s); writing on the round's", self.name, e)
            self._work(inline=True)

    def _next(self) -> tuple[PluginConfig, str, tuple[object, ...]] | None:
        """Return the next job as (logger, what, arguments); called with the lock."""
        if self._retired:
            self.backlog.start("close")
            return self._retired.pop(0), "close", ()
        if self._reopen:
            self._reopen = False
            self.backlog.start("reopen")
            return self.logger, "reopen", ()
        snapshot = self.backlog.take()
        if snapshot is not None:
            return self.logger, "write", (snapshot,)
        if self._finishing and self._stopped_at is not None:
            at, self._stopped_at = self._stopped_at, None
            self.backlog.start("stopped")
            return self.logger, "stopped", (at,)
        if self._finishing:
            self.backlog.start("close")
            return self.logger, "close", ()
        return None

    def _work(self, *, inline: bool = False) -> None:
        """Do the jobs in order; the thread never ends before ``finish``."""
        while True:
            with self._cond:
                job = self._next()
                while job is None:
                    if inline:
                        return
                    self._cond.wait()
                    job = self._next()
            logger, what, args = job
            call = getattr(logger.plugin, what, None)
            if call is not None:  # a failed write or stopped page counts as a problem
                counted = self.problems if what in ("write", "stopped") else None
                fanout.guarded(logger, what, call, *args, problems=counted)
            with self._cond:
                line = self.backlog.done()
                last = what == "close" and logger is self.logger
            if line is not None:
                log.warning("%s", line)
            if last:
                self.finished.set()
                return


class LoggerFeeds:
    """Every configured logger's Feed; used from the round's (main) thread only."""

    def __init__(
        self,
        loggers: Iterable[PluginConfig],
        *,
        problems: fanout.Problems | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.problems = problems or fanout.Problems()
        self.clock = clock
        self._loggers = list(loggers)
        self._feeds: dict[str, Feed] = {}
        self._leaving: list[Feed] = []  # removed or changed by a reload, finishing

    def _feed(self, logger: PluginConfig) -> Feed:
        feed = self._feeds.get(logger.name)
        if feed is None:
            feed = self._feeds[logger.name] = Feed(logger, self.problems, self.clock)
        return feed

    def hand_off(self, snapshot: Snapshot, statuses: Mapping[str, Status]) -> None:
        """Give each logger this round (as fanout.write_all decides); never waits."""
        for logger, mine in fanout.recipients(self._loggers, snapshot, statuses):
            self._feed(logger).put(mine)

    def reload(self, loggers: Iterable[PluginConfig]) -> None:
        """Switch to a reload's loggers; the replaced ones are closed beside the rounds.

        A logger of the same name, type and options continues the old one's feed:
        the rounds waiting for it are written by the new instance, after the old one
        has finished its write and been closed (a log file is never written by two
        at once, and the order of its lines is kept). A logger removed or changed
        writes what waits for it (a status page: nothing, it is outdated) and closes.
        """
        self._loggers = list(loggers)
        new = {logger.name: logger for logger in self._loggers}
        for name, feed in list(self._feeds.items()):
            logger = new.get(name)
            if logger is not None and _same(feed.logger, logger):
                feed.replace(logger)
                continue
            del self._feeds[name]
            feed.finish(keep_waiting=feed.backlog.every_round)
            self._leaving.append(feed)
        self._leaving = [f for f in self._leaving if not f.finished.is_set()]

    def reopen(self) -> None:
        """Ask every logger to reopen its files before its next write."""
        for logger in self._loggers:
            if logger.common.enabled:  # a disabled one opened nothing
                self._feed(logger).reopen()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every logger has done what it was given; return whether so."""
        deadline = time.monotonic() + timeout
        feeds = [*self._feeds.values(), *self._leaving]
        while not all(feed.idle() for feed in feeds):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self, wait: float, *, stopped_at: datetime | None = None) -> list[str]:
        """Write what waits and close every logger, waiting ``wait`` seconds at most.

        With ``stopped_at`` (the daemon stops for good) each enabled logger's
        ``stopped`` is called before its ``close``. A logger gets its
        ``closing_time`` on top. Returns the names of the loggers still busy (each
        logged as an error); their threads are left behind, and do not keep the
        process from exiting.
        """
        for logger in self._loggers:
            self._feed(logger)  # a logger never written is closed too
        current = [f for f in self._feeds.values() if f.logger.common.enabled]
        feeds = [*self._feeds.values(), *self._leaving]
        self._feeds, self._leaving = {}, []
        for feed in feeds:  # one a reload removed is not told: not ours any more
            feed.finish(stopped_at=stopped_at if feed in current else None)
        start = time.monotonic()
        stuck = []
        for feed in feeds:
            left = start + wait + feed.closing_time() - time.monotonic()
            if not feed.finished.wait(max(0.0, left)):
                feed.stuck(time.monotonic() - start)
                stuck.append(feed.name)
        return stuck


def _same(old: PluginConfig, new: PluginConfig) -> bool:
    """Whether a reload kept this logger as it was (same type and options)."""
    if old.type_name != new.type_name:
        return False
    try:
        return bool(old.plugin.options == new.plugin.options)
    except Exception:
        return False
