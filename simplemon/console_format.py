"""The console's log formatters: credentials masked, control characters and colours.

Every line a process prints goes through these, so that no password reaches a
journal and no escape sequence a terminal, whatever a library logged. Apart from
console.py because this imports ``logging``, which a quiet run never needs
(see lazy_logging).
"""

from __future__ import annotations

import logging
from typing import ClassVar

from simplemon.redact import redact

# Control characters but newline and tab, as they end up in a log line. A table for
# str.translate, not a regular expression: compiling one was ~0.7 ms of every start.
_CONTROLS = dict.fromkeys(
    [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029], "?"
)


class Plain(logging.Formatter):
    """Format records with credentials masked and control characters neutralised.

    Lines may quote what other programs said (urllib3's debug lines carry request
    URLs, a plugin's traceback its exception text): no password or token may reach
    the journal, and no escape sequence the terminal. Newlines and tabs stay
    (tracebacks); colours are added after this, by Colour.
    """

    def format(self, record: logging.LogRecord) -> str:
        """Format as logging does, then mask and neutralise."""
        return redact(super().format(record)).translate(_CONTROLS)


class Colour(Plain):
    """Plain, coloured by level for a terminal."""

    COLOURS: ClassVar[dict[str, str]] = {
        "WARNING": "33",
        "ERROR": "31",
        "CRITICAL": "1;31",
        "DEBUG": "2",
    }

    def format(self, record: logging.LogRecord) -> str:
        """Format as Plain does, then colour by level."""
        text = super().format(record)
        colour = self.COLOURS.get(record.levelname)
        return f"\033[{colour}m{text}\033[0m" if colour else text


def install(level: int, fmt: str, colour: bool) -> None:
    """Give the root logger one stderr handler with these settings."""
    handler = logging.StreamHandler()
    handler.setFormatter((Colour if colour else Plain)(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
