"""The dns monitor against awkward servers: aliases out of zone, spoofed replies, ..."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.name
import dns.rrset
import pytest

from tests.peers.dns_server import DnsServer, Zone, dns_check

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


check = dns_check


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


def closed_udp_port(host: str) -> int:
    """Return a UDP port on ``host`` nobody listens on (free a moment ago)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def test_no_server_on_the_port_is_connection_refused_not_a_timeout() -> None:
    # dig says "connection refused" at once; waiting the whole timeout hid the cause.
    port = closed_udp_port("127.0.0.1")
    result = check("127.0.0.1", port, "www.example.test", timeout=10)
    assert not result.ok
    assert result.message == f"connection refused from 127.0.0.1 port {port}"


class SpoofingServer:
    """Answer each UDP query first with forgeries, then (if ``genuine``) truly.

    The forgeries carry 203.0.113.66: one from another port of the same address, one
    with a wrong query id, one for another name. A client that takes any of them
    reports the wrong address.
    """

    def __init__(self, host: str, genuine: bool) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.other = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.other.bind((host, 0))
        self.sock.settimeout(0.05)
        self.host, self.port = host, self.sock.getsockname()[1]
        self.genuine = genuine
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def __enter__(self) -> SpoofingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()
        self.other.close()

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            name = query.question[0].name
            forged = self.reply(query, name, "203.0.113.66")
            self.other.sendto(forged.to_wire(), peer)
            forged.id = (query.id + 1) % 65536
            self.sock.sendto(forged.to_wire(), peer)
            other_name = dns.name.from_text("evil.example.test.")
            renamed = dns.message.make_query(other_name, "A")
            renamed.id = query.id
            self.sock.sendto(
                self.reply(renamed, other_name, "203.0.113.66").to_wire(), peer
            )
            if self.genuine:
                self.sock.sendto(self.reply(query, name, "192.0.2.10").to_wire(), peer)

    @staticmethod
    def reply(
        query: dns.message.Message, name: dns.name.Name, address: str
    ) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.answer.append(dns.rrset.from_text(name, 60, "IN", "A", address))
        return response


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_forged_replies_are_ignored_and_the_genuine_one_is_taken(host: str) -> None:
    try:
        spoofer = SpoofingServer(host, genuine=True)
    except OSError as e:
        pytest.skip(f"{host} unavailable: {e}")
    with spoofer:
        result = check(host, spoofer.port, "www.example.test", desired=("192.0.2.10",))
    assert result.ok, result.message
    assert result.details["answers"] == ["192.0.2.10"]


def test_only_forged_replies_end_in_a_timeout_not_in_their_answer() -> None:
    with SpoofingServer("127.0.0.1", genuine=False) as spoofer:
        result = check("127.0.0.1", spoofer.port, "www.example.test", timeout=0.5)
    assert not result.ok
    assert result.message.startswith("timeout: no answer from 127.0.0.1 port")
    assert "203.0.113.66" not in str(result.details)


MANY = [f"10.0.{i // 256}.{i % 256}" for i in range(3000)]


def test_huge_answer_comes_over_tcp_and_message_keeps_the_expected() -> None:
    zone: Zone = {("many.example.test.", "A"): MANY}
    with DnsServer(zone) as server:
        passed = check(
            server.host, server.port, "many.example.test", desired=tuple(MANY)
        )
        wrong = check(
            server.host, server.port, "many.example.test", desired=("192.0.2.1",)
        )
        assert server.transports() == ["udp", "tcp", "udp", "tcp"]
    assert passed.ok, passed.message[:200]
    assert len(passed.details["answers"]) == 3000
    assert not wrong.ok
    # The core cuts messages at 1000 characters: the expected value must survive.
    assert len(wrong.message) < 1000
    assert wrong.message.startswith("got 10.0.")
    assert wrong.message.count("10.0.") == 10  # ten records shown, then the count
    assert wrong.message.endswith(" (3000 records), expected 192.0.2.1")
    assert len(passed.message) < 1000
    assert passed.message.endswith("(3000 records), as expected")


def test_idn_name_is_asked_in_its_ascii_form() -> None:
    zone: Zone = {("xn--bcher-kva.example.test.", "A"): ["192.0.2.20"]}
    with DnsServer(zone) as server:
        result = check(
            server.host, server.port, "bücher.example.test", desired=("192.0.2.20",)
        )
        assert [q.name for q in server.queries] == ["xn--bcher-kva.example.test."]
    assert result.ok, result.message


LOW_FD_CHECK = """
import os, resource, sys
sys.path.insert(0, sys.argv[1])
from tests.peers.dns_server import dns_check
in_use = len(os.listdir("/proc/self/fd"))
resource.setrlimit(resource.RLIMIT_NOFILE, (in_use, in_use))
print(dns_check("127.0.0.1", int(sys.argv[2]), "www.example.test").message)
"""


def test_no_descriptor_left_is_said_to_be_local_not_the_servers(
    server: DnsServer,
) -> None:
    # "[Errno 24] Too many open files from 127.0.0.1 port N" made a shortage of
    # this machine look like something the server said.
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", LOW_FD_CHECK, str(repo), str(server.port)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert done.stdout.strip() == "cannot open a socket: too many open files"


def test_bare_truncated_header_is_retried_over_tcp() -> None:
    # dnslib's server truncates a UDP answer to the header alone (TC, no question):
    # dig retries over TCP; dnspython dropped it as a stray and the check timed out.
    with DnsServer(ZONE, truncate_udp="header") as server:
        result = check(server.host, server.port, "www.example.test", timeout=2)
        assert result.ok, result.message
        assert result.details["answers"] == ["192.0.2.10"]
        assert server.transports() == ["udp", "tcp"]
