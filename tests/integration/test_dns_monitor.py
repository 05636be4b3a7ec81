"""The dns monitor against a real DNS server on 127.0.0.1 (UDP and TCP)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from simplemon.model import CheckResult
from tests.peers.dns_server import DnsServer, Zone, dns_check

pytestmark = pytest.mark.integration

ZONE: Zone = {
    ("www.example.test.", "A"): ["192.0.2.10", "192.0.2.11"],
    ("www.example.test.", "AAAA"): ["2001:db8::10"],
    ("example.test.", "MX"): ["10 mail.example.test.", "20 backup.example.test."],
    ("example.test.", "TXT"): ['"v=spf1 a, mx -all"', '"two" "strings"'],
    ("alias.example.test.", "CNAME"): ["www.example.test."],
    # 20 long TXT strings: far beyond 512 bytes, so UDP answers come back truncated.
    ("big.example.test.", "TXT"): [f'"{i:02d}{"x" * 100}"' for i in range(20)],
}


@pytest.fixture
def server() -> Iterator[DnsServer]:
    with DnsServer(ZONE) as running:
        yield running


def check(server: DnsServer, *args: Any, **kwargs: Any) -> CheckResult:
    return dns_check(server.host, server.port, *args, **kwargs)


def test_a_record_matches_desired_set(server: DnsServer) -> None:
    result = check(server, "www.example.test", desired=("192.0.2.11", "192.0.2.10"))
    assert result.ok, result.message
    assert sorted(result.details["answers"]) == ["192.0.2.10", "192.0.2.11"]
    assert server.transports() == ["udp"]


def test_aaaa_record(server: DnsServer) -> None:
    result = check(server, "www.example.test.", "AAAA", ("2001:DB8:0::10",))
    assert result.ok, result.message


def test_mx_records_in_dig_short_form(server: DnsServer) -> None:
    desired = ("10 mail.example.test.", "20 backup.example.test.")
    assert check(server, "example.test", "MX", desired).ok


def test_txt_records_with_quotes_as_dig_prints_them(server: DnsServer) -> None:
    desired = ('"v=spf1 a, mx -all"', '"two" "strings"')
    result = check(server, "example.test", "TXT", desired)
    assert result.ok, result.message


def test_cname_query_returns_the_target(server: DnsServer) -> None:
    result = check(server, "alias.example.test", "CNAME", ("www.example.test.",))
    assert result.ok, result.message


def test_a_query_through_cname_matches_final_addresses(server: DnsServer) -> None:
    result = check(server, "alias.example.test", "A", ("192.0.2.10", "192.0.2.11"))
    assert result.ok, result.message
    assert result.details["answers"][0] == "www.example.test."


def test_wrong_answer_fails_with_got_and_expected(server: DnsServer) -> None:
    result = check(server, "www.example.test", desired=("192.0.2.99",))
    assert not result.ok
    assert result.message.startswith("got 192.0.2.1")
    assert result.message.endswith("expected 192.0.2.99")


def test_nxdomain_fails(server: DnsServer) -> None:
    result = check(server, "missing.example.test")
    assert not result.ok
    assert result.message == "NXDOMAIN: missing.example.test does not exist"


def test_nxdomain_passes_when_desired(server: DnsServer) -> None:
    result = check(server, "missing.example.test", desired=("NXDOMAIN",))
    assert result.ok, result.message


def test_existing_name_fails_when_nxdomain_desired(server: DnsServer) -> None:
    result = check(server, "www.example.test", desired=("nxdomain",))
    assert not result.ok
    assert result.message.endswith("expected NXDOMAIN")


def test_missing_type_is_noanswer(server: DnsServer) -> None:
    result = check(server, "www.example.test", "MX")
    assert not result.ok
    assert result.message == "NOANSWER: www.example.test has no MX record"


def test_large_answer_falls_back_to_tcp(server: DnsServer) -> None:
    result = check(server, "big.example.test", "TXT")
    assert result.ok, result.message
    assert len(result.details["answers"]) == 20
    assert server.transports() == ["udp", "tcp"]


def test_truncated_udp_answer_is_retried_over_tcp() -> None:
    with DnsServer(ZONE, truncate_udp=True) as server:
        result = check(server, "www.example.test", desired=("192.0.2.10", "192.0.2.11"))
        assert result.ok, result.message
        assert server.transports() == ["udp", "tcp"]


def test_silent_server_times_out_within_the_timeout() -> None:
    with DnsServer(ZONE, silent=True) as server:
        result = check(server, "www.example.test", timeout=0.3)
        assert not result.ok
        assert result.message == (
            f"timeout: no answer from 127.0.0.1 port {server.port} within 0.3s"
        )
        assert server.transports()[0] == "udp"
    # Generous bound: the point is that the lifetime is enforced, not exact timing.
    assert result.duration < 3


def test_servfail_is_reported() -> None:
    with DnsServer(ZONE, rcode="SERVFAIL") as server:
        result = check(server, "www.example.test")
    assert not result.ok
    assert result.message == f"SERVFAIL from 127.0.0.1 port {server.port}"


def test_refused_is_reported() -> None:
    with DnsServer(ZONE, rcode="REFUSED") as server:
        result = check(server, "www.example.test")
    assert not result.ok
    assert result.message.startswith("REFUSED from 127.0.0.1")


def test_server_on_ipv6_loopback() -> None:
    try:
        server = DnsServer(ZONE, host="::1").start()
    except OSError as e:
        pytest.skip(f"IPv6 loopback ::1 unavailable: {e}")
    try:
        result = check(server, "www.example.test", desired=("192.0.2.10", "192.0.2.11"))
    finally:
        server.stop()
    assert result.ok, result.message
    assert result.details["server"] == f"::1 port {server.port}"
