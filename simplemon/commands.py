"""Run a monitor's ``recover_command`` / ``recovered_command`` on state changes.

Commands are split with shlex and run without a shell, with a timeout, on a background
thread so a slow command never delays checks.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping, Sequence

from simplemon import lazy_logging
from simplemon.config import Config
from simplemon.lazy_logging import get_logger
from simplemon.model import MonitorState, Snapshot, Status
from simplemon.processes import child_environment, exit_text

log = get_logger(__name__)

COMMAND_TIMEOUT = 60.0


def run_command(name: str, what: str, command: str, timeout: float) -> int | None:
    """Run ``command`` (shlex-split, no shell); return its exit code or None.

    The command runs in its own session with its output discarded (not piped: a
    daemon it starts would hold a pipe open and make it look hung), and a timeout
    kills its whole process group, not only the program itself.
    """
    # Imported on first use: most configs have no commands, and subprocess is a
    # noticeable part of the start-up time.
    import os  # noqa: PLC0415
    import shlex  # noqa: PLC0415
    import signal  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    try:
        argv = shlex.split(command)
        process = subprocess.Popen(  # noqa: S603 - argv list, never a shell
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=child_environment(),
            start_new_session=True,
        )
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        log.error("monitor %s: %s %r could not run: %s", name, what, command, e)
        return None
    try:
        returncode = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        log.error("monitor %s: %s still running after %gs; killed", name, what, timeout)
        return None
    level = lazy_logging.INFO if returncode == 0 else lazy_logging.WARNING
    log.log(level, "monitor %s: %s %s", name, what, exit_text(returncode))
    return returncode


class CommandRunner:
    """A round observer that starts recovery commands when a monitor fails or recovers.

    ``recover_command`` runs once when a monitor becomes FAILED (tolerance exceeded);
    ``recovered_command`` runs once when a FAILED monitor is OK again.
    """

    def __init__(
        self,
        config: Callable[[], Config],
        *,
        timeout: float = COMMAND_TIMEOUT,
        spawn: Callable[[Callable[[], object]], None] | None = None,
    ) -> None:
        self._config = config
        self.timeout = timeout
        self._spawn = spawn or _spawn_thread

    def after_round(
        self, snapshot: Snapshot, previous: Mapping[str, MonitorState]
    ) -> None:
        """Start the commands due for transitions in this round."""
        config = self._config()
        for monitor in snapshot.monitors:
            before = previous.get(monitor.name)
            if before is None or not monitor.ran:
                continue
            common = config.monitor(monitor.name).common
            for what, command in _due(before, monitor.state, common):
                self._start(monitor.name, what, command)

    def _start(self, name: str, what: str, command: str) -> None:
        timeout = self.timeout
        self._spawn(lambda: run_command(name, what, command, timeout))


def _due(
    before: MonitorState, after: MonitorState, common: object
) -> Sequence[tuple[str, str]]:
    recover = getattr(common, "recover_command", None)
    recovered = getattr(common, "recovered_command", None)
    # failed_at survives skips, so FAILED -> SKIPPED -> OK still counts as recovered.
    if recover and after.failed_at is not None and before.failed_at is None:
        return [("recover_command", recover)]
    if recovered and after.status is Status.OK and before.failed_at is not None:
        return [("recovered_command", recovered)]
    return []


def _spawn_thread(fn: Callable[[], object]) -> None:
    # Not a daemon: a command started just before exit still completes (it is
    # bounded by its own timeout), instead of being cut off mid-run.
    threading.Thread(target=fn, name="command", daemon=False).start()
