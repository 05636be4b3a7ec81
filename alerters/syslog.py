"""The ``syslog`` alerter: one line per failure or recovery to a syslog socket.

Built on logging.handlers.SysLogHandler so the address can be any local socket or a
UDP host:port; it never configures Python logging and never blocks beyond ``timeout``.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from datetime import timedelta
from logging.handlers import SysLogHandler
from socket import socket as Socket

from alerters._message import single_line
from simplemon.alerter import Alerter
from simplemon.errors import DeliveryError
from simplemon.model import AlertEvent, EventKind
from simplemon.options import opt
from simplemon.parsers import ParseContext
from simplemon.record import record

_IDENT = re.compile(r"^[A-Za-z0-9._/-]{1,32}$")
_HOST_PORT = re.compile(
    r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:\s\[\]]+))(?::(?P<port>\d+))?$"
)


def syslog_address(text: str, ctx: ParseContext) -> str | tuple[str, int]:
    """Accept an absolute socket path or ``host:port`` (UDP; port 514 by default).

    An IPv6 address is ``[::1]:514``, or ``::1`` / ``[::1]`` for the default port.
    """
    value = text.strip()
    if value.startswith("/"):
        return value
    try:  # a bare IPv6 address: its colons are not a port
        return (str(ipaddress.IPv6Address(value)), 514)
    except ValueError:
        pass
    m = _HOST_PORT.match(value)
    port = int(m.group("port") or 514) if m else 0
    if m is None or not 1 <= port <= 65535:
        raise ValueError(
            "expected a socket path or host:port, e.g. /dev/log or 127.0.0.1:514"
        )
    return (m.group("v6") or m.group("host"), port)


def syslog_facility(text: str, ctx: ParseContext) -> str:
    """Accept a syslog facility name such as user, daemon or local0."""
    value = text.strip().lower()
    if value not in SysLogHandler.facility_names:
        raise ValueError("expected a syslog facility, e.g. user, daemon or local0")
    return value


@record
class SyslogOptions:
    """Options of the syslog alerter."""

    address: str | tuple[str, int] = opt(
        "/dev/log",
        parser=syslog_address,
        help="local socket path, or host:port to send UDP datagrams",
    )
    facility: str = opt(
        "user", parser=syslog_facility, help="syslog facility (user, daemon, local0…)"
    )
    ident: str = opt("simplemon", help="tag put before every message")
    timeout: timedelta = opt(
        timedelta(seconds=5),
        min=timedelta(seconds=0.1),
        help="longest wait for a busy syslog socket",
    )

    def __post_init__(self) -> None:
        """Keep the tag to what syslog parsers accept."""
        if not _IDENT.match(self.ident):
            raise ValueError("ident must be 1-32 letters, digits or . _ / -")


#: RFC 3164 4.1: a syslog packet is 1024 bytes or less (relays may drop longer ones).
MAX_DATAGRAM = 1024


def _cut(text: str, size: int) -> bytes:
    """Return ``text`` in UTF-8, cut to ``size`` bytes with ``...`` at a whole char."""
    data = text.encode("utf-8")
    if len(data) <= size:
        return data
    return data[: size - 3].decode("utf-8", "ignore").encode("utf-8") + b"..."


class _SysLogHandler(SysLogHandler):
    """A SysLogHandler whose emit() has a timeout and raises instead of printing.

    The stock emit() reconnects a failed unix socket without any timeout and sends
    its errors to handleError(); a delivery must do neither.
    """

    socket: Socket | None  # set by SysLogHandler; missing from typeshed
    priority_map = {**SysLogHandler.priority_map, "NOTICE": "notice"}  # noqa: RUF012

    def __init__(
        self, address: str | tuple[str, int], facility: int, timeout: float
    ) -> None:
        super().__init__(address=address, facility=facility)
        self.timeout = timeout

    def createSocket(self) -> None:
        """Connect; a local socket nobody listens on raises, with the reason.

        The stock one swallows that error and (on Python 3.11) leaves a closed
        socket behind, so the send failed with "[Errno 9] Bad file descriptor"
        instead of "No such file or directory" or "Connection refused".
        """
        if not isinstance(self.address, str):
            super().createSocket()
            return
        self.unixsocket = True
        errors: list[OSError] = []
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):  # as the stock one
            sock = socket.socket(socket.AF_UNIX, kind)
            try:
                sock.connect(self.address)
            except OSError as e:
                sock.close()
                errors.append(e)
                continue
            self.socket, self.socktype = sock, kind
            return
        raise errors[-1]

    def emit(self, record: logging.LogRecord) -> None:
        """Send ``record`` once, as ``<prio>ident message NUL``; raise OSError."""
        if self.socket is None:
            # Not connected (createSocket raises for a local socket): a guard.
            raise ConnectionRefusedError(f"nothing listening at {self.address}")
        priority = self.encodePriority(
            self.facility, self.mapPriority(record.levelname)
        )
        head = f"<{priority}>{self.ident}".encode()
        tail = b"\x00" if self.append_nul else b""
        data = head + _cut(self.format(record), MAX_DATAGRAM - len(head + tail)) + tail
        self.socket.settimeout(self.timeout)
        if self.unixsocket or self.socktype != socket.SOCK_DGRAM:
            self.socket.sendall(data)
        else:
            self.socket.sendto(data, self.address)


class SyslogAlerter(Alerter[SyslogOptions]):
    """Write one syslog line per failure and per recovery (warning / notice)."""

    type_name = "syslog"
    Options = SyslogOptions

    def send(self, event: AlertEvent) -> None:
        """Send one datagram; raise DeliveryError if the socket refuses it."""
        text = single_line(event, tz=self._tz())
        level = "NOTICE" if event.kind is EventKind.RECOVERY else "WARNING"
        record = logging.makeLogRecord({"msg": text, "levelname": level})
        try:
            handler = self._open()
        except OSError as e:
            raise DeliveryError(
                f"alerter {self.name}: cannot open syslog {self._where()}: {e}"
            ) from e
        try:
            handler.emit(record)
        except OSError as e:
            raise DeliveryError(
                f"alerter {self.name}: cannot write to syslog {self._where()}: {e}"
            ) from e
        finally:
            handler.close()

    def _open(self) -> _SysLogHandler:
        handler = _SysLogHandler(
            self.options.address,
            SysLogHandler.facility_names[self.options.facility],
            self.options.timeout.total_seconds(),
        )
        handler.ident = f"{self.options.ident}: "
        return handler

    def _tz(self) -> str:
        tz = getattr(self.common, "tz", None)
        return tz if isinstance(tz, str) else "UTC"

    def _where(self) -> str:
        address = self.options.address
        if isinstance(address, str):
            return address
        host, port = address
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def describe(self) -> str:
        """Summarise where lines go."""
        return f"writing to syslog at {self._where()} ({self.options.facility})"
