"""Process start for ``monitor.py`` (and the ``simplemon`` command).

Starting allocates hundreds of thousands of objects that live until the process
ends: modules, the config of every monitor, a ``-1`` round's results. Python's
collector makes a pass every 700 new objects and walks each of those survivors
again at each older-generation pass: ~10-20 ms of a 1,000-monitor ``-1``, a tenth
of its run (issue 5). So until the daemon's loop starts, a young pass comes every
50,000 new objects; a ``-1`` or ``-t`` keeps that to its end (at most a few MB more
at 10,000 monitors, all failing; measured in docs/performance.md). The daemon
gets Python's own thresholds back before its first round (:func:`restore`).

Only the process entry points call :func:`relax`: a program that calls
``cli.main()`` itself (the tests) keeps its own collector settings.
"""

from __future__ import annotations

import gc
from typing import NoReturn

#: The thresholds the process started with (Python's default: 700, 10, 10).
DEFAULT = gc.get_threshold()
#: While starting: a young-generation pass every 50,000 new objects.
STARTING = (50_000, 10, 10)


def relax() -> None:
    """Collect less often while the process starts (see the module docstring)."""
    gc.set_threshold(*STARTING)


def restore() -> None:
    """Give the collector back the thresholds the process started with."""
    gc.set_threshold(*DEFAULT)


def run() -> NoReturn:
    """Run simplemon from the command line and exit with its status."""
    relax()  # before the imports below: they are a third of the objects
    from simplemon.cli import exit_now, main  # noqa: PLC0415

    exit_now(main())
