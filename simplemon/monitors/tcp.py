"""The ``tcp`` monitor: succeed when a TCP connection to host:port is accepted.

Only the handshake is checked; nothing is sent or read, so a server that accepts and
then stays silent counts as up. The socket is always closed before returning.

Sockets are ``_socket``'s, the C type under :class:`socket.socket`: a round of tcp
checks to IP addresses then never imports ``socket.py`` (~3 ms of a 1,000-check
``-1``) nor pays its Python ``__init__`` and ``close`` per check (issue 5). Host
names still go through :func:`socket.getaddrinfo`, imported when one comes.
"""

from __future__ import annotations

import _socket
import errno
import os
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from simplemon.model import CheckResult
from simplemon.monitor import Monitor
from simplemon.monitors._address import ip_family
from simplemon.options import opt
from simplemon.parsers import host_address
from simplemon.poller import WRITE
from simplemon.probe import Probe, ProbeIO, run_probe
from simplemon.record import record

#: getaddrinfo flag: parse an IP address, never ask the (blocking) resolver.
NUMERIC = _socket.AI_NUMERICHOST
#: Socket type flag that opens a socket non-blocking in one call, where there is one.
NONBLOCK = getattr(_socket, "SOCK_NONBLOCK", 0)
#: connect_ex codes of a non-blocking connect still under way.
IN_PROGRESS = frozenset({errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK})
#: Linux's ``TCP_INFO`` socket option, whose first byte is the connection's state.
TCP_INFO = getattr(_socket, "TCP_INFO", None) if sys.platform == "linux" else None
#: That state once the handshake is complete (``TCP_ESTABLISHED``).
ESTABLISHED = 1


@record
class TcpOptions:
    """Options of the tcp monitor."""

    host: str = opt(
        parser=host_address,
        help="host name or IP address (IPv4 or IPv6, e.g. ::1), without the port",
        example="127.0.0.1",
    )
    port: int = opt(min=1, max=65535, help="TCP port to connect to", example="22")
    timeout: timedelta = opt(
        timedelta(seconds=5),
        min=timedelta(seconds=0.1),
        max=timedelta(days=1),
        help="total deadline for the connection, over every address of the host",
    )


class TcpMonitor(Monitor[TcpOptions]):
    """Check that a TCP port accepts connections."""

    type_name = "tcp"
    Options = TcpOptions
    #: The host's addresses when it is an IP address (empty: a name); None: unknown.
    _numeric: list[AddrInfo] | None = None

    def check(self) -> CheckResult:
        """Resolve the host, then connect once (each address in turn) and close."""
        timeout = self.options.timeout.total_seconds()
        host = self.options.host.strip("[]")  # accept "[::1]" as well as "::1"
        start = time.monotonic()
        addresses: Sequence[AddrInfo] = numeric_addresses(host, self.options.port)
        try:
            # The system resolver has no timeout of its own; an IP address skips it.
            addresses = addresses or _resolve(host, self.options.port)
        except OSError as e:
            return CheckResult(False, failure_message(e, host, timeout), _since(start))
        remaining = timeout - _since(start)
        if remaining <= 0:
            return CheckResult(False, failure_message(TimeoutError(), host, timeout))
        return run_probe(ConnectProbe(host, addresses, timeout, remaining))

    def probe(self) -> Probe | None:
        """Return the check as a non-blocking probe when the host is an IP address.

        A host name needs the system resolver, which blocks: such checks run
        ``check()`` on a worker thread instead.
        """
        if self._numeric is None:
            self._numeric = numeric_addresses(self.options.host, self.options.port)
        if not self._numeric:
            return None
        timeout = self.options.timeout.total_seconds()
        return ConnectProbe(
            self.options.host.strip("[]"), self._numeric, timeout, timeout
        )

    def describe(self) -> str:
        """Summarise the check."""
        target = _show(self.options.host.strip("[]"), self.options.port)
        seconds = self.options.timeout.total_seconds()
        return f"TCP connect to {target} within {seconds:g}s"


Address = tuple[Any, ...]
AddrInfo = tuple[int, int, int, str, Address]


class ConnectProbe(Probe):
    """Connect to each address in turn until one accepts; close at once.

    ``limit`` is the option's timeout (for messages), ``timeout`` what is left of it.
    """

    def __init__(
        self, host: str, addresses: Sequence[AddrInfo], limit: float, timeout: float
    ) -> None:
        self.host = host
        self.addresses = list(addresses)
        self.limit = limit
        self.timeout = timeout
        self.sock: _socket.socket | None = None
        self.address: Address = ()
        self.error: OSError = TimeoutError()
        self.started = 0.0

    def start(self, io: ProbeIO) -> None:
        """Start connecting to the first address."""
        self.io = io
        self.started = time.monotonic()
        self._next()

    def _next(self) -> None:
        while self.addresses:
            family, kind, proto, _, self.address = self.addresses.pop(0)
            try:
                sock = _socket.socket(family, kind | NONBLOCK, proto)
            except OSError as e:
                # No descriptor or buffer memory left here: no address would do.
                reason = failure_message(e, self.host, self.limit)
                self.io.finish(
                    CheckResult(
                        False, f"cannot open a socket: {reason}", _since(self.started)
                    )
                )
                return
            if not NONBLOCK:
                sock.setblocking(False)
            code = sock.connect_ex(self.address)
            if code in IN_PROGRESS and not established(sock):
                self.sock = sock
                self.io.watch(sock, WRITE, self._connected)
                return
            sock.close()
            if code == 0 or code in IN_PROGRESS:  # in progress: established by now
                self._succeed()
                return
            self.error = OSError(code, os.strerror(code))
        self._fail(self.error)

    def _connected(self) -> None:
        sock = self.sock
        if sock is None:  # already closed: nothing to report
            return
        code = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_ERROR)
        self.io.unwatch(sock)
        sock.close()
        self.sock = None
        if code == 0:
            self._succeed()
        else:
            self.error = OSError(code, os.strerror(code))
            self._next()

    def _succeed(self) -> None:
        duration = _since(self.started)
        shown = _show(str(self.address[0]), self.address[1])
        message = f"connected to {shown} in {duration * 1000:.0f} ms"
        self.io.finish(CheckResult(True, message, duration, {"address": shown}))

    def _fail(self, error: OSError) -> None:
        message = failure_message(error, self.host, self.limit)
        self.io.finish(CheckResult(False, message, _since(self.started)))

    def expire(self) -> CheckResult:
        """Report the timeout over every address tried."""
        message = failure_message(TimeoutError(), self.host, self.limit)
        return CheckResult(False, message, _since(self.started))

    def close(self) -> None:
        """Close a connection still in progress."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def established(sock: _socket.socket) -> bool:
    """Whether a connect that said "in progress" has in fact completed already.

    To a server on this host (the usual neighbour of a monitor: a web server on
    localhost) the kernel has finished the handshake before connect() returns, yet
    a non-blocking connect still says "in progress". Asking the connection's state
    (Linux's ``TCP_INFO``) saves watching the socket, the wake-up, ``SO_ERROR`` and
    the unwatching: about a third of a loopback check's cost (issue 5). Anything
    but an established connection (still connecting, refused) is watched as before.
    """
    if TCP_INFO is None:
        return False
    try:
        return sock.getsockopt(_socket.IPPROTO_TCP, TCP_INFO, 1)[0] == ESTABLISHED
    except OSError:
        return False


def numeric_addresses(host: str, port: int) -> list[AddrInfo]:
    """Return ``host``'s address if it is an IP address, else []; never blocks.

    Plain addresses are parsed here (glibc's getaddrinfo costs ~70 us even for
    them); an IPv6 address with a zone (``fe80::1%eth0``) goes to getaddrinfo.
    """
    host = host.strip("[]")
    tcp = _socket.SOCK_STREAM, _socket.IPPROTO_TCP
    family = ip_family(host)
    if family == _socket.AF_INET:
        return [(_socket.AF_INET, *tcp, "", (host, port))]
    if family == _socket.AF_INET6:
        return [(_socket.AF_INET6, *tcp, "", (host, port, 0, 0))]
    try:
        found = _resolve(host, port, NUMERIC)
    except OSError:
        return []
    return [
        (family, kind, proto, name, tuple(a)) for family, kind, proto, name, a in found
    ]


def _resolve(host: str, port: int, flags: int = 0) -> Sequence[AddrInfo]:
    """Return the stream addresses of ``host`` from the system resolver (may block)."""
    import socket  # noqa: PLC0415 - see the module docstring

    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=flags)


def failure_message(error: OSError, host: str, timeout: float) -> str:
    """Turn a resolve or connect error into a short message; pure."""
    if isinstance(error, _socket.gaierror):
        return f"cannot resolve host {host!r}: {error.strerror or error}"
    if isinstance(error, TimeoutError):
        return f"timed out after {timeout:g}s"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if error.strerror:
        return error.strerror[0].lower() + error.strerror[1:]
    return str(error) or type(error).__name__


def _show(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _since(start: float) -> float:
    return time.monotonic() - start
