"""Total deadlines for blocking network work: a Watch and its shared watchdog thread.

Library timeouts (socket, requests, smtplib) bound each read, not a whole exchange:
a peer that trickles a byte now and then holds a check or a delivery for ever. A
Watch shuts down every socket added to it when its total deadline passes, which
wakes the thread blocked on it. One daemon thread serves every Watch in the process
(a timer thread per http check cost ~0.2 ms of its ~1 ms). Used by the http monitor
and the email alerter; only ``socket`` is needed here, no network library.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time

from simplemon.lazy_logging import get_logger
from simplemon.pool import NoThreadError

log = get_logger(__name__)
#: Heap entries kept before the first clean-up of finished watches.
COMPACT_MIN = 64


class Watch:
    """Shut down one check's sockets when its total deadline passes.

    Use as ``with Watch(seconds):``; ``expired`` tells afterwards whether it fired.
    The deadline runs from ``__enter__``; the shared watchdog thread fires it.
    """

    def __init__(self, seconds: float, watchdog: Watchdog | None = None) -> None:
        self.expired = False
        self.seconds = seconds
        self._watchdog = watchdog or _WATCHDOG
        self._lock = threading.Lock()
        #: The watched sockets: duplicates of their descriptors (owned: closed here)
        #: or, when no descriptor was left for one, the socket itself (not owned).
        self._sockets: list[tuple[socket.socket, bool]] = []
        self._done = False

    def __enter__(self) -> Watch:
        self._watchdog.watch(time.monotonic() + self.seconds, self)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._done = True  # the watchdog drops it unfired
            sockets, self._sockets = self._sockets, []
        _release(sockets)

    @property
    def finished(self) -> bool:
        """Whether the ``with`` block has ended (the deadline no longer matters)."""
        return self._done

    def add(self, sock: socket.socket) -> None:
        """Watch ``sock``; shut it down at once if the deadline has passed.

        The Watch keeps a duplicate of its descriptor: wrapping a socket in TLS
        detaches the original object (its descriptor becomes -1), and the deadline
        must still cut a handshake that stalls. A shutdown through the duplicate
        acts on the connection itself.
        """
        try:  # fromfd duplicates the descriptor; an SSLSocket refuses dup()
            twin = socket.fromfd(sock.fileno(), sock.family, sock.type, sock.proto)
            watched = (twin, True)
        except OSError:  # no descriptor left: watch the original, as far as it goes
            watched = (sock, False)
        with self._lock:
            if not self.expired and not self._done:
                self._sockets.append(watched)
                return
        if self.expired:
            _shutdown(watched[0])
        _release([watched])

    def expire(self) -> None:
        """Mark the deadline passed and shut down every watched socket."""
        with self._lock:
            if self._done:
                return
            self.expired = True
            sockets, self._sockets = self._sockets, []
        for sock, _ in sockets:
            _shutdown(sock)
        _release(sockets)


def _release(sockets: list[tuple[socket.socket, bool]]) -> None:
    for sock, owned in sockets:
        if owned:
            sock.close()


class Watchdog:
    """One daemon thread firing every watched check's deadline, from a heap.

    Finished checks are dropped when their deadline comes round, or earlier, when
    the heap has doubled since it was last cleaned of them (a timeout of an hour
    would otherwise keep an hour of them); the thread starts on first use and
    sleeps while nothing is watched.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Watch]] = []
        self._seq = itertools.count()
        self._compact_above = COMPACT_MIN
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: float, watch: Watch) -> None:
        """Call ``watch.expire()`` at ``deadline`` (monotonic seconds).

        Raises:
            NoThreadError: the watchdog's thread could not be started (yet).
        """
        with self._wake:
            if self._thread is None:
                thread = threading.Thread(
                    target=self._run, name="deadline-watchdog", daemon=True
                )
                try:
                    thread.start()
                except RuntimeError as e:  # a thread or pids limit: the next check
                    raise NoThreadError(str(e)) from None  # tries again
                self._thread = thread
            heapq.heappush(self._heap, (deadline, next(self._seq), watch))
            if len(self._heap) > self._compact_above:
                self._heap = [e for e in self._heap if not e[2].finished]
                heapq.heapify(self._heap)
                self._compact_above = max(COMPACT_MIN, 2 * len(self._heap))
            if self._heap[0][2] is watch:
                self._wake.notify()  # an earlier deadline than the one waited for

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._wake.wait(wait)
                _, _, due = heapq.heappop(self._heap)
            try:
                due.expire()
            except Exception:  # this thread serves every deadline: it must go on
                log.exception("deadline watchdog: expiring %r failed", due)


#: The process's one watchdog thread (started lazily); a Watch may be given another.
_WATCHDOG = Watchdog()


def _shutdown(sock: socket.socket) -> None:
    # Wakes a thread blocked in recv() on this socket; a closed socket raises EBADF.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
