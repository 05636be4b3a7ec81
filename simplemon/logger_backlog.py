"""What a stuck logger still has to write, and when to say it fell behind.

Pure bookkeeping with an injected clock (no threads, no I/O), so the decisions
of ``logger_feed`` are tested without a real hung logger.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from simplemon.model import Snapshot

#: A history logger's backlog: at most this many monitor results (about 0.7 KB each)…
MAX_HELD_RESULTS = 50_000
#: …and at most this many rounds (a day at the default 60 s interval)…
MAX_HELD_ROUNDS = 1440
#: …but never fewer than this many rounds, however many monitors there are.
MIN_HELD_ROUNDS = 10
#: Rounds that waited less than this long are not reported as falling behind.
BEHIND_AFTER_SECONDS = 1.0


def history_limit(monitors: int) -> int:
    """Return how many rounds of ``monitors`` results a history logger may hold."""
    rounds = MAX_HELD_RESULTS // max(1, monitors)
    return max(MIN_HELD_ROUNDS, min(MAX_HELD_ROUNDS, rounds))


def plural(count: int, noun: str) -> str:
    """Return "1 round" or "3 rounds": the warnings read as sentences."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


class Backlog:
    """What one logger still has to write, and whether it has fallen behind.

    Pure bookkeeping: the caller serialises access, runs the writes and logs the
    lines returned. ``clock`` gives monotonic seconds.
    """

    def __init__(
        self, name: str, *, every_round: bool, clock: Callable[[], float]
    ) -> None:
        self.name = name
        self.every_round = every_round
        self.clock = clock
        self.waiting: deque[Snapshot] = deque()
        #: What is being done now ("round 12", "close"…) and since when.
        self.doing: str | None = None
        self.since = 0.0
        self._behind_since: float | None = None
        self._waiting_since = 0.0  # when the oldest waiting round was handed over
        self._late = 0  # rounds written while behind
        self._dropped = 0  # rounds dropped while behind
        self._dropping = False  # whether the "dropping" warning was given

    @property
    def behind(self) -> bool:
        """Whether the logger has fallen behind (and not caught up since)."""
        return self._behind_since is not None

    def put(self, snapshot: Snapshot) -> list[str]:
        """Queue ``snapshot``; return the warnings to log (at most one each time)."""
        now = self.clock()
        limit = history_limit(len(snapshot.monitors)) if self.every_round else 1
        if not self.waiting:
            self._waiting_since = now
        self.waiting.append(snapshot)
        dropped = 0
        while len(self.waiting) > limit:
            self.waiting.popleft()
            dropped += 1
        self._dropped += dropped
        lines: list[str] = []
        # Behind: a second round came while one was waiting, and not a moment ago
        # (two rounds in a row right after a reload are no news).
        if (
            not self.behind
            and len(self.waiting) + self._dropped >= 2
            and now - self._waiting_since >= BEHIND_AFTER_SECONDS
        ):
            self._behind_since = self._waiting_since
            lines.append(self._fell_behind(limit))
        if dropped and self.every_round and not self._dropping:
            self._dropping = True
            lines.append(
                f"logger {self.name}: {plural(limit, 'round')} are waiting, the "
                "most it keeps; from now on the oldest is dropped for each new one"
            )
        return lines

    def _fell_behind(self, limit: int) -> str:
        doing = "not started yet"
        if self.doing is not None:
            doing = f"still at {self.doing} after {self.clock() - self.since:.1f}s"
        if self.every_round:
            then = (
                f"{plural(len(self.waiting), 'round')} wait (it keeps up to "
                f"{limit}, then drops the oldest)"
            )
        else:
            then = "only the latest round will be written"
        return f"logger {self.name}: fell behind, {doing}; {then}"

    def take(self) -> Snapshot | None:
        """Return the next round to write (and note it as being written), or None."""
        if not self.waiting:
            return None
        snapshot = self.waiting.popleft()
        self.start(f"round {snapshot.round_number}")
        if self.behind:
            self._late += 1
        elif not self.waiting:
            self._dropped = 0  # a round superseded now and then is no news
        return snapshot

    def start(self, doing: str) -> None:
        """Note that something else (a reopen, a close) is being done now."""
        self.doing = doing
        self.since = self.clock()

    def done(self) -> str | None:
        """Note the end of what was being done; return the caught-up line, if any."""
        self.doing = None
        if self.waiting or self._behind_since is None:
            return None
        took = self.clock() - self._behind_since
        skipped = "dropped" if self.every_round else "skipped (a later one was due)"
        line = (
            f"logger {self.name}: caught up after {took:.1f}s behind: "
            f"{plural(self._late, 'round')} written late, {self._dropped} {skipped}"
        )
        self._behind_since = None
        self._late = self._dropped = 0
        self._dropping = False
        return line

    def unwritten(self) -> int:
        """Return how many rounds are waiting or being written."""
        writing = self.doing is not None and self.doing.startswith("round")
        return len(self.waiting) + (1 if writing else 0)
