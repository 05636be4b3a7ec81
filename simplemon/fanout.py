"""Hand each round's snapshot to every result logger, each seeing only its groups.

One logger failing never stops the others: a DeliveryError is logged as one line,
anything unexpected with its traceback, once, here. A problem that lasts (a locked
database, a read-only folder) is logged when it starts and when it ends, not each round.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping

from simplemon import lazy_logging
from simplemon.common import is_in_groups
from simplemon.errors import DeliveryError
from simplemon.lazy_logging import get_logger
from simplemon.model import Snapshot, Status
from simplemon.record import replace
from simplemon.sections import PluginConfig

log = get_logger(__name__)


def for_logger(snapshot: Snapshot, groups: tuple[str, ...]) -> Snapshot:
    """Return the part of ``snapshot`` a logger with these ``groups`` sees."""
    if "_all" in groups:
        return snapshot
    mine = tuple(m for m in snapshot.monitors if is_in_groups(m.group, groups))
    return replace(snapshot, monitors=mine)


class Problems:
    """What each logger's last write failed with, so each problem is logged once."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[str, int]] = {}  # logger -> (error, rounds)
        self._lock = threading.Lock()  # each logger writes on a thread of its own

    def failed(self, logger: str, error: str) -> bool:
        """Note a failed write; return whether it is news (not last round's error)."""
        with self._lock:
            last = self._last.get(logger)
            if last is not None and last[0] == error:
                self._last[logger] = (error, last[1] + 1)
                return False
            self._last[logger] = (error, 1)
            return True

    def succeeded(self, logger: str) -> None:
        """Note a write that worked; say so if the logger had been failing."""
        with self._lock:
            last = self._last.pop(logger, None)
        if last is not None:
            log.warning(
                "logger %s: writing again (the problem lasted %d round%s)",
                logger,
                last[1],
                "" if last[1] == 1 else "s",
            )


def write_all(
    loggers: Iterable[PluginConfig],
    snapshot: Snapshot,
    statuses: Mapping[str, Status],
    problems: Problems | None = None,
) -> None:
    """Write ``snapshot`` to every enabled logger whose dependencies are up.

    With ``problems``, an error repeated round after round is logged once (then at
    debug level), and the first write that works again is logged.
    """
    for logger, mine in recipients(loggers, snapshot, statuses):
        guarded(logger, "write", logger.plugin.write, mine, problems=problems)


def recipients(
    loggers: Iterable[PluginConfig],
    snapshot: Snapshot,
    statuses: Mapping[str, Status],
) -> Iterator[tuple[PluginConfig, Snapshot]]:
    """Yield each enabled logger whose dependencies are up, with the part it sees."""
    for logger in loggers:
        common = logger.common
        if not common.enabled:
            continue
        down = next((d for d in common.depend if statuses[d].is_failure), None)
        if down is not None:
            log.info("logger %s: not writing, %s is down", logger.name, down)
            continue
        yield logger, for_logger(snapshot, common.groups)


def guarded(
    logger: PluginConfig,
    what: str,
    call: Callable[..., object],
    *args: object,
    problems: Problems | None = None,
) -> None:
    """Call one logger's ``what`` (write, reopen, close); log what it raises, once."""
    try:
        call(*args)
    except DeliveryError as e:
        news = problems is None or problems.failed(logger.name, str(e))
        level = lazy_logging.ERROR if news else lazy_logging.DEBUG
        log.log(level, "logger %s: %s failed: %s", logger.name, what, e)
    except Exception:
        if problems is not None:
            problems.failed(logger.name, "internal error")
        log.exception("logger %s: internal error in %s", logger.name, what)
    else:
        if problems is not None:
            problems.succeeded(logger.name)
