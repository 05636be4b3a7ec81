"""Every networked plugin with the IPv6 loopback written the way a user writes it.

Also ``localhost`` with both ::1 and 127.0.0.1 while the server listens on only one
of them: the check must try the other address (getaddrinfo is made to return both,
since this host's /etc/hosts may list only one).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from alerters._smtp import smtp_host
from alerters.email import EmailAlerter, EmailOptions
from alerters.syslog import SyslogAlerter, SyslogOptions, syslog_address
from simplemon.model import EventKind
from simplemon.monitors.dns import DnsMonitor, DnsOptions, ip_address
from simplemon.monitors.http import HttpMonitor, HttpOptions
from simplemon.monitors.tcp import TcpMonitor, TcpOptions
from simplemon.parsers import ParseContext
from tests.peers.alert_events import make_event
from tests.peers.dns_server import DnsServer
from tests.peers.http_server import HttpPeer, Reply, make_tls
from tests.peers.smtp_server import smtp_server

pytestmark = pytest.mark.integration


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


if not _has_ipv6_loopback():
    pytest.skip("IPv6 loopback ::1 unavailable", allow_module_level=True)

SECONDS = timedelta(seconds=3)


def http(url: str, **options: Any) -> HttpMonitor:
    return HttpMonitor("web", HttpOptions(url=url, timeout=SECONDS, **options))


# --- http ----------------------------------------------------------------------------


def test_https_on_ipv6_loopback_verifies_the_certificate_for_the_address(
    tmp_path: Path,
) -> None:
    tls = make_tls(tmp_path, "::1")
    with HttpPeer(tls=tls.server_context(), host="::1") as peer:
        peer.route("/", Reply(200, b"hello"))
        url = f"https://[::1]:{peer.port}/"
        trusted = http(url, ca_file=tls.ca_file).check()
        untrusted = http(url).check()
    assert trusted.ok, trusted.message
    assert not untrusted.ok


def test_https_certificate_for_127_0_0_1_only_is_refused_on_ipv6(
    tmp_path: Path,
) -> None:
    tls = make_tls(tmp_path, "127.0.0.1")
    with HttpPeer(tls=tls.server_context(), host="::1") as peer:
        peer.route("/", Reply(200))
        result = http(f"https://[::1]:{peer.port}/", ca_file=tls.ca_file).check()
    assert not result.ok
    assert "::1" in result.message


@pytest.mark.parametrize("first", ["127.0.0.1", "::1"])
def test_redirect_between_ipv4_and_ipv6_loopback(first: str) -> None:
    second = "::1" if first == "127.0.0.1" else "127.0.0.1"
    with HttpPeer(host=first) as start, HttpPeer(host=second) as target:
        target.route("/here", Reply(200, b"arrived"))
        start.route("/", Reply(302, headers={"Location": target.url("/here")}))
        start_url = start.url("/")
        result = http(start_url, regexp=_re("arrived")).check()
        assert [r.path for r in target.requests] == ["/here"]
    assert result.ok, result.message
    assert ("[::1]" in start_url) == (first == "::1")


# --- localhost with two addresses ----------------------------------------------------


@pytest.fixture
def localhost_both(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make ``localhost`` resolve to ::1 and 127.0.0.1, in the order of the list."""
    order = ["::1", "127.0.0.1"]
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, family: int = 0, type: int = 0, *a: Any, **k: Any):
        if host != "localhost":
            return real(host, port, family, type, *a, **k)
        found = []
        for address in order:
            fam = socket.AF_INET6 if ":" in address else socket.AF_INET
            if family in (0, fam):
                found += real(address, port, fam, type, *a, **k)
        return found

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return order


@contextlib.contextmanager
def listening_on_one_address_only(listening: str) -> Iterator[int]:
    """Listen on ``listening`` at a port whose number is refused on the other one.

    An ephemeral port of ::1 may be in use on 127.0.0.1 by any other program (and
    the other way round): the other address's port is held bound, not listening,
    so that a connect to it is refused for sure.
    """
    other = "127.0.0.1" if ":" in listening else "::1"
    for _ in range(20):
        server = socket.socket(_family(listening), socket.SOCK_STREAM)
        blocker = socket.socket(_family(other), socket.SOCK_STREAM)
        try:
            server.bind((listening, 0))
            port = server.getsockname()[1]
            try:
                blocker.bind((other, port))
            except OSError:
                continue  # taken there: another port
            server.listen(4)
            yield port
            return
        finally:
            server.close()
            blocker.close()
    raise AssertionError("no port free on both loopback addresses")


def _family(address: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


@pytest.mark.parametrize("listening", ["127.0.0.1", "::1"])
@pytest.mark.parametrize("first", ["::1", "127.0.0.1"])
def test_tcp_localhost_tries_the_other_address(
    localhost_both: list[str], listening: str, first: str
) -> None:
    localhost_both.sort(key=lambda a: a != first)
    with listening_on_one_address_only(listening) as port:
        options = TcpOptions("localhost", port, SECONDS)
        result = TcpMonitor("t", options).check()
    assert result.ok, result.message
    shown = f"[{listening}]:{port}" if ":" in listening else f"{listening}:{port}"
    assert result.message.startswith(f"connected to {shown} in ")


@pytest.mark.parametrize("listening", ["127.0.0.1", "::1"])
def test_http_localhost_tries_the_other_address(
    localhost_both: list[str], listening: str
) -> None:
    with HttpPeer(host=listening) as peer:
        peer.route("/", Reply(200))
        result = http(f"http://localhost:{peer.port}/").check()
    assert result.ok, result.message


def test_tcp_localhost_with_nothing_listening_says_connection_refused(
    localhost_both: list[str],
) -> None:
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
        probe.bind(("::1", 0))
        port = probe.getsockname()[1]
    result = TcpMonitor("t", TcpOptions("localhost", port, SECONDS)).check()
    assert not result.ok
    assert result.message == "connection refused"


# --- email ---------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["::1", "[::1]"])
def test_email_to_ipv6_loopback_with_starttls_and_auth(
    tmp_path: Path, host: str
) -> None:
    with smtp_server(
        tmp_path, host="::1", cert_names=("::1",), users={"u": "p"}
    ) as peer:
        options = EmailOptions(
            host=smtp_host(host, ParseContext()),  # as the INI loader parses it
            port=peer.port,
            to=("ops@example.test",),
            sender="mon@example.test",
            username="u",
            password="p",  # noqa: S106 - the test server's account
            ca_file=peer.ca_file,
            timeout=SECONDS,
        )
        EmailAlerter("mail", options).send(make_event())
        received = peer.wait_for_message()
    assert received.tls
    assert received.login == "u"


# --- syslog --------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["[::1]:{port}", "::1"])
def test_syslog_over_udp_to_ipv6_loopback(written: str) -> None:
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as server:
        server.bind(("::1", 0))
        server.settimeout(5)
        port = server.getsockname()[1]
        address = syslog_address(written.format(port=port), ParseContext())
        if written == "::1":  # no port: 514 is the default; aim at the test socket
            assert address == ("::1", 514)
            address = ("::1", port)
        alerter = SyslogAlerter("log", SyslogOptions(address=address))
        alerter.send(make_event(kind=EventKind.FAILURE))
        data, _ = server.recvfrom(4096)
    assert data.startswith(b"<12>simplemon: ")
    assert alerter.describe() == f"writing to syslog at [::1]:{port} (user)"


# --- dns -----------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["::1", "[::1]", "0:0:0:0:0:0:0:1"])
def test_dns_server_on_ipv6_loopback_as_written(written: str) -> None:
    server = ip_address(written, ParseContext())
    assert server == "::1"
    with DnsServer({("www.example.test.", "A"): ["192.0.2.10"]}, host="::1") as peer:
        options = DnsOptions(
            record="www.example.test",
            server=server,
            port=peer.port,
            desired_val=("192.0.2.10",),
            timeout=SECONDS,
        )
        result = DnsMonitor("d", options).check()
    assert result.ok, result.message


def _re(pattern: str) -> Any:
    import re

    return re.compile(pattern)
