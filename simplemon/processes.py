"""What commands simplemon runs are given, and how their end is told.

Python reports a command killed by a signal as a negative exit code: "exited with
-9" reads like a program's own error, and an OOM kill or a stray ``kill`` is then
looked for in the wrong place.

Commands (alerts, recover commands, uploads) get simplemon's environment, less the
variables the configuration read as secrets (``password = %env:SMTP_PASSWORD%``):
those were given to simplemon for its own use.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable

_hidden: frozenset[str] = frozenset()
_hidden_lock = threading.Lock()


def hide_from_children(names: Iterable[str]) -> None:
    """Keep these environment variables from every command started from now on.

    Names only ever add up: a reload that stops using a secret does not hand it on.
    """
    global _hidden  # noqa: PLW0603 - one environment per process
    with _hidden_lock:
        _hidden = _hidden | frozenset(names)


def child_environment() -> dict[str, str]:
    """Return the environment for a command: this process's, less the secrets."""
    hidden = _hidden
    return {k: v for k, v in os.environ.items() if k not in hidden}


def exit_text(returncode: int) -> str:
    """Return ``exited with 3`` or ``was killed by signal 9 (SIGKILL)``."""
    if returncode >= 0:
        return f"exited with {returncode}"
    import signal  # noqa: PLC0415 - only a killed command needs its name (-1 never)

    number = -returncode
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"was killed by signal {number}"
    return f"was killed by signal {number} ({name})"
