"""The long-running mode: signals, pid file, reloads (SIGHUP or hup_file), heartbeat.

Signal handlers take no lock and log nothing: a handler runs on the main thread
between any two bytecodes, maybe inside ``Event.set`` or a log write of the code it
interrupted (or of the previous handler, in a storm of SIGHUPs), and taking the
same lock there would freeze the daemon for good. They write the signal number to a
pipe; a relay thread sets the Events and logs. Reloads happen between rounds on the
main thread.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from simplemon.lazy_logging import get_logger
from simplemon.logger_feed import STOP_WAIT_SECONDS
from simplemon.paths import write_atomic
from simplemon.round import RoundReport
from simplemon.scheduler import Scheduler

if TYPE_CHECKING:
    from simplemon.config import Config
    from simplemon.notifier import Notifier

log = get_logger("simplemon")
#: After ``--loops`` rounds, how long to wait for queued alerts (as ``-1`` does).
LOOPS_DRAIN_SECONDS = 15.0


class _StopNow(BaseException):  # not an Exception: no "except Exception" keeps it
    """Raised by a second SIGTERM/SIGINT to leave the round being run."""


class Daemon:
    """The long-running mode: signals, pid file, reloads, heartbeat."""

    def __init__(
        self,
        args: Any,
        scheduler: Scheduler,
        notifier: Notifier,
        *,
        load: Callable[[str], Config | None],
        shutdown: Callable[[], None],
        hup_before_start: Callable[[], bool] = lambda: False,
    ) -> None:
        self.args = args
        self.hup_before_start = hup_before_start
        self.scheduler = scheduler
        self.notifier = notifier
        self.load = load
        self.shutdown = shutdown
        self.stop = threading.Event()
        self.reload_requested = threading.Event()
        self.pidfile = (
            Path(args.pidfile) if args.pidfile else scheduler.config.main.pidfile
        )
        self.hup_mtime = self._hup_mtime()
        #: While True a second stop signal interrupts the round (see _on_stop).
        self._interruptible = False
        self._stop_signalled = False
        self._relay_fd: int | None = None
        self._pidfile_written = False

    def run(self) -> int:
        """Loop until a signal or ``--loops``; return 0 if stopped cleanly, else 1."""
        try:
            self._relay_fd = _start_relay(self._relayed)
        except RuntimeError as e:  # a thread or pids limit: no signal could be acted on
            log.error("cannot start the signal-handling thread: %s; not starting", e)
            self.shutdown()
            return 1
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_hup)
        if self.hup_before_start():  # noted during start-up: the files may be new
            self.reload_requested.set()
        self._write_pidfile()
        try:
            self._interruptible = True
            self.scheduler.run_forever(
                self.stop,
                loops=self.args.loops,
                between_rounds=self._between_rounds,
                on_round=self._heartbeat,
            )
            if not self.stop.is_set():
                # --loops reached, not a signal: as in SimpleMonitor, whose alerts go
                # out within the round, the last round's alerts are sent before exit.
                self._drain()
        except _StopNow:
            # The round is dropped unsaved: the next start decides it again.
            log.warning("second stop signal: stopping now, without finishing the round")
        finally:
            self._interruptible = False
            # A signal waits briefly for a hung logger; --loops as long as -1 does.
            self.scheduler.close_loggers(
                STOP_WAIT_SECONDS if self.stop.is_set() else LOOPS_DRAIN_SECONDS,
                final=True,  # a status page says the monitor is gone
            )
            self.shutdown()
            self._remove_pidfile()
            fd, self._relay_fd = self._relay_fd, None
            if fd is not None:
                os.close(fd)  # ends the relay thread
        log.info("stopped")
        return 0

    def _drain(self) -> None:
        if not self.notifier.dispatcher.drain(LOOPS_DRAIN_SECONDS):
            log.warning("alerts still queued; they will be sent by the next run")

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        """First signal: finish the round, then stop. Second: stop now.

        Leaving a round half done loses nothing: its states and alerts were not
        saved, so the next start checks and decides again from the last saved ones.
        """
        if self._stop_signalled and self._interruptible:
            self._interruptible = False
            raise _StopNow
        self._stop_signalled = True
        self._relay(signum)

    def _on_hup(self, signum: int, frame: FrameType | None) -> None:
        self._relay(signum)

    def _relay(self, signum: int) -> None:
        """Hand the signal to the relay thread; only a write(2), no lock."""
        if self._relay_fd is not None:
            # Full pipe: the relay has this signal number queued already.
            with contextlib.suppress(BlockingIOError):
                os.write(self._relay_fd, bytes([signum]))

    def _relayed(self, signum: int) -> None:
        """Act on a signal, on the relay thread."""
        if signum == signal.SIGHUP:
            self.reload_requested.set()
        elif not self.stop.is_set():
            log.info("received signal %d, stopping after this round", signum)
            self.stop.set()

    def _hup_mtime(self) -> float | None:
        hup = self.scheduler.config.main.hup_file
        try:
            return hup.stat().st_mtime if hup is not None else None
        except OSError:
            return None

    def _between_rounds(self) -> bool:
        """Reload if asked to; return whether a new configuration is in use."""
        mtime = self._hup_mtime()
        if mtime != self.hup_mtime:
            self.hup_mtime = mtime
            if mtime is not None:
                self.reload_requested.set()
        if self.reload_requested.is_set():
            self.reload_requested.clear()
            return self.reload()
        return False

    def reload(self) -> bool:
        """Reload the configuration; on errors keep running the old one.

        Returns whether the new configuration is in use.
        """
        log.info("reloading configuration from %s", self.args.config)
        config = self.load(self.args.config)
        if config is None:  # ``load`` logged why
            self.scheduler.reopen_loggers()
            return False
        old_hup = self.scheduler.config.main.hup_file
        self._warn_about_restart_only(self.scheduler.config, config)
        self.scheduler.reload(config)
        self.notifier.reload(config)  # alerters and monitor options for alerting
        if config.main.hup_file != old_hup:
            # This reload read the files: only a later touch of the new one counts.
            self.hup_mtime = self._hup_mtime()
        self.scheduler.reopen_loggers()
        log.info("configuration reloaded: %d monitors", len(config.monitors))
        return True

    def _warn_about_restart_only(self, old: Config, new: Config) -> None:
        """Say so when a reload changes a path only a restart can switch to.

        The state file holds the outages and the queued alerts: a daemon switching
        files mid-run would lose or duplicate them; the pid file is written once.
        """
        if old.main.state_file != new.main.state_file:
            log.warning(
                "[monitor] state_file changed to %s: still using %s until simplemon "
                "is restarted (move the old file there first to keep the monitors' "
                "states and queued alerts)",
                new.main.state_file,
                old.main.state_file,
            )
        if not self.args.pidfile and old.main.pidfile != new.main.pidfile:
            log.warning(  # -p wins over the configuration: nothing changes then
                "[monitor] pidfile changed to %s: still using %s until simplemon is "
                "restarted",
                new.main.pidfile or "(none)",
                self.pidfile or "(none)",
            )

    def _heartbeat(self, report: RoundReport) -> None:
        if self.args.no_heartbeat:
            return
        log.info(
            "round %d: %d checked, %d failing, %d skipped (%.2fs)",
            report.number,
            len(report.ran) - len(report.skipped),  # a skipped monitor was not checked
            len(report.failed),
            len(report.skipped),
            report.duration,
        )

    def _write_pidfile(self) -> None:
        if self.pidfile is not None:
            try:
                # Its folder is created as the loggers' and the state file's are.
                self.pidfile.parent.mkdir(parents=True, exist_ok=True)
                # Never through a symlink planted in a shared folder such as /tmp.
                write_atomic(self.pidfile, f"{os.getpid()}\n")
            except OSError as e:
                log.error("cannot write pid file %s: %s", self.pidfile, e)
            else:
                self._pidfile_written = True

    def _remove_pidfile(self) -> None:
        """Remove the pid file this process wrote; leave any other path alone."""
        if self.pidfile is None or not self._pidfile_written:
            return
        try:
            self.pidfile.unlink(missing_ok=True)
        except OSError as e:
            log.error("cannot remove pid file %s: %s", self.pidfile, e)


def _start_relay(act: Callable[[int], None]) -> int:
    """Start the thread that acts on signal numbers; return the pipe's write end."""
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)

    def relay() -> None:
        try:
            while data := os.read(read_fd, 64):
                for signum in data:
                    act(signum)
        finally:
            os.close(read_fd)

    threading.Thread(target=relay, name="signals", daemon=True).start()
    return write_fd
