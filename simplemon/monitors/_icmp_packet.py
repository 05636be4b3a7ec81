"""ICMP echo packets: building requests and reading what answers them (pure).

The wire format on its own, apart from the sockets that carry it (``_icmp``), so
the checksum and parsing rules can be read and tested without a network: an echo
request with its RFC 1071 checksum, and the request an echo reply or an ICMP error
quoting it answers.
"""

from __future__ import annotations

import socket
import struct

from simplemon.record import record

ECHO_REQUEST: dict[int, int] = {socket.AF_INET: 8, socket.AF_INET6: 128}
ECHO_REPLY: dict[int, int] = {socket.AF_INET: 0, socket.AF_INET6: 129}
#: Error messages that quote our request: destination unreachable, time exceeded.
ERRORS: dict[int, tuple[int, ...]] = {socket.AF_INET: (3, 11), socket.AF_INET6: (1, 3)}
PAYLOAD = bytes(range(56))  # the usual 56 bytes of data, as ping and icmplib send


def _word_sum(data: bytes) -> int:
    """Return the sum of ``data`` as big-endian 16-bit words (odd: zero-padded)."""
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    return total


def _fold(total: int) -> int:
    """Return the one's complement of a word sum folded to 16 bits (RFC 1071)."""
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def checksum(data: bytes) -> int:
    """Return the Internet checksum (RFC 1071) of ``data``; pure."""
    return _fold(_word_sum(data))


#: The payload's share of every request's checksum (the sum is associative).
PAYLOAD_SUM = _word_sum(PAYLOAD)


def echo_request(family: int, ident: int, sequence: int) -> bytes:
    """Return an echo request packet (ICMP header and payload); pure."""
    kind = ECHO_REQUEST[family]
    # The header's words: type and code (0), checksum (0 while summing), ident,
    # sequence; the payload's are summed once, above.
    total = _fold((kind << 8) + ident + sequence + PAYLOAD_SUM)
    return struct.pack("!BBHHH", kind, 0, total, ident, sequence) + PAYLOAD


@record
class Answer:
    """What a received packet says about one of our requests."""

    ident: int
    sequence: int
    error: bool  # an error message quoting the request, not an echo reply
    icmp_type: int = 0  # the error's (an echo reply's are not needed)
    icmp_code: int = 0


def parse(family: int, packet: bytes, has_ip_header: bool) -> Answer | None:
    """Return the request an echo reply or error message answers, else None; pure.

    Raw IPv4 sockets deliver the IP header too; datagram sockets and IPv6 do not.
    """
    offset = (packet[0] & 0x0F) * 4 if has_ip_header and packet else 0
    if len(packet) < offset + 8:
        return None
    kind = packet[offset]
    if kind == ECHO_REPLY[family]:
        ident, sequence = struct.unpack_from("!HH", packet, offset + 4)
        return Answer(ident, sequence, error=False)
    if kind not in ERRORS[family]:
        return None  # e.g. our own requests, seen by a raw socket on loopback
    inner = offset + 8
    if family == socket.AF_INET:
        if len(packet) < inner + 1:
            return None
        inner += (packet[inner] & 0x0F) * 4
    else:
        inner += 40  # the quoted IPv6 header
    if len(packet) < inner + 8 or packet[inner] != ECHO_REQUEST[family]:
        return None
    ident, sequence = struct.unpack_from("!HH", packet, inner + 4)
    return Answer(ident, sequence, True, kind, packet[offset + 1])
