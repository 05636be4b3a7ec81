"""The command line's options: SimpleMonitor's flags, their parsing and their help.

Kept apart from cli.py (what a run does with them) so that each stays small.
"""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from simplemon import __version__, registry

if TYPE_CHECKING:
    import argparse

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
#: SimpleMonitor's -l takes any name the logging module knows, in any case.
_LEVEL_ALIASES = {"warn": "warning", "fatal": "critical"}


def _usage_error(message: str) -> Exception:
    import argparse  # noqa: PLC0415 - see parse_args

    return argparse.ArgumentTypeError(message)


def log_level(text: str) -> str:
    """Parse ``-l``: a level name in any case, ``warn`` and ``fatal`` included."""
    name = text.strip().lower()
    name = _LEVEL_ALIASES.get(name, name)
    if name not in LOG_LEVELS:
        raise _usage_error(f"expected one of {', '.join(LOG_LEVELS)}")
    return name


def loop_limit(text: str) -> int | None:
    """Parse ``--loops``: as in SimpleMonitor, 0 or less means no limit."""
    try:
        loops = int(text)
    except ValueError:
        raise _usage_error("expected a whole number, e.g. 10") from None
    return loops if loops > 0 else None


class Flag:
    """One command-line option, declared once for argparse and the quick parser."""

    __slots__ = ("default", "dest", "flags", "group", "help", "metavar", "type")

    def __init__(
        self,
        *flags: str,
        help: str,
        type: Callable[[str], Any] | None = None,
        default: Any = False,
        metavar: str | None = None,
        group: str | None = None,
    ) -> None:
        self.flags = flags
        named = [f for f in flags if f.startswith("--")] or flags  # as argparse
        self.dest = named[0].lstrip("-").replace("-", "_")
        self.help = help
        self.type = type  # None: a switch (store_true)
        self.default = default
        self.metavar = metavar
        self.group = group


OUTPUT = "output controls"
#: SimpleMonitor 1.15's options (--version and -h/--help are argparse's own).
FLAGS = (
    Flag(
        "-f",
        "--config",
        type=str,
        default="monitor.ini",
        help="main config file (default monitor.ini in the current folder); it names "
        "the monitors file, monitors.ini beside it by default",
    ),
    Flag(
        "-t", "--test", help="validate the configuration and exit (0 valid, 2 invalid)"
    ),
    Flag("-1", "--one-shot", help="run one round and exit (1 if any check failed)"),
    Flag(
        "--loops",
        type=loop_limit,
        default=None,
        help="stop after this many rounds (0 or less: no limit)",
    ),
    Flag(
        "-j",
        "--threads",
        type=int,
        default=32,
        help="most checks running at once on worker threads (default 32); tcp and "
        "ping of IP addresses run on the probe loop instead",
    ),
    Flag("-p", "--pidfile", type=str, default=None, help="write the process id here"),
    Flag(
        "-N",
        "--no-network",
        help="accepted for compatibility; simplemon listens on no port",
    ),
    Flag(
        "--dump-known-resources",
        help="list monitor, logger and alerter types and exit",
    ),
    Flag("-v", "--verbose", help="log rounds and changes", group=OUTPUT),
    Flag("-q", "--quiet", help="log errors only", group=OUTPUT),
    Flag("-d", "--debug", help="log everything", group=OUTPUT),
    Flag(
        "-l",
        "--log-level",
        type=log_level,
        default=None,
        metavar="LEVEL",
        help="debug, info, warn(ing), error or critical",
        group=OUTPUT,
    ),
    Flag(
        "-C",
        "--no-colour",
        "--no-color",
        help="no colours in log output",
        group=OUTPUT,
    ),
    Flag(
        "--no-timestamps",
        help="no timestamps in log output (e.g. under systemd)",
        group=OUTPUT,
    ),
    Flag("-H", "--no-heartbeat", help="no per-round summary line", group=OUTPUT),
)
_BY_NAME = {name: flag for flag in FLAGS for name in flag.flags}


def parse_args(argv: Sequence[str] | None = None) -> Any:
    """Return the parsed options (attributes named as argparse names them).

    Plain command lines (``-f monitor.ini -1 -q``: known options given whole, each
    value in the next word) are read here; anything else, ``--help``, a mistake,
    an abbreviation or ``--opt=value``, goes to argparse, which gives its own
    answers and messages. Importing argparse and building its parser is ~5 ms of
    every start (issue 5).
    """
    words = sys.argv[1:] if argv is None else list(argv)
    quick = _quick_parse(words)
    return quick if quick is not None else build_parser().parse_args(words)


def _quick_parse(words: list[str]) -> types.SimpleNamespace | None:
    """Parse a plain command line as argparse would; None when it is not plain."""
    values = {flag.dest: flag.default for flag in FLAGS}
    i = 0
    while i < len(words):
        flag = _BY_NAME.get(words[i])
        if flag is None:
            return None
        if flag.type is None:
            values[flag.dest] = True
            i += 1
            continue
        if i + 1 == len(words) or words[i + 1].startswith("-"):
            return None  # argparse decides what a dash-word next to an option is
        try:
            values[flag.dest] = flag.type(words[i + 1])
        except Exception:
            return None
        i += 2
    return types.SimpleNamespace(**values)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (SimpleMonitor 1.15's options)."""
    import argparse  # noqa: PLC0415 - see parse_args

    p = argparse.ArgumentParser(
        prog="monitor.py",
        description="Check services and alert when they fail.",
        formatter_class=_help_formatter,
    )
    p.add_argument("--version", action="version", version=f"simplemon {__version__}")
    groups: dict[str | None, Any] = {None: p}
    for flag in FLAGS:
        if flag.group not in groups:
            groups[flag.group] = p.add_argument_group(flag.group)
        options: dict[str, Any] = {"help": flag.help, "default": flag.default}
        if flag.type is None:
            options["action"] = "store_true"
        elif flag.type is not str:
            options["type"] = flag.type
        if flag.metavar:
            options["metavar"] = flag.metavar
        groups[flag.group].add_argument(*flag.flags, **options)
    return p


def _help_formatter(prog: str) -> argparse.HelpFormatter:
    """Return argparse's own formatter, told the width it would look up itself.

    argparse makes a formatter for every ``add_argument`` and each one imports
    shutil (with bz2, lzma and zlib) for ``get_terminal_size()``: ~4 ms of every
    start, ``-1`` and ``-t`` included, for a width only ``--help`` uses.
    """
    import argparse  # noqa: PLC0415 - see parse_args

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
