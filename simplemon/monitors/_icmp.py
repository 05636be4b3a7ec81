"""ICMP echo as a non-blocking probe: every ping of a round shares one socket.

icmplib opens a socket per ping and resolves the address again for every request
it sends; with hundreds of pings at once a raw socket per ping also receives a copy
of every other ping's replies. Here the probe loop holds one ICMP socket per address
family and socket kind, sends each probe's requests on it and hands every reply to
the probe waiting for its sequence number. Only IP addresses take this path; a host
name (which needs the blocking system resolver) is pinged by icmplib on a worker
thread. Both paths give the same results and messages (see
``_ping_run.summarise_replies``). The packets themselves are built and read in
``_icmp_packet``.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import socket
import time
from collections.abc import Callable
from typing import Any

from simplemon.model import CheckResult
from simplemon.monitors import _icmp_errors
from simplemon.monitors._icmp_packet import echo_request, parse
from simplemon.probe import Probe, ProbeCore, ProbeIO

PROTOCOL: dict[int, int] = {
    socket.AF_INET: socket.IPPROTO_ICMP,
    socket.AF_INET6: socket.IPPROTO_ICMPV6,
}
#: Receive buffer asked for, so replies to a burst of requests are not dropped.
RCVBUF = 1 << 20
#: Packets read per readiness event at most, so one busy socket can't starve others.
READ_BATCH = 512

#: Called with a reply's rtt in ms, or with None and the ICMP error about the request.
Reply = Callable[[float | None, "_icmp_errors.QueuedError | None"], None]


class Channel:
    """One ICMP socket shared by every ping of a family and socket kind."""

    def __init__(self, core: ProbeCore, family: int, privileged: bool) -> None:
        kind = socket.SOCK_RAW if privileged else socket.SOCK_DGRAM
        self.sock = socket.socket(family, kind, PROTOCOL[family])
        self.family = family
        self.privileged = privileged
        self.sock.setblocking(False)
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        # A datagram socket hears of ICMP errors only when asked (raw ones see them).
        self.errors = not privileged and _icmp_errors.enable(self.sock, family)
        # A datagram socket's identifier is its port, set by the kernel on send.
        self.ident = os.getpid() & 0xFFFF
        self.waiting: dict[int, tuple[ProbeIO, Reply, float]] = {}
        self._sequence = itertools.count(1)
        self._core = core
        try:
            core.watch_shared(self.sock, self._read)
        except BaseException:
            self.sock.close()  # the next ping opens another: this one must not stay
            raise

    def send(self, address: tuple[Any, ...], io: ProbeIO, reply: Reply) -> int:
        """Send one echo request; ``reply`` gets its answer. Return its sequence."""
        sequence = self._free_sequence()
        packet = echo_request(self.family, self.ident, sequence)
        try:
            self.sock.sendto(packet, address)
        except OSError:
            # An error about an earlier request fails the next send, which sent
            # nothing: read the queued errors, then the send's own error is real.
            if not (self.errors and self._read_errors()):
                raise
            self.sock.sendto(packet, address)
        self.waiting[sequence] = (io, reply, time.monotonic())
        return sequence

    def forget(self, sequence: int) -> None:
        """Stop waiting for a request's answer (its probe moved on or ended)."""
        self.waiting.pop(sequence, None)

    def close(self) -> None:
        """Close the socket; requests still waiting get no answer."""
        self._core.unwatch_shared(self.sock)
        self.sock.close()
        self.waiting.clear()

    def _free_sequence(self) -> int:
        for _ in range(0x10000):
            sequence = next(self._sequence) & 0xFFFF
            if sequence not in self.waiting:
                return sequence
        raise OSError("no free ICMP sequence number (65,536 requests waiting)")

    def _read_errors(self) -> bool:
        """Answer the requests that queued ICMP errors are about; say if any were."""
        errors = _icmp_errors.drain(self.sock, self.family, READ_BATCH)
        for error in errors:
            entry = None if error is None else self.waiting.pop(error.sequence, None)
            if entry is not None:
                io, reply, _ = entry
                io.run(functools.partial(reply, None, error))
        return bool(errors)

    def _read(self) -> None:
        raw_v4 = self.privileged and self.family == socket.AF_INET
        for i in range(READ_BATCH):
            try:
                packet, sender = self.sock.recvfrom(4096)
            except (BlockingIOError, InterruptedError):
                if i == 0 and self.errors:
                    # Woken with nothing to read: only a queued error can have
                    # done it (a send may have taken its errno). Looked for only
                    # then: one more system call per wake-up is the hot path.
                    self._read_errors()
                return
            except OSError:
                # An ICMP error about a request: read it off the error queue.
                if self.errors and self._read_errors():
                    continue
                return
            now = time.monotonic()
            answer = parse(self.family, packet, raw_v4)
            if answer is None:
                continue
            if self.privileged and answer.ident != self.ident:
                continue  # another process's ping, seen by our raw socket
            entry = self.waiting.pop(answer.sequence, None)
            if entry is None:
                continue
            io, reply, sent = entry
            if answer.error:
                error = _icmp_errors.QueuedError(
                    answer.sequence,
                    answer.icmp_type,
                    answer.icmp_code,
                    sender[0].partition("%")[0],
                )
                io.run(functools.partial(reply, None, error))
            else:
                io.run(functools.partial(reply, (now - sent) * 1000, None))


Summary = Callable[
    [str, int, list[float], bool, float, str | None, str | None], CheckResult
]


def reason(error: OSError) -> str:
    """Return an OSError's text as a message part, e.g. "no route to host"; pure."""
    text = error.strerror or str(error) or type(error).__name__
    return text[0].lower() + text[1:]


class EchoProbe(Probe):
    """Ping one IP address ``count`` times on the loop's shared ICMP socket.

    As icmplib does: each request waits up to ``wait`` seconds for its reply; the
    next is sent ``interval`` seconds after the previous one was answered or given
    up on; an error reply (unreachable) counts as no reply; a request that could
    not be sent is not counted as sent. ``summarise(address, sent, rtts_ms,
    privileged, elapsed, unsent, icmp_error)`` turns the outcome into the check's
    result; ``unsent`` says why the last request that could not be sent was not,
    ``icmp_error`` what the latest ICMP error about a request said.
    """

    def __init__(
        self,
        address: str,
        family: int,
        count: int,
        wait: float,
        interval: float,
        attempts: tuple[bool, ...],
        summarise: Summary,
        denied: str,
    ) -> None:
        self.address = address
        self.family = family
        self.count = count
        self.wait = wait
        self.interval = interval
        self.attempts = attempts
        self.summarise = summarise
        self.denied = denied
        # Per-request timers end the check; this deadline is only a backstop.
        self.timeout = count * wait + (count - 1) * interval + 1.0
        self.tried = 0
        self.sent = 0
        self.rtts: list[float] = []
        self.unsent: str | None = None
        self.error: _icmp_errors.QueuedError | None = None  # the latest
        self.channel: Channel | None = None
        self.sequence: int | None = None
        self.started = 0.0

    def start(self, io: ProbeIO) -> None:
        """Open (or reuse) the shared socket and send the first request."""
        self.io = io
        self.started = time.monotonic()
        for privileged in self.attempts:
            try:
                self.channel = io.shared(
                    ("icmp", self.family, privileged),
                    functools.partial(
                        Channel, family=self.family, privileged=privileged
                    ),
                )
                break
            except PermissionError:
                continue
            except OSError as e:
                io.finish(self._failed(f"cannot ping {self.address}: {e}"))
                return
        if self.channel is None:
            io.finish(self._failed(self.denied))
            return
        self._send()

    def _send(self) -> None:
        if self.channel is None:
            return
        self.tried += 1
        destination = (
            (self.address, 0)
            if self.family == socket.AF_INET
            else (self.address, 0, 0, 0)
        )
        try:
            self.sequence = self.channel.send(destination, self.io, self._answered)
        except OSError as e:  # e.g. no route to host: the kernel sent nothing
            self.unsent = reason(e)
            self._next()
            return
        self.sent += 1
        sequence = self.sequence
        self.io.later(self.wait, lambda: self._gave_up(sequence))

    def _answered(
        self, rtt: float | None, error: _icmp_errors.QueuedError | None
    ) -> None:
        self.sequence = None
        if rtt is not None:
            self.rtts.append(rtt)
        if error is not None:
            self.error = error
        self._next()

    def _gave_up(self, sequence: int) -> None:
        if self.sequence != sequence or self.channel is None:
            return  # answered meanwhile
        self.channel.forget(sequence)
        self.sequence = None
        self._next()

    def _next(self) -> None:
        if self.tried >= self.count:
            self.io.finish(self.expire())
        else:
            self.io.later(self.interval, self._send)

    def _failed(self, message: str) -> CheckResult:
        return CheckResult(False, message, time.monotonic() - self.started)

    def expire(self) -> CheckResult:
        """Summarise the replies that came back."""
        privileged = self.channel.privileged if self.channel is not None else False
        elapsed = time.monotonic() - self.started
        error = self.error
        said = error and _icmp_errors.explain(self.family, error, self.address)
        return self.summarise(
            self.address, self.sent, self.rtts, privileged, elapsed, self.unsent, said
        )

    def close(self) -> None:
        """Stop waiting for an outstanding reply."""
        if self.channel is not None and self.sequence is not None:
            self.channel.forget(self.sequence)
            self.sequence = None
