"""Console log output: levels from the command line, credentials masked, colours.

Every line a process prints goes through these formatters, so that no password
reaches a journal and no escape sequence a terminal, whatever a library logged.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, ClassVar

from simplemon.redact import redact

# Control characters but newline and tab, as they end up in a log line. A table for
# str.translate, not a regular expression: compiling one was ~0.7 ms of every start.
_CONTROLS = dict.fromkeys(
    [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029], "?"
)


class _Plain(logging.Formatter):
    """Format records with credentials masked and control characters neutralised.

    Lines may quote what other programs said (urllib3's debug lines carry request
    URLs, a plugin's traceback its exception text): no password or token may reach
    the journal, and no escape sequence the terminal. Newlines and tabs stay
    (tracebacks); colours are added after this, by _Colour.
    """

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record)).translate(_CONTROLS)


class _Colour(_Plain):
    COLOURS: ClassVar[dict[str, str]] = {
        "WARNING": "33",
        "ERROR": "31",
        "CRITICAL": "1;31",
        "DEBUG": "2",
    }

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        colour = self.COLOURS.get(record.levelname)
        return f"\033[{colour}m{text}\033[0m" if colour else text


def setup_logging(args: Any) -> None:
    """Configure the root logger from the output options."""
    # As in SimpleMonitor, -q, -v and -d (in that order) win over -l.
    level = getattr(logging, args.log_level.upper()) if args.log_level else logging.INFO
    if args.quiet:
        level = logging.ERROR
    if args.verbose:
        level = logging.INFO
    if args.debug:
        level = logging.DEBUG
    fmt = "%(levelname)s %(name)s: %(message)s"
    if not args.no_timestamps:
        fmt = "%(asctime)s " + fmt
    colour = not args.no_colour and sys.stderr.isatty()
    handler = logging.StreamHandler()
    handler.setFormatter((_Colour if colour else _Plain)(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
