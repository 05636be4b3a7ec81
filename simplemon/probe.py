"""Non-blocking checks: many probes multiplexed on one thread.

A tcp connect or an ICMP echo to a nearby host takes microseconds of CPU and a few
hundred microseconds of waiting. Run one per thread, most of a round goes to thread
hand-offs under the GIL, and every raw ICMP socket receives a copy of every other
check's replies. A monitor that can express its check as a :class:`Probe` (start some
non-blocking I/O, react when a socket is ready, give up at the deadline) is run here
instead: one poller, one timer heap, sockets shared through :meth:`ProbeIO.shared`.

The core knows nothing of any protocol; probes (in the monitor plugins) create and
read their own sockets. ``probe_loop.ProbeLoop`` gives the scheduler a result to
wait on per probe (used as the thread pool's Future is), and runs the probes on the
scheduler's own thread while the round waits for results; :func:`run_probe` runs
one probe to completion on the calling thread, so a plugin's blocking ``check()``
can be the very same code.
"""

from __future__ import annotations

import abc

from simplemon.model import CheckResult
from simplemon.probe_core import ProbeCore, ProbeIO

# Plugins import these from here: a probe's handle, and the core a shared
# resource (an ICMP socket) registers its own socket with.
__all__ = ["Probe", "ProbeCore", "ProbeIO", "run_probe"]


class Probe(abc.ABC):
    """One check as non-blocking steps; every callback runs on the loop's thread.

    ``start`` begins the I/O and arranges callbacks through ``io``; a callback ends
    the check with ``io.finish(result)``. If nothing finished it by ``timeout``
    seconds after ``start``, the loop calls ``expire()`` for the result. ``close``
    is always called exactly once afterwards, to release what the probe holds.
    Callbacks must not block; anything they raise ends the check as an internal
    error.
    """

    timeout: float

    @abc.abstractmethod
    def start(self, io: ProbeIO) -> None:
        """Begin the check."""

    @abc.abstractmethod
    def expire(self) -> CheckResult:
        """Return the result for a check that ran out of time."""

    def close(self) -> None:  # noqa: B027 - most probes hold nothing to release
        """Release sockets and shared registrations; called once, at the end."""


def run_probe(probe: Probe) -> CheckResult:
    """Run ``probe`` to completion on this thread and return its result."""
    results: list[CheckResult] = []
    core = ProbeCore(max_active=1)
    try:
        core.add(probe, results.append)
        while not results:
            core.step(None)
    finally:
        core.close()
    return results[0]
