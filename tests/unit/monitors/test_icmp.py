"""ICMP echo packets: building and reading them (pure), without a network."""

from __future__ import annotations

import socket
import struct

import pytest

from simplemon.model import CheckResult
from simplemon.monitors._icmp import Channel, EchoProbe
from simplemon.monitors._icmp_errors import QueuedError
from simplemon.monitors._icmp_packet import Answer, checksum, echo_request, parse
from simplemon.probe_core import ProbeCore
from tests.peers.descriptors import open_descriptors, opened_since

V4, V6 = socket.AF_INET, socket.AF_INET6


def ip_header(protocol: int = 1) -> bytes:
    # Version 4, IHL 5 (20 bytes); only the first byte matters to the parser.
    return bytes([0x45, 0]) + bytes(7) + bytes([protocol]) + bytes(10)


def test_checksum_of_the_rfc_1071_example() -> None:
    data = bytes([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7])
    assert checksum(data) == 0x220D


def test_a_packet_with_its_checksum_sums_to_zero() -> None:
    packet = echo_request(V4, 0x1234, 7)
    assert checksum(packet) == 0
    assert checksum(b"\x01") == 0xFEFF  # odd length is padded with a zero byte


@pytest.mark.parametrize("family", [V4, V6])
@pytest.mark.parametrize(
    ("ident", "sequence"), [(0, 0), (0x1234, 7), (0xFFFF, 0xFFFF), (0xF7FF, 1)]
)
def test_every_echo_request_carries_the_checksum_of_its_whole_packet(
    family: int, ident: int, sequence: int
) -> None:
    packet = echo_request(family, ident, sequence)
    unsummed = packet[:2] + b"\0\0" + packet[4:]
    assert struct.unpack_from("!H", packet, 2)[0] == checksum(unsummed)
    assert checksum(packet) == 0


def test_echo_request_header_fields() -> None:
    kind, code, _, ident, sequence = struct.unpack_from(
        "!BBHHH", echo_request(V4, 9, 300)
    )
    assert (kind, code, ident, sequence) == (8, 0, 9, 300)
    assert echo_request(V6, 9, 300)[0] == 128
    assert len(echo_request(V4, 1, 1)) == 8 + 56


def reply(kind: int, ident: int, sequence: int) -> bytes:
    return struct.pack("!BBHHH", kind, 0, 0, ident, sequence) + bytes(56)


@pytest.mark.parametrize(
    ("family", "packet", "has_ip", "expected"),
    [
        (V4, ip_header() + reply(0, 5, 6), True, Answer(5, 6, error=False)),
        (V4, reply(0, 5, 6), False, Answer(5, 6, error=False)),
        (V6, reply(129, 5, 6), False, Answer(5, 6, error=False)),
        # A raw socket on loopback also sees our own requests: not an answer.
        (V4, ip_header() + reply(8, 5, 6), True, None),
        (V6, reply(128, 5, 6), False, None),
        # Too short to hold an ICMP header.
        (V4, ip_header() + b"\0\0\0", True, None),
        (V4, b"", True, None),
    ],
)
def test_parse_echo_replies(
    family: int, packet: bytes, has_ip: bool, expected: Answer | None
) -> None:
    assert parse(family, packet, has_ip) == expected


def test_parse_an_unreachable_error_quoting_our_request_v4() -> None:
    quoted = ip_header() + struct.pack("!BBHHH", 8, 0, 0, 77, 88)
    packet = ip_header() + struct.pack("!BBHI", 3, 1, 0, 0) + quoted
    assert parse(V4, packet, True) == Answer(77, 88, True, icmp_type=3, icmp_code=1)


def test_parse_a_time_exceeded_quoting_our_request_keeps_its_type_and_code() -> None:
    quoted = ip_header() + struct.pack("!BBHHH", 8, 0, 0, 77, 88)
    packet = ip_header() + struct.pack("!BBHI", 11, 0, 0, 0) + quoted
    assert parse(V4, packet, True) == Answer(77, 88, True, icmp_type=11, icmp_code=0)
    quoted6 = bytes(40) + struct.pack("!BBHHH", 128, 0, 0, 77, 88)
    packet6 = struct.pack("!BBHI", 3, 1, 0, 0) + quoted6
    assert parse(V6, packet6, False) == Answer(77, 88, True, icmp_type=3, icmp_code=1)


def test_parse_an_unreachable_error_quoting_our_request_v6() -> None:
    quoted = bytes(40) + struct.pack("!BBHHH", 128, 0, 0, 77, 88)
    packet = struct.pack("!BBHI", 1, 3, 0, 0) + quoted
    assert parse(V6, packet, False) == Answer(77, 88, True, icmp_type=1, icmp_code=3)


def test_an_error_quoting_something_else_is_ignored() -> None:
    quoted = ip_header(17) + struct.pack("!BBHHH", 0, 0, 0, 77, 88)  # not an echo
    packet = ip_header() + struct.pack("!BBHI", 3, 1, 0, 0) + quoted
    assert parse(V4, packet, True) is None
    truncated = ip_header() + struct.pack("!BBHI", 11, 0, 0, 0) + ip_header()[:10]
    assert parse(V4, truncated, True) is None


def test_a_channel_whose_socket_cannot_be_watched_closes_it() -> None:
    # The factory raising makes the next ping try again; the socket it had opened
    # stayed open, one more descriptor lost at every attempt.
    try:
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()
        privileged = True
    except PermissionError:
        privileged = False
        try:
            socket.socket(
                socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP
            ).close()
        except PermissionError:
            pytest.skip("no ICMP socket of either kind may be opened here")
    core = ProbeCore(max_active=1)
    core.selector.close()  # registering with it now fails, as a full epoll would
    before = open_descriptors()
    for _ in range(3):
        with pytest.raises((OSError, ValueError, RuntimeError)):
            Channel(core, socket.AF_INET, privileged)
    assert not opened_since(before)


class _Io:
    """Just enough of a ProbeIO for an EchoProbe's last answer: it finishes."""

    def __init__(self) -> None:
        self.results: list[CheckResult] = []

    def finish(self, result: CheckResult) -> None:
        self.results.append(result)


def test_a_probe_reports_the_latest_icmp_error_about_its_requests() -> None:
    seen: list[tuple[object, ...]] = []

    def summarise(*args: object) -> CheckResult:
        seen.append(args)
        return CheckResult(False, "summarised", 0.0)

    probe = EchoProbe("127.0.0.9", V4, 3, 1.0, 0.2, (False,), summarise, "denied")
    io = _Io()
    probe.io = io  # type: ignore[assignment]
    probe.sent = probe.tried = 3  # the last request is answered: the probe ends
    probe.rtts = []
    probe._answered(None, QueuedError(1, 3, 1, "192.0.2.2"))
    probe._answered(None, QueuedError(2, 11, 0, "192.0.2.9"))
    assert [r.message for r in io.results] == ["summarised"] * 2
    *_, unsent, said = seen[-1]
    assert unsent is None
    assert said == "time to live exceeded (reported by 192.0.2.9)"
