"""Console log output: levels from the command line, credentials masked, colours.

The set-up is deferred until a line is to be written (lazy_logging): a quiet run
that logs nothing never imports ``logging``. The formatters are in console_format.
"""

from __future__ import annotations

import sys
from typing import Any

from simplemon import lazy_logging


def setup_logging(args: Any) -> None:
    """Configure the root logger from the output options (on first use)."""
    # As in SimpleMonitor, -q, -v and -d (in that order) win over -l.
    levels = lazy_logging.LEVELS
    level = levels[args.log_level.upper()] if args.log_level else lazy_logging.INFO
    if args.quiet:
        level = lazy_logging.ERROR
    if args.verbose:
        level = lazy_logging.INFO
    if args.debug:
        level = lazy_logging.DEBUG
    fmt = "%(levelname)s %(name)s: %(message)s"
    if not args.no_timestamps:
        fmt = "%(asctime)s " + fmt
    colour = not args.no_colour and sys.stderr.isatty()

    def install() -> None:
        from simplemon.console_format import install  # noqa: PLC0415 (lazy_logging)

        install(level, fmt, colour)

    lazy_logging.configure(level, install)
