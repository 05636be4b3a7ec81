"""The command line's options: SimpleMonitor's flags, their parsing and their help.

Kept apart from cli.py (what a run does with them) so that each stays small.
"""

from __future__ import annotations

import argparse
import os
import sys

from simplemon import __version__, registry

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
#: SimpleMonitor's -l takes any name the logging module knows, in any case.
_LEVEL_ALIASES = {"warn": "warning", "fatal": "critical"}


def log_level(text: str) -> str:
    """Parse ``-l``: a level name in any case, ``warn`` and ``fatal`` included."""
    name = text.strip().lower()
    name = _LEVEL_ALIASES.get(name, name)
    if name not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(LOG_LEVELS)}")
    return name


def loop_limit(text: str) -> int | None:
    """Parse ``--loops``: as in SimpleMonitor, 0 or less means no limit."""
    try:
        loops = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a whole number, e.g. 10") from None
    return loops if loops > 0 else None


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (SimpleMonitor 1.15's options)."""
    p = argparse.ArgumentParser(
        prog="monitor.py",
        description="Check services and alert when they fail.",
        formatter_class=_help_formatter,
    )
    p.add_argument("--version", action="version", version=f"simplemon {__version__}")
    p.add_argument(
        "-f",
        "--config",
        default="monitor.ini",
        help="main config file (default monitor.ini in the current folder); it names "
        "the monitors file, monitors.ini beside it by default",
    )
    p.add_argument(
        "-t",
        "--test",
        action="store_true",
        help="validate the configuration and exit (0 valid, 2 invalid)",
    )
    p.add_argument(
        "-1",
        "--one-shot",
        action="store_true",
        help="run one round and exit (1 if any check failed)",
    )
    p.add_argument(
        "--loops",
        type=loop_limit,
        default=None,
        help="stop after this many rounds (0 or less: no limit)",
    )
    p.add_argument(
        "-j",
        "--threads",
        type=int,
        default=32,
        help="most checks running at once on worker threads (default 32); tcp and "
        "ping of IP addresses run on the probe loop instead",
    )
    p.add_argument("-p", "--pidfile", default=None, help="write the process id here")
    p.add_argument(
        "-N",
        "--no-network",
        action="store_true",
        help="accepted for compatibility; simplemon listens on no port",
    )
    p.add_argument(
        "--dump-known-resources",
        action="store_true",
        help="list monitor, logger and alerter types and exit",
    )
    out = p.add_argument_group("output controls")
    out.add_argument(
        "-v", "--verbose", action="store_true", help="log rounds and changes"
    )
    out.add_argument("-q", "--quiet", action="store_true", help="log errors only")
    out.add_argument("-d", "--debug", action="store_true", help="log everything")
    out.add_argument(
        "-l",
        "--log-level",
        default=None,
        type=log_level,
        metavar="LEVEL",
        help="debug, info, warn(ing), error or critical",
    )
    out.add_argument(
        "-C",
        "--no-colour",
        "--no-color",
        action="store_true",
        help="no colours in log output",
    )
    out.add_argument(
        "--no-timestamps",
        action="store_true",
        help="no timestamps in log output (e.g. under systemd)",
    )
    out.add_argument(
        "-H", "--no-heartbeat", action="store_true", help="no per-round summary line"
    )
    return p


def _help_formatter(prog: str) -> argparse.HelpFormatter:
    """Return argparse's own formatter, told the width it would look up itself.

    argparse makes a formatter for every ``add_argument`` and each one imports
    shutil (with bz2, lzma and zlib) for ``get_terminal_size()``: ~4 ms of every
    start, ``-1`` and ``-t`` included, for a width only ``--help`` uses.
    """
    return argparse.HelpFormatter(prog, width=terminal_columns() - 2)


def terminal_columns() -> int:
    """Return the width ``shutil.get_terminal_size()`` gives, without importing it.

    ``$COLUMNS`` if it is a positive number, else the width of the terminal on
    standard output, else 80.
    """
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        columns = 0
    return columns or 80


def dump_known_resources() -> None:
    """Print every plugin type with its one-line description."""
    for kind in ("monitor", "logger", "alerter"):
        print(f"{kind}s:")
        for name, cls in registry.known(kind):
            doc = (cls.__doc__ or "").strip().splitlines()
            print(f"  {name:10} {doc[0] if doc else ''}")
