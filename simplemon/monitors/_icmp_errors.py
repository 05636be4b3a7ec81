"""ICMP errors about our echo requests, as Linux tells an ICMP datagram socket.

A raw ICMP socket receives a router's "destination unreachable" or "time exceeded"
as an ordinary packet. An unprivileged ICMP socket (SOCK_DGRAM) receives only echo
replies; the kernel tells it of an error only when IP_RECVERR (IPV6_RECVERR) is set,
by queueing it on the socket's error queue (read with ``MSG_ERRQUEUE``): the data is
the request the error quotes (its ICMP header first), the ancillary data a ``struct
sock_extended_err`` followed by the address of the host that sent the error (a
router, or this host itself when ARP or neighbour discovery failed). While an error
waits there, the socket reads as in error (POLLERR), and its errno is also handed
once to the next call on the socket, a send included.

Python 3.11 does not name IP_RECVERR/IPV6_RECVERR: on Linux their values are used;
elsewhere :func:`enable` does nothing and the socket behaves as before.

:func:`explain` words an error (from either socket kind) for a check's message.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import sys
from typing import NamedTuple

_LINUX = sys.platform.startswith("linux")
IP_RECVERR: int | None = getattr(socket, "IP_RECVERR", 11 if _LINUX else None)
IPV6_RECVERR: int | None = getattr(socket, "IPV6_RECVERR", 25 if _LINUX else None)
MSG_ERRQUEUE: int | None = getattr(socket, "MSG_ERRQUEUE", None)
#: sock_extended_err's ee_origin for an error an ICMP (ICMPv6) message reported.
SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6 = 2, 3
#: struct sock_extended_err: ee_errno, ee_origin, ee_type, ee_code, ee_pad,
#: ee_info, ee_data, in host byte order; the offender's sockaddr follows it.
EXTENDED_ERR = struct.Struct("=IBBBxII")
#: Bytes asked for per error: the quoted ICMP header is all that is read of it.
DATA_SIZE = 64
ANCILLARY_SIZE = socket.CMSG_SPACE(EXTENDED_ERR.size + 28) if _LINUX else 0

_LEVEL: dict[int, int] = {
    socket.AF_INET: socket.IPPROTO_IP,
    socket.AF_INET6: socket.IPPROTO_IPV6,
}
_OPTION: dict[int, int | None] = {
    socket.AF_INET: IP_RECVERR,
    socket.AF_INET6: IPV6_RECVERR,
}
_ORIGIN: dict[int, int] = {
    socket.AF_INET: SO_EE_ORIGIN_ICMP,
    socket.AF_INET6: SO_EE_ORIGIN_ICMP6,
}
_ECHO_REQUEST: dict[int, int] = {socket.AF_INET: 8, socket.AF_INET6: 128}


class QueuedError(NamedTuple):
    """One ICMP error about one of our echo requests."""

    sequence: int  # the request's (its identifier is the socket's, so not checked)
    icmp_type: int  # e.g. 3 (IPv4) / 1 (IPv6): destination unreachable
    icmp_code: int
    offender: str | None  # who sent the error, when the kernel says


def enable(sock: socket.socket, family: int) -> bool:
    """Ask the kernel to queue ICMP errors on ``sock``; return whether it will."""
    option = _OPTION.get(family)
    if option is None or MSG_ERRQUEUE is None:
        return False
    try:
        sock.setsockopt(_LEVEL[family], option, 1)
    except OSError:
        return False
    return True


def offender(family: int, sockaddr: bytes) -> str | None:
    """Return the address in a sockaddr_in / sockaddr_in6, or None; pure.

    Its family is in host byte order, its address in network byte order.
    """
    if len(sockaddr) < 2:
        return None
    (kind,) = struct.unpack_from("=H", sockaddr)
    if kind == socket.AF_INET == family and len(sockaddr) >= 8:
        return str(ipaddress.IPv4Address(sockaddr[4:8]))
    if kind == socket.AF_INET6 == family and len(sockaddr) >= 24:
        return str(ipaddress.IPv6Address(sockaddr[8:24]))
    return None  # AF_UNSPEC: the kernel did not say


def parse(
    family: int, data: bytes, ancillary: list[tuple[int, int, bytes]]
) -> QueuedError | None:
    """Return what one error-queue message says about an echo request, else None; pure.

    ``data`` and ``ancillary`` are what ``recvmsg(..., MSG_ERRQUEUE)`` returned.
    Errors not from an ICMP message (e.g. a local one) or not quoting an echo
    request give None.
    """
    if len(data) < 8 or data[0] != _ECHO_REQUEST[family]:
        return None
    for level, kind, body in ancillary:
        if level != _LEVEL[family] or kind != _OPTION[family]:
            continue
        if len(body) < EXTENDED_ERR.size:
            return None
        _, origin, icmp_type, icmp_code, _, _ = EXTENDED_ERR.unpack_from(body)
        if origin != _ORIGIN[family]:
            return None
        (sequence,) = struct.unpack_from("!H", data, 6)
        sender = offender(family, body[EXTENDED_ERR.size :])
        return QueuedError(sequence, icmp_type, icmp_code, sender)
    return None


def drain(sock: socket.socket, family: int, limit: int) -> list[QueuedError | None]:
    """Take up to ``limit`` errors off ``sock``'s queue (None: not about a request).

    The queue is emptied so the socket stops reading as in error; an empty list
    means there was nothing queued (or no error queue here).
    """
    errors: list[QueuedError | None] = []
    if MSG_ERRQUEUE is None:
        return errors
    for _ in range(limit):
        try:
            data, ancillary, _, _ = sock.recvmsg(
                DATA_SIZE, ANCILLARY_SIZE, MSG_ERRQUEUE
            )
        except OSError:  # BlockingIOError: the queue is empty
            break
        errors.append(parse(family, data, ancillary))
    return errors


#: Short names of the errors that quote a request: RFC 792, 1122, 1812 (IPv4)
#: and RFC 4443 (ICMPv6), as (type, code) -> words.
WORDS: dict[int, dict[tuple[int, int], str]] = {
    socket.AF_INET: {
        (3, 0): "network unreachable",
        (3, 1): "host unreachable",
        (3, 2): "protocol unreachable",
        (3, 3): "port unreachable",
        (3, 4): "fragmentation needed",
        (3, 5): "source route failed",
        (3, 6): "destination network unknown",
        (3, 7): "destination host unknown",
        (3, 8): "source host isolated",
        (3, 9): "network administratively prohibited",
        (3, 10): "host administratively prohibited",
        (3, 11): "network unreachable for type of service",
        (3, 12): "host unreachable for type of service",
        (3, 13): "communication administratively prohibited",
        (3, 14): "host precedence violation",
        (3, 15): "precedence cutoff in effect",
        (11, 0): "time to live exceeded",
        (11, 1): "fragment reassembly time exceeded",
    },
    socket.AF_INET6: {
        (1, 0): "no route to destination",
        (1, 1): "communication administratively prohibited",
        (1, 2): "beyond scope of source address",
        (1, 3): "address unreachable",
        (1, 4): "port unreachable",
        (1, 5): "source address failed ingress/egress policy",
        (1, 6): "reject route to destination",
        (1, 7): "error in source routing header",
        (3, 0): "hop limit exceeded",
        (3, 1): "fragment reassembly time exceeded",
    },
}
_PROTOCOL_NAME: dict[int, str] = {socket.AF_INET: "ICMP", socket.AF_INET6: "ICMPv6"}
#: What this host reports when ARP (IPv4) / neighbour discovery (IPv6) went
#: unanswered for a host on its link: measured on Linux after about 3 s, sent
#: from the address the request left from.
_NO_NEIGHBOUR: dict[int, tuple[tuple[int, int], str]] = {
    socket.AF_INET: ((3, 1), "no ARP answer"),
    socket.AF_INET6: ((1, 3), "no neighbour discovery answer"),
}


def words(family: int, icmp_type: int, icmp_code: int) -> str:
    """Name an ICMP (ICMPv6) error, e.g. "host unreachable"; pure.

    Pairs not in :data:`WORDS` read e.g. "ICMP error type 3 code 16".
    """
    known = WORDS[family].get((icmp_type, icmp_code))
    if known is not None:
        return known
    return f"{_PROTOCOL_NAME[family]} error type {icmp_type} code {icmp_code}"


def describe(family: int, error: QueuedError, source: str | None) -> str:
    """Say what ``error`` means and who sent it; pure.

    ``source`` is the address our request left from: an error sent from it was
    this host's own (for "host/address unreachable": ARP/ND went unanswered).
    E.g. "host unreachable (reported by 192.0.2.1)", "host unreachable (no ARP
    answer on the local network; reported by this host, 192.0.2.1)".
    """
    text = words(family, error.icmp_type, error.icmp_code)
    sender = error.offender
    if sender is None:
        return text
    if sender != source:
        return f"{text} (reported by {sender})"
    pair, cause = _NO_NEIGHBOUR[family]
    if (error.icmp_type, error.icmp_code) == pair:
        return f"{text} ({cause} on the local network; reported by this host, {sender})"
    return f"{text} (reported by this host, {sender})"


def source_address(family: int, destination: str) -> str | None:
    """Return the address this host sends to ``destination`` from, or None.

    Connecting a UDP socket asks the routing table and sends nothing.
    """
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((destination, 9))
            address: str = sock.getsockname()[0]
    except OSError:
        return None
    return address.partition("%")[0]  # an error's sender has no IPv6 scope


def explain(family: int, error: QueuedError, destination: str) -> str:
    """Describe an error about a request to ``destination`` (see :func:`describe`)."""
    return describe(family, error, source_address(family, destination))
