"""The ``execute`` alerter: run a configured command per event, never through a shell.

Commands are split and checked at load time (alerters._command); values reach the
program only as whole argv items and SIMPLEMON_* environment variables, and every run
is bounded by ``timeout`` (the whole process group is killed when it expires).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import IO

from alerters._command import CommandTemplate, parse_command
from alerters._message import environment_name, one_line, substitutions
from simplemon.alerter import Alerter
from simplemon.errors import DeliveryError
from simplemon.model import AlertEvent, EventKind
from simplemon.options import opt
from simplemon.parsers import ParseContext
from simplemon.processes import child_environment, exit_text
from simplemon.record import record

#: catchup_command may name this instead of a command, as in SimpleMonitor.
SAME_AS_FAIL = "fail_command"
_STDERR_SHOWN = 300
#: Errors starting a program that retrying the same event cannot fix: its values
#: make the argument list too long. A program missing or not executable (ENOENT,
#: EACCES...) is a configuration or installation problem the admin can fix while
#: the alert waits, and the machine short of something (EMFILE, EAGAIN, ENOMEM)
#: passes: those stay queued and are tried again, under ``retry_for``.
_PERMANENT_START_ERRORS = frozenset({errno.E2BIG})
#: The options holding commands, in the order their problems are reported.
_COMMAND_KEYS = ("fail_command", "success_command", "catchup_command")


def command(text: str, ctx: ParseContext) -> CommandTemplate:
    """Accept a command line with known placeholders, checked for safety at load."""
    if text.strip() == SAME_AS_FAIL:
        return CommandTemplate(SAME_AS_FAIL, (), ())
    return parse_command(text)


@record
class ExecuteOptions:
    """Options of the execute alerter."""

    fail_command: CommandTemplate | None = opt(
        None, parser=command, multiline=True, help="run on failures and reminders"
    )
    success_command: CommandTemplate | None = opt(
        None, parser=command, multiline=True, help="run on recoveries"
    )
    catchup_command: CommandTemplate | None = opt(
        None,
        parser=command,
        multiline=True,
        help="run for failures held outside the alerter's hours; "
        "unset or `fail_command`: fail_command runs",
    )
    timeout: timedelta = opt(
        timedelta(seconds=30),
        min=timedelta(seconds=1),
        help="longest a command may run before it is killed",
    )

    def __post_init__(self) -> None:
        """Require at least one command and a fail_command to reuse."""
        if not (self.fail_command or self.success_command or self.catchup_command):
            raise ValueError(
                "execute needs fail_command, success_command or catchup_command"
            )
        if self.fail_command and self.fail_command.source == SAME_AS_FAIL:
            raise ValueError("fail_command cannot be `fail_command`")
        reuse = self.catchup_command and self.catchup_command.source == SAME_AS_FAIL
        if reuse and self.fail_command is None:
            raise ValueError("catchup_command = fail_command needs a fail_command")


class ExecuteAlerter(Alerter[ExecuteOptions]):
    """Run a command on failure, recovery or catch-up, with the details as arguments."""

    type_name = "execute"
    Options = ExecuteOptions

    def template(self, kind: EventKind) -> CommandTemplate | None:
        """Return the command configured for events of ``kind``, if any."""
        opts = self.options
        if kind is EventKind.RECOVERY:
            return opts.success_command
        if kind is EventKind.CATCHUP:
            # Unset, a held failure runs fail_command, as SimpleMonitor's does.
            catchup = opts.catchup_command
            if catchup is None or catchup.source == SAME_AS_FAIL:
                return opts.fail_command
            return catchup
        return opts.fail_command

    def handles(self, kind: EventKind) -> bool:
        """Return whether a command is configured for ``kind``."""
        return self.template(kind) is not None

    def build(self, event: AlertEvent) -> tuple[list[str], dict[str, str]]:
        """Return the argv and the environment for ``event``; no I/O."""
        template = self.template(event.kind)
        if template is None:
            raise DeliveryError(
                f"alerter {self.name}: no command for {event.kind.value} events",
                permanent=True,
            )
        values = substitutions(event, tz=self._tz())
        return template.render(values), self.environment(event, values)

    def environment(
        self, event: AlertEvent, values: Mapping[str, str]
    ) -> dict[str, str]:
        """Return the environment for commands plus the SIMPLEMON_* variables."""
        env = child_environment()  # less the secrets simplemon read (%env:)
        env.update({environment_name(k): v for k, v in values.items()})
        env["SIMPLEMON_EVENT"] = event.kind.value
        env["SIMPLEMON_EVENT_ID"] = event.event_id
        return env

    def send(self, event: AlertEvent) -> None:
        """Run the command once; raise DeliveryError if it cannot start, fails or hangs.

        Everything is transient (the event stays queued and is retried under
        ``retry_for``): a missing or non-executable program (the admin can fix it
        while the alert waits), a non-zero exit status, a timeout, a shortage (no
        free descriptor, process or memory). Only an argument list too long for the
        system is permanent: retrying the same event cannot shorten it.
        """
        argv, env = self.build(event)
        timeout = self.options.timeout.total_seconds()
        # stderr goes to a file, not a pipe: a child the command leaves running in
        # the background keeps a pipe open, and waiting for its end would call a
        # command that finished "hung" and run it again. The file also bounds the
        # memory a very talkative command costs to the tail that is shown.
        try:
            err = tempfile.TemporaryFile()  # noqa: SIM115 - closed by "with err" below
        except OSError as e:
            raise DeliveryError(
                f"alerter {self.name}: cannot start {argv[0]}: no temporary file "
                f"for its stderr: {e.strerror or e}"
            ) from e
        with err:
            try:
                process = subprocess.Popen(  # noqa: S603 - argv list, no shell
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    env=env,
                    start_new_session=True,
                )
            except OSError as e:
                raise DeliveryError(
                    f"alerter {self.name}: cannot run {argv[0]}: {e.strerror or e}",
                    permanent=e.errno in _PERMANENT_START_ERRORS,
                ) from e
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(process)
                raise DeliveryError(
                    f"alerter {self.name}: {argv[0]} still running after "
                    f"{timeout:g}s; killed"
                ) from None
            if process.returncode != 0:
                tail = one_line(_tail(err).decode("utf-8", "replace"))
                tail = tail[-_STDERR_SHOWN:]
                raise DeliveryError(
                    f"alerter {self.name}: {argv[0]} {exit_text(process.returncode)}"
                    + (f": {tail}" if tail else "")
                )

    def problems(self) -> list[str]:
        """Name each command whose program cannot be started now; no process runs."""
        found = []
        env = child_environment()
        for key in _COMMAND_KEYS:
            template = getattr(self.options, key)
            if template is None or template.source == SAME_AS_FAIL:
                continue
            problem = program_problem(template.program, os.get_exec_path(env))
            if problem:
                found.append(f"{key}: {problem}")
        return found

    def _tz(self) -> str:
        tz = getattr(self.common, "tz", None)
        return tz if isinstance(tz, str) else "UTC"

    def describe(self) -> str:
        """Summarise which events run a command."""
        kinds = [k.value for k in EventKind if self.handles(k)]
        return "running commands on " + ", ".join(kinds)


def program_problem(program: str, search_path: Sequence[str]) -> str | None:
    """Say why ``program`` could not be started as the alerter starts it, or None.

    A name with a slash is a path (relative ones from the working directory), any
    other name is looked up in ``search_path`` (the command's PATH), as
    ``subprocess`` does. Only looks at files: nothing is run.
    """
    if "/" in program:
        candidates = [program]
        where = "" if program.startswith("/") else f" (from {os.getcwd()})"
    else:
        candidates = [os.path.join(folder or ".", program) for folder in search_path]
        where = " in PATH"
    found = [c for c in candidates if os.path.exists(c)]
    if any(_runnable(c) for c in found):
        return None
    if not found:
        return f"program {program} not found{where}"
    first = found[0]
    why = "is a folder" if os.path.isdir(first) else "is not executable"
    shown = program if first == program else f"{program} ({first})"
    return f"program {shown} {why}"


def _runnable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _tail(file: IO[bytes], size: int = 4 * _STDERR_SHOWN) -> bytes:
    """Return the last ``size`` bytes written to ``file``."""
    end = file.seek(0, os.SEEK_END)
    file.seek(max(0, end - size))
    return file.read()


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    # The command may have started children (sh -c does): a hung command's whole
    # group goes, not only the program itself.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
