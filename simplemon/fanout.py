"""Hand each round's snapshot to every result logger, each seeing only its groups.

One logger failing never stops the others: a DeliveryError is logged as one line,
anything unexpected with its traceback, once, here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from simplemon.common import is_in_groups
from simplemon.errors import DeliveryError
from simplemon.model import Snapshot, Status
from simplemon.sections import PluginConfig

log = logging.getLogger(__name__)


def for_logger(snapshot: Snapshot, groups: tuple[str, ...]) -> Snapshot:
    """Return the part of ``snapshot`` a logger with these ``groups`` sees."""
    if "_all" in groups:
        return snapshot
    mine = tuple(m for m in snapshot.monitors if is_in_groups(m.group, groups))
    return replace(snapshot, monitors=mine)


def write_all(
    loggers: Iterable[PluginConfig], snapshot: Snapshot, statuses: Mapping[str, Status]
) -> None:
    """Write ``snapshot`` to every enabled logger whose dependencies are up."""
    for logger in loggers:
        common = logger.common
        if not common.enabled:
            continue
        down = next((d for d in common.depend if statuses[d].is_failure), None)
        if down is not None:
            log.info("logger %s: not writing, %s is down", logger.name, down)
            continue
        _guarded(
            logger, "write", logger.plugin.write, for_logger(snapshot, common.groups)
        )


def close_all(loggers: Iterable[PluginConfig]) -> None:
    """Flush and close every logger."""
    for logger in loggers:
        _guarded(logger, "close", logger.plugin.close)


def reopen_all(loggers: Iterable[PluginConfig]) -> None:
    """Ask every logger to reopen its files (after log rotation)."""
    for logger in loggers:
        _guarded(logger, "reopen", logger.plugin.reopen)


def _guarded(
    logger: PluginConfig, what: str, call: Callable[..., object], *args: object
) -> None:
    try:
        call(*args)
    except DeliveryError as e:
        log.error("logger %s: %s failed: %s", logger.name, what, e)
    except Exception:
        log.exception("logger %s: internal error in %s", logger.name, what)
