"""The html logger's ``upload_command``, run beside the rounds instead of inside them.

A round starts the command and goes on; the next round (or the stop) looks at how it
ended. A command still running when the next page is written is left to finish (the
page it publishes is at most one round old) unless it has run past its timeout; then
its whole process group is killed. So a hung ``rsync`` or ``ssh`` never holds up the
checks or the alerts.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import tempfile
import time
from typing import IO

from simplemon.errors import DeliveryError
from simplemon.processes import child_environment, exit_text


class Upload:
    """At most one run of the command at a time; a failure is raised until a success."""

    def __init__(self, command: str, timeout: float) -> None:
        self.argv = shlex.split(command)
        self.timeout = timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._started = 0.0
        self._err: IO[bytes] | None = None
        #: How the last run failed, until a run succeeds.
        self._failure: str | None = None

    def start(self) -> None:
        """Start the command unless the last one still runs; raise how it ended.

        Raises:
            DeliveryError: the previous run failed or ran past its timeout (it is
                killed and a new run started), or the command cannot be started.
        """
        try:
            self._finish(wait=0.0)
        except DeliveryError as e:
            self._failure = str(e)
            self._spawn()
            raise
        if self._process is None:
            self._spawn()
        if self._failure is not None:
            # Starting another run is not success: the problem lasts (and is
            # logged once) until a run finishes well.
            raise DeliveryError(self._failure)

    def close(self, wait: float | None = None) -> None:
        """Wait for a running command (up to what is left of its timeout).

        Raises:
            DeliveryError: it failed, or was still running and was killed.
        """
        remaining = self.timeout - (time.monotonic() - self._started)
        self._finish(wait=max(0.0, remaining if wait is None else wait))

    def _spawn(self) -> None:
        # stderr goes to a file, not a pipe: a child the command leaves running (ssh
        # behind rsync) would hold a pipe open and make a finished command "time
        # out". Its own session lets a timeout kill the whole group, not only argv[0].
        err = tempfile.TemporaryFile()  # noqa: SIM115 - closed in _finish
        try:
            self._process = subprocess.Popen(  # noqa: S603 - argv from config, no shell
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=child_environment(),
                start_new_session=True,
            )
        except OSError as e:
            err.close()
            raise DeliveryError(f"upload_command {self.argv[0]} failed: {e}") from e
        self._err = err
        self._started = time.monotonic()

    def _finish(self, wait: float) -> None:
        """Reap the last run if it ended (or is overdue); raise if it failed."""
        process = self._process
        if process is None:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            if time.monotonic() - self._started < self.timeout and wait == 0.0:
                return  # still within its time: let it finish
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            self._forget()
            raise DeliveryError(
                f"upload_command {self.argv[0]} still running after "
                f"{self.timeout:g}s; killed"
            ) from None
        tail = self._tail() if process.returncode != 0 else ""
        self._forget()
        if process.returncode == 0:
            self._failure = None
        else:
            raise DeliveryError(
                f"upload_command {self.argv[0]} {exit_text(process.returncode)}: {tail}"
            )

    def _tail(self) -> str:
        err = self._err
        if err is None:
            return ""
        err.seek(max(0, err.seek(0, os.SEEK_END) - 800))
        # One line: the tail ends up in a log line (no forged lines).
        return " ".join(err.read().decode(errors="replace").split())[-200:]

    def _forget(self) -> None:
        self._process = None
        if self._err is not None:
            self._err.close()
            self._err = None
