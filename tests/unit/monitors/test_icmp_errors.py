"""Reading Linux's error-queue messages about echo requests (pure), without a network.

The ancillary data is built by hand as the kernel lays it out: a ``struct
sock_extended_err`` (host byte order) followed by the offender's sockaddr.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import sys

import pytest

from simplemon.monitors import _icmp_errors
from simplemon.monitors._icmp_errors import (
    QueuedError,
    describe,
    offender,
    parse,
    source_address,
    words,
)
from simplemon.monitors._icmp_packet import echo_request

V4, V6 = socket.AF_INET, socket.AF_INET6
SOL_IP, SOL_IPV6 = socket.IPPROTO_IP, socket.IPPROTO_IPV6
IP_RECVERR, IPV6_RECVERR = 11, 25  # Linux's values


def sockaddr_in(address: str) -> bytes:
    packed = ipaddress.IPv4Address(address).packed
    return struct.pack("=H", V4) + struct.pack("!H", 0) + packed + bytes(8)


def sockaddr_in6(address: str) -> bytes:
    packed = ipaddress.IPv6Address(address).packed
    return struct.pack("=H", V6) + struct.pack("!HI", 0, 0) + packed + bytes(4)


def extended_err(
    errno: int, origin: int, kind: int, code: int, sockaddr: bytes
) -> bytes:
    # ee_errno u32, ee_origin u8, ee_type u8, ee_code u8, ee_pad u8, ee_info u32,
    # ee_data u32: native byte order, as the kernel writes it.
    return struct.pack("=IBBBBII", errno, origin, kind, code, 0, 0, 0) + sockaddr


def quoted(family: int, sequence: int) -> bytes:
    """What recvmsg(MSG_ERRQUEUE) returns as data: our request, ICMP header first."""
    return echo_request(family, 0xA37B, sequence)


def test_the_extended_error_is_sixteen_bytes_as_in_the_kernel() -> None:
    assert _icmp_errors.EXTENDED_ERR.size == 16


def test_parse_a_router_host_unreachable_v4() -> None:
    # As measured: EHOSTUNREACH, origin ICMP (2), type 3 code 1, from the router.
    body = extended_err(113, 2, 3, 1, sockaddr_in("192.0.2.2"))
    error = parse(V4, quoted(V4, 7), [(SOL_IP, IP_RECVERR, body)])
    assert error == QueuedError(7, 3, 1, "192.0.2.2")


def test_parse_a_time_exceeded_v4() -> None:
    body = extended_err(113, 2, 11, 0, sockaddr_in("192.0.2.2"))
    error = parse(V4, quoted(V4, 0xFFFF), [(SOL_IP, IP_RECVERR, body)])
    assert error == QueuedError(0xFFFF, 11, 0, "192.0.2.2")


def test_parse_an_administratively_prohibited_v6() -> None:
    # As measured: EACCES, origin ICMP6 (3), type 1 code 1, from the router.
    body = extended_err(13, 3, 1, 1, sockaddr_in6("2001:db8:1::2"))
    error = parse(V6, quoted(V6, 300), [(SOL_IPV6, IPV6_RECVERR, body)])
    assert error == QueuedError(300, 1, 1, "2001:db8:1::2")


def test_parse_an_address_unreachable_this_host_reports_v6() -> None:
    body = extended_err(113, 3, 1, 3, sockaddr_in6("2001:db8:1::1"))
    error = parse(V6, quoted(V6, 1), [(SOL_IPV6, IPV6_RECVERR, body)])
    assert error == QueuedError(1, 1, 3, "2001:db8:1::1")


def test_parse_without_an_offender_address() -> None:
    body = extended_err(113, 2, 3, 1, bytes(16))  # AF_UNSPEC
    error = parse(V4, quoted(V4, 5), [(SOL_IP, IP_RECVERR, body)])
    assert error == QueuedError(5, 3, 1, None)


@pytest.mark.parametrize(
    ("family", "data", "ancillary"),
    [
        # A local error (origin SO_EE_ORIGIN_LOCAL = 1), e.g. message too long.
        (V4, quoted(V4, 1), [(SOL_IP, IP_RECVERR, extended_err(90, 1, 0, 0, b""))]),
        # An ICMP origin on the wrong family's level.
        (V6, quoted(V6, 1), [(SOL_IP, IP_RECVERR, extended_err(113, 2, 3, 1, b""))]),
        # An ICMPv4 origin reported to an IPv6 socket's level.
        (
            V6,
            quoted(V6, 1),
            [(SOL_IPV6, IPV6_RECVERR, extended_err(113, 2, 3, 1, b""))],
        ),
        # Not quoting an echo request (an echo reply's header).
        (
            V4,
            struct.pack("!BBHHH", 0, 0, 0, 1, 1),
            [(SOL_IP, IP_RECVERR, extended_err(113, 2, 3, 1, b""))],
        ),
        # Truncated data, truncated or missing ancillary data.
        (
            V4,
            quoted(V4, 1)[:7],
            [(SOL_IP, IP_RECVERR, extended_err(113, 2, 3, 1, b""))],
        ),
        (V4, quoted(V4, 1), [(SOL_IP, IP_RECVERR, bytes(15))]),
        (V4, quoted(V4, 1), []),
    ],
)
def test_what_is_not_an_icmp_error_about_a_request_is_none(
    family: int, data: bytes, ancillary: list[tuple[int, int, bytes]]
) -> None:
    assert parse(family, data, ancillary) is None


def test_offender_needs_a_whole_address_of_its_family() -> None:
    assert offender(V4, sockaddr_in("198.51.100.7")) == "198.51.100.7"
    assert offender(V6, sockaddr_in6("2001:db8::1")) == "2001:db8::1"
    assert offender(V4, sockaddr_in("198.51.100.7")[:7]) is None
    assert offender(V6, sockaddr_in("198.51.100.7")) is None
    assert offender(V4, b"") is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_an_icmp_datagram_socket_accepts_recverr_and_has_an_empty_error_queue() -> None:
    protocols = {V4: socket.IPPROTO_ICMP, V6: socket.IPPROTO_ICMPV6}
    for family, protocol in protocols.items():
        try:
            sock = socket.socket(family, socket.SOCK_DGRAM, protocol)
        except OSError:  # not permitted here: a UDP socket takes the option too
            sock = socket.socket(family, socket.SOCK_DGRAM)
        with sock:
            sock.setblocking(False)
            assert _icmp_errors.enable(sock, family)
            level = SOL_IP if family == V4 else SOL_IPV6
            option = IP_RECVERR if family == V4 else IPV6_RECVERR
            assert sock.getsockopt(level, option) == 1
            assert _icmp_errors.drain(sock, family, 10) == []


# --- what an error says, for a check's message ---------------------------------


@pytest.mark.parametrize(
    ("family", "kind", "code", "expected"),
    [
        (V4, 3, 0, "network unreachable"),
        (V4, 3, 1, "host unreachable"),
        (V4, 3, 2, "protocol unreachable"),
        (V4, 3, 3, "port unreachable"),
        (V4, 3, 9, "network administratively prohibited"),
        (V4, 3, 10, "host administratively prohibited"),
        (V4, 3, 13, "communication administratively prohibited"),
        (V4, 11, 0, "time to live exceeded"),
        (V4, 11, 1, "fragment reassembly time exceeded"),
        (V6, 1, 0, "no route to destination"),
        (V6, 1, 1, "communication administratively prohibited"),
        (V6, 1, 2, "beyond scope of source address"),
        (V6, 1, 3, "address unreachable"),
        (V6, 1, 4, "port unreachable"),
        (V6, 1, 5, "source address failed ingress/egress policy"),
        (V6, 1, 6, "reject route to destination"),
        (V6, 3, 0, "hop limit exceeded"),
        (V6, 3, 1, "fragment reassembly time exceeded"),
    ],
)
def test_each_known_error_has_a_short_standard_name(
    family: int, kind: int, code: int, expected: str
) -> None:
    assert words(family, kind, code) == expected


def test_the_same_numbers_mean_different_errors_in_each_family() -> None:
    # ICMPv6 type 3 is time exceeded, IPv4 type 3 destination unreachable.
    assert words(V4, 3, 1) == "host unreachable"
    assert words(V6, 3, 1) == "fragment reassembly time exceeded"
    assert words(V6, 11, 0) == "ICMPv6 error type 11 code 0"


def test_an_unknown_type_or_code_falls_back_to_its_numbers() -> None:
    assert words(V4, 3, 16) == "ICMP error type 3 code 16"
    assert words(V4, 12, 0) == "ICMP error type 12 code 0"
    assert words(V6, 1, 9) == "ICMPv6 error type 1 code 9"
    assert words(V6, 4, 1) == "ICMPv6 error type 4 code 1"


def test_every_name_is_short_lower_case_and_distinct_within_a_family() -> None:
    for table in _icmp_errors.WORDS.values():
        assert len(set(table.values())) == len(table)
        for name in table.values():
            assert name == name.lower().replace("ipv6", "IPv6")
            assert len(name) <= 45


def test_describe_names_the_router_that_sent_the_error() -> None:
    error = QueuedError(1, 3, 1, "192.0.2.2")
    assert describe(V4, error, "192.0.2.1") == (
        "host unreachable (reported by 192.0.2.2)"
    )
    prohibited = QueuedError(1, 1, 1, "2001:db8:1::2")
    assert describe(V6, prohibited, "2001:db8:1::1") == (
        "communication administratively prohibited (reported by 2001:db8:1::2)"
    )
    odd = QueuedError(1, 3, 16, "192.0.2.2")
    assert (
        describe(V4, odd, None) == "ICMP error type 3 code 16 (reported by 192.0.2.2)"
    )


def test_this_hosts_own_unreachable_says_arp_or_nd_went_unanswered() -> None:
    # As measured on Linux: after ~3 s of unanswered ARP / neighbour solicitations
    # the kernel reports type 3 code 1 / type 1 code 3 from the request's source.
    arp = QueuedError(1, 3, 1, "192.0.2.1")
    assert describe(V4, arp, "192.0.2.1") == (
        "host unreachable (no ARP answer on the local network; "
        "reported by this host, 192.0.2.1)"
    )
    nd = QueuedError(1, 1, 3, "2001:db8:1::1")
    assert describe(V6, nd, "2001:db8:1::1") == (
        "address unreachable (no neighbour discovery answer on the local network; "
        "reported by this host, 2001:db8:1::1)"
    )


def test_another_error_from_this_host_claims_no_arp_failure() -> None:
    # e.g. a local firewall rejecting the request.
    rejected = QueuedError(1, 3, 13, "192.0.2.1")
    assert describe(V4, rejected, "192.0.2.1") == (
        "communication administratively prohibited (reported by this host, 192.0.2.1)"
    )
    # And the same code from a router is just the router's.
    routers = QueuedError(1, 1, 3, "2001:db8:1::2")
    assert describe(V6, routers, "2001:db8:1::1") == (
        "address unreachable (reported by 2001:db8:1::2)"
    )


def test_describe_without_a_sender_gives_the_name_alone() -> None:
    assert describe(V4, QueuedError(1, 11, 0, None), "192.0.2.1") == (
        "time to live exceeded"
    )


def test_source_address_is_the_one_the_routing_table_picks() -> None:
    assert source_address(V4, "127.0.0.1") == "127.0.0.1"
    assert source_address(V4, "127.0.0.9") == "127.0.0.1"
    if socket.has_ipv6:
        assert source_address(V6, "::1") in ("::1", None)  # None: no IPv6 here
