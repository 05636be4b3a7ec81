"""Descriptors watched for readiness: the probe loop's poller, on epoll or poll(2)."""

from __future__ import annotations

import contextlib
import select
from typing import Any, Generic, TypeVar

READ = select.POLLIN
WRITE = select.POLLOUT

DataT = TypeVar("DataT")


class Poller(Generic[DataT]):
    """Descriptors watched for READ/WRITE, each with its data; epoll where there is one.

    What the probe loop needs of a selector, on raw descriptors: the selectors
    module builds a key object per registration and looks each one up again, a
    few microseconds per check that a round of thousands of checks feels. Any
    event on a descriptor (ready, error, hang-up) reports its data. Without epoll
    (not Linux), poll(2) does the same through the same calls.
    """

    def __init__(self, epoll: bool = hasattr(select, "epoll")) -> None:
        self._epoll = epoll
        self._poll: Any = select.epoll() if epoll else select.poll()
        self.data: dict[int, DataT] = {}
        self.closed = False

    def register(self, fd: int, events: int, data: DataT) -> None:
        """Watch ``fd``; an fd already watched is an error, as with selectors."""
        if self.closed:
            raise ValueError("the poller is closed")
        if fd in self.data:
            raise KeyError(f"descriptor {fd} is already watched")
        self._poll.register(fd, events)
        self.data[fd] = data

    def modify(self, fd: int, events: int, data: DataT) -> None:
        """Change what ``fd`` is watched for, and its data."""
        self._poll.modify(fd, events)
        self.data[fd] = data

    def unregister(self, fd: int) -> None:
        """Stop watching ``fd`` (closed meanwhile or not)."""
        del self.data[fd]
        # A descriptor closed without unregistering has left epoll already.
        with contextlib.suppress(OSError):
            self._poll.unregister(fd)

    def select(self, timeout: float | None) -> list[DataT]:
        """Wait up to ``timeout`` s (None: no limit); return the ready fds' data."""
        if timeout is None:
            events = self._poll.poll()
        elif self._epoll:
            events = self._poll.poll(timeout, max(len(self.data), 1))
        else:
            events = self._poll.poll(timeout * 1000)  # poll(2) counts milliseconds
        data = self.data
        return [data[fd] for fd, _ in events if fd in data]

    def close(self) -> None:
        """Release the epoll descriptor; registering afterwards fails."""
        self.closed = True
        if self._epoll:
            self._poll.close()
        self.data.clear()
