"""The ``tcp`` monitor: succeed when a TCP connection to host:port is accepted.

Only the handshake is checked; nothing is sent or read, so a server that accepts and
then stays silent counts as up. The socket is always closed before returning.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from datetime import timedelta

from simplemon.model import CheckResult
from simplemon.monitor import Monitor
from simplemon.options import opt


@dataclass(frozen=True)
class TcpOptions:
    """Options of the tcp monitor."""

    host: str = opt(help="host name or IP address (IPv4 or IPv6, e.g. ::1)")
    port: int = opt(min=1, max=65535, help="TCP port to connect to")
    timeout: timedelta = opt(
        timedelta(seconds=5),
        min=timedelta(seconds=0.1),
        help="total deadline for the connection, over every address of the host",
    )


class TcpMonitor(Monitor[TcpOptions]):
    """Check that a TCP port accepts connections."""

    type_name = "tcp"
    Options = TcpOptions

    def check(self) -> CheckResult:
        """Connect once (trying each resolved address in turn) and close at once."""
        timeout = self.options.timeout.total_seconds()
        host = self.options.host.strip("[]")  # accept "[::1]" as well as "::1"
        start = time.monotonic()
        deadline = start + timeout
        try:
            # The system resolver has no timeout of its own; an IP address skips it.
            addresses = socket.getaddrinfo(
                host, self.options.port, type=socket.SOCK_STREAM
            )
        except OSError as e:
            return CheckResult(False, failure_message(e, host, timeout), _since(start))
        error: OSError = TimeoutError()
        for family, kind, proto, _, address in addresses:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                error = TimeoutError()
                break
            try:
                with socket.socket(family, kind, proto) as sock:
                    sock.settimeout(remaining)
                    sock.connect(address)
            except OSError as e:
                error = e
                continue
            duration = _since(start)
            shown = _show(str(address[0]), self.options.port)
            message = f"connected to {shown} in {duration * 1000:.0f} ms"
            return CheckResult(True, message, duration, {"address": shown})
        return CheckResult(False, failure_message(error, host, timeout), _since(start))

    def describe(self) -> str:
        """Summarise the check."""
        target = _show(self.options.host.strip("[]"), self.options.port)
        seconds = self.options.timeout.total_seconds()
        return f"TCP connect to {target} within {seconds:g}s"


def failure_message(error: OSError, host: str, timeout: float) -> str:
    """Turn a resolve or connect error into a short message; pure."""
    if isinstance(error, socket.gaierror):
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
