"""When rounds start: a fixed rhythm that the work inside a round cannot stretch.

SimpleMonitor sleeps ``interval`` after each round, so its period is the interval
plus however long the checks took. Here round k is due at start + k * interval;
a round that overruns makes the next one start at once and skips the ticks it
missed, and within a round the starts of a large config are spread out so that a
pool of W workers is never handed more than it can start.

Pure arithmetic and waiting on injected callables: no I/O, testable with a fake clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from simplemon.lazy_logging import get_logger

log = get_logger(__name__)

#: In the daemon, a round with more due monitors than workers spreads their starts
#: over this share of the interval (see start_offsets).
SPREAD_SHARE = 0.5


class Numbered(Protocol):
    """A round's report: only its number is needed here, for the overrun warning."""

    number: int


R = TypeVar("R", bound=Numbered)


def start_offsets(
    order: Sequence[str], workers: int, interval: float
) -> dict[str, float]:
    """Return each monitor's start offset (seconds after its round's tick).

    With more monitors than workers, starting them all at the tick only queues
    them: the k-th monitor in dependency order (k from 0) instead starts at
    ``(k // W) * SPREAD_SHARE * interval / ceil(N / W)``, W workers, N monitors,
    so batches of W start evenly over the first half of the interval. Every round
    uses the same offsets, so each monitor keeps an exact period. With at most W
    monitors every offset is 0.
    """
    count = len(order)
    if count <= workers:
        return {}
    step = SPREAD_SHARE * interval / -(-count // workers)
    return {name: (k // workers) * step for k, name in enumerate(order)}


def run_rounds(  # noqa: C901, PLR0912, PLR0913 - one loop, its cases commented
    run_round: Callable[[float], R],
    interval: Callable[[], float],
    clock: Callable[[], float],
    stop: threading.Event,
    *,
    loops: int | None = None,
    sleep: Callable[[float], None] | None = None,
    between_rounds: Callable[[], bool | None] | None = None,
    on_round: Callable[[R], None] | None = None,
    due_now: Callable[[], bool] | None = None,
    run_early: Callable[[float], R] | None = None,
) -> int:
    """Call ``run_round(tick)`` every ``interval()`` until ``stop`` or ``loops`` rounds.

    ``between_rounds`` runs at least once a second while waiting (signal handling,
    reloads), and once between rounds that leave no wait (an overrun). When it
    returns True (a reload) ``interval`` is asked again: the next tick becomes the
    last one plus the new interval (at once if that has passed), so a shorter
    interval is not waited out at the old length; and if ``due_now()`` says some
    checks are due already (monitors the reload added), a round runs at once for
    them (with ``run_early(tick)`` if given), leaving the ticks of the others where
    they were. Returns the number of rounds run.
    """
    next_tick = clock()
    tick = next_tick
    period = 0.0  # set by the first round
    count = 0
    while not stop.is_set() and (loops is None or count < loops):
        early = tick != next_tick  # run at once after a reload, off the ticks
        report = (run_early if early and run_early else run_round)(tick)
        count += 1
        if on_round is not None:
            on_round(report)
        if not early:
            period = interval()
            next_tick += period
        now = clock()
        if now > next_tick:
            missed = int((now - next_tick) // period) + 1
            log.warning(
                "round %d overran the %gs interval; %s",
                report.number,
                period,
                _overrun_outcome(missed - 1),
            )
            next_tick = max(next_tick + (missed - 1) * period, now)
        tick = next_tick
        if loops is not None and count >= loops:
            break
        handled = False
        while not stop.is_set():
            remaining = next_tick - clock()
            if remaining > 0:
                if sleep is not None:
                    sleep(min(remaining, 1.0))
                else:
                    stop.wait(min(remaining, 1.0))
            elif handled or between_rounds is None:
                break
            # (A round that overran leaves no wait: reloads are still done.)
            if between_rounds is None:
                continue
            handled = True
            if between_rounds() and not stop.is_set():
                last = next_tick - period
                period = interval()
                next_tick = tick = max(last + period, clock())
                if due_now is not None and next_tick > clock() and due_now():
                    tick = clock()
                    break
    return count


def _overrun_outcome(skipped: int) -> str:
    """Say what an overrun does to the rhythm; "skipping 0 ticks" read as nonsense."""
    if skipped == 0:
        return "the next round starts at once"
    return f"skipping {skipped} tick{'s' if skipped > 1 else ''}"
