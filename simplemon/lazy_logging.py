"""Loggers that import :mod:`logging` only once a line is to be written.

Importing ``logging`` (with ``traceback``, ``tokenize``, ``string`` and the regular
expressions they compile) costs ~9 ms of every start: a tenth of a healthy
1,000-monitor ``-1`` run (issue 5). A ``-q`` run whose checks all pass writes no
line, so it should not pay for it.

So every module asks :func:`get_logger` for its logger, and the console set-up is
*deferred* (:func:`configure`): until something is logged at the configured level
or above, or until anyone else imports ``logging`` (a plugin's library), nothing
is imported; then the set-up runs first, so every line, the first included, goes
through the same handler (credentials masked) as before. Once ``logging`` is
imported, the loggers hand every call straight to it and behave as it does.

Modules say ``log = get_logger(__name__)`` where the house style says
``logging.getLogger(__name__)``. The pending set-up is module-level state, which
the style otherwise rules out: what it stands for is process-wide already (the
root logger, and whether ``logging`` has been imported at all).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging

#: The standard levels, without importing logging to read them.
DEBUG, INFO, WARNING, ERROR, CRITICAL = 10, 20, 30, 40, 50
LEVELS = {
    "DEBUG": DEBUG,
    "INFO": INFO,
    "WARNING": WARNING,
    "ERROR": ERROR,
    "CRITICAL": CRITICAL,
}

#: Lines below this level are dropped while logging is not imported (the level the
#: deferred set-up will give the root logger). 0: nothing is dropped.
_floor = 0
#: The deferred console set-up, run once before logging's first use.
_pending: Callable[[], None] | None = None
#: Held while the set-up runs: a second thread's first line waits for it, rather
#: than reaching a root logger with no handler yet.
_installing = threading.Lock()


def configure(level: int, install: Callable[[], None]) -> None:
    """Run ``install`` (which sets the root logger to ``level``) before first use.

    At once if ``logging`` is already imported: then lines may already be on their
    way (a library, a test's log capture) and must not miss the set-up.
    """
    global _floor, _pending
    if "logging" in sys.modules:
        _floor, _pending = 0, None
        install()
    else:
        _floor, _pending = level, install


def settle() -> None:
    """Run the deferred set-up if someone else has imported ``logging`` since.

    Called after a plugin's library may have been imported (config load, the
    worker pool's first use), so that its own loggers' lines are formatted and
    masked like ours from the first one on.
    """
    if _pending is not None and "logging" in sys.modules:
        _install()


def _install() -> None:
    global _floor, _pending
    with _installing:
        install = _pending
        if install is not None:
            try:
                install()
            finally:  # only now: until the handler is in place, lines wait here
                _pending, _floor = None, 0


class LazyLogger:
    """The part of :class:`logging.Logger` simplemon uses, importing it on need."""

    __slots__ = ("_logger", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._logger: logging.Logger | None = None

    def real(self) -> logging.Logger:
        """Return the :class:`logging.Logger` of this name (set-up done first)."""
        logger = self._logger
        if logger is None:
            import logging  # noqa: PLC0415 (the point of this module)

            _install()
            logger = self._logger = logging.getLogger(self.name)
        return logger

    def isEnabledFor(self, level: int) -> bool:
        """Whether a line at ``level`` would be written."""
        if level < _floor and "logging" not in sys.modules:
            return False
        return self.real().isEnabledFor(level)

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        """Log ``msg % args`` at ``level``, as :meth:`logging.Logger.log` does."""
        self._at(level, msg, args, kwargs)

    def _at(self, level: int, msg: object, args: tuple[object, ...], kw: Any) -> None:
        if self.isEnabledFor(level):
            # Name the caller (two frames up: it called log, debug…), not this module.
            kw["stacklevel"] = kw.get("stacklevel", 1) + 2
            self.real().log(level, msg, *args, **kw)

    def debug(self, msg: object, *args: object, **kwargs: Any) -> None:
        """Log at DEBUG."""
        self._at(DEBUG, msg, args, kwargs)

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        """Log at INFO."""
        self._at(INFO, msg, args, kwargs)

    def warning(self, msg: object, *args: object, **kwargs: Any) -> None:
        """Log at WARNING."""
        self._at(WARNING, msg, args, kwargs)

    def error(self, msg: object, *args: object, **kwargs: Any) -> None:
        """Log at ERROR."""
        self._at(ERROR, msg, args, kwargs)

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        """Log at ERROR with the exception being handled, as logging does."""
        kwargs.setdefault("exc_info", True)
        self._at(ERROR, msg, args, kwargs)

    def critical(self, msg: object, *args: object, **kwargs: Any) -> None:
        """Log at CRITICAL."""
        self._at(CRITICAL, msg, args, kwargs)


def get_logger(name: str) -> LazyLogger:
    """Return the lazy logger for ``name`` (one :class:`logging.Logger` behind it)."""
    return LazyLogger(name)
