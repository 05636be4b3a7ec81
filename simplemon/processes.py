"""How a finished command ended, in words a log reader understands.

Python reports a command killed by a signal as a negative exit code: "exited with
-9" reads like a program's own error, and an OOM kill or a stray ``kill`` is then
looked for in the wrong place.
"""

from __future__ import annotations

import signal


def exit_text(returncode: int) -> str:
    """Return ``exited with 3`` or ``was killed by signal 9 (SIGKILL)``."""
    if returncode >= 0:
        return f"exited with {returncode}"
    number = -returncode
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"was killed by signal {number}"
    return f"was killed by signal {number} ({name})"
