"""The dns monitor against awkward servers: aliases out of zone, spoofed replies, ..."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from simplemon.model import CheckResult
from simplemon.monitors.dns import DnsMonitor, DnsOptions
from tests.peers.dns_server import DnsServer, Zone

pytestmark = pytest.mark.integration

ZONE: Zone = {
    ("www.example.test.", "A"): ["192.0.2.10"],
    # An authoritative server answers an alias to another zone with the CNAME only.
    ("cdn.example.test.", "CNAME"): ["edge.provider.test."],
}


@pytest.fixture
def server() -> Iterator[DnsServer]:
    with DnsServer(ZONE) as running:
        yield running


def check(
    host: str,
    port: int,
    record: str,
    record_type: str = "A",
    desired: tuple[str, ...] = (),
    timeout: float = 2.0,
) -> CheckResult:
    options = DnsOptions(
        record=record,
        record_type=record_type,
        server=host,
        port=port,
        desired_val=desired,
        timeout=timedelta(seconds=timeout),
    )
    return DnsMonitor("dns", options).check()


def test_alias_out_of_zone_passes_without_desired_val(server: DnsServer) -> None:
    # dig +short prints "edge.provider.test." and SimpleMonitor passes.
    result = check(server.host, server.port, "cdn.example.test")
    assert result.ok, result.message
    assert result.message == (
        "cdn.example.test A is an alias of edge.provider.test. "
        "(the answer holds no A record)"
    )
    assert result.details["answers"] == ["edge.provider.test."]


def test_alias_out_of_zone_matches_its_target_as_dig_prints_it(
    server: DnsServer,
) -> None:
    result = check(
        server.host, server.port, "cdn.example.test", desired=("edge.provider.test.",)
    )
    assert result.ok, result.message
    wrong = check(
        server.host, server.port, "cdn.example.test", desired=("other.provider.test.",)
    )
    assert not wrong.ok
    assert wrong.message == "got edge.provider.test., expected other.provider.test."


def test_alias_out_of_zone_is_not_nxdomain(server: DnsServer) -> None:
    result = check(server.host, server.port, "cdn.example.test", desired=("nxdomain",))
    assert not result.ok
    assert result.message == "got edge.provider.test., expected NXDOMAIN"
