"""A two-namespace network lab for tests of how checks fail on a real network.

For tests only; needs root and the ``ip`` command (callers skip otherwise). Both
ends live in namespaces the lab creates, so nothing here touches this machine's
own routes and no packet leaves the lab::

    with lab_or_skip() as lab:
        lab.serve_tcp(8080)                  # a listener on the peer
        out = lab.python_in_client(script)   # run a script as the client

Addresses (documentation ranges only, private to the lab's namespaces):

- ``PEER`` / ``PEER6``: the peer, on the client's link; answers ping, tcp, http.
- ``NO_NEIGHBOUR`` / ``NO_NEIGHBOUR6``: on the link, but nobody answers ARP / NDP.
- ``LOCAL_UNREACHABLE``, ``LOCAL_PROHIBIT``, ``LOCAL_BLACKHOLE`` (+ ``…6``): the
  client's own routing table refuses them (as a host with no route would).
- ``ROUTER_BLACKHOLE`` / ``ROUTER_BLACKHOLE6``: routed via the peer, which drops
  them silently (a firewall that drops).
- ``PING_ONLY`` / ``PING_ONLY6``: an address of the peer that answers ping but
  whose tcp replies are dropped (a host with a dropping firewall on its ports).
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.peers.netns import TIMEOUT, ip, unavailable_reason

REPO = Path(__file__).resolve().parent.parent.parent

PEER, PEER6 = "192.0.2.2", "2001:db8:1::2"
NO_NEIGHBOUR, NO_NEIGHBOUR6 = "192.0.2.3", "2001:db8:1::3"
LOCAL_BLACKHOLE, LOCAL_BLACKHOLE6 = "203.0.113.1", "2001:db8:3::1"
LOCAL_UNREACHABLE, LOCAL_UNREACHABLE6 = "203.0.113.2", "2001:db8:3::2"
LOCAL_PROHIBIT, LOCAL_PROHIBIT6 = "203.0.113.3", "2001:db8:3::3"
ROUTER_BLACKHOLE, ROUTER_BLACKHOLE6 = "198.51.100.3", "2001:db8:2::3"
PING_ONLY, PING_ONLY6 = "198.51.100.5", "2001:db8:2::5"

_SERVER = """
import socket, sys, time
socks = []
for family, host in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((host, int(sys.argv[1])))
    s.listen(1024)
    s.settimeout(0.2)
    socks.append(s)
print("ready", flush=True)
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    for s in socks:
        try:
            conn, _ = s.accept()
        except OSError:
            continue
        conn.close()
"""


class Lab:
    """A client namespace wired to a peer namespace that also acts as a router."""

    def __init__(self) -> None:
        tag = secrets.token_hex(3)
        self.client = f"smlabc-{tag}"
        self.peer = f"smlabp-{tag}"
        self._servers: list[subprocess.Popen[str]] = []

    def __enter__(self) -> Lab:
        ip("netns", "add", self.client)
        try:
            ip("netns", "add", self.peer)
            self._wire()
        except BaseException:
            self.close()
            raise
        return self

    def _wire(self) -> None:
        c, p = ("-n", self.client), ("-n", self.peer)
        for ns in (c, p):
            ip(*ns, "link", "set", "lo", "up")
        ip(*c, "link", "add", "vc", "type", "veth", "peer", "name", "vp", "netns", p[1])
        ip(*c, "addr", "add", "192.0.2.1/29", "dev", "vc")
        ip(*c, "addr", "add", "2001:db8:1::1/64", "dev", "vc", "nodad")
        ip(*p, "addr", "add", f"{PEER}/29", "dev", "vp")
        ip(*p, "addr", "add", f"{PEER6}/64", "dev", "vp", "nodad")
        ip(*c, "link", "set", "vc", "up")
        ip(*p, "link", "set", "vp", "up")
        ip(*c, "route", "add", "198.51.100.0/24", "via", PEER)
        ip(*c, "route", "add", "2001:db8:2::/64", "via", PEER6)
        for kind, v4, v6 in (
            ("blackhole", LOCAL_BLACKHOLE, LOCAL_BLACKHOLE6),
            ("unreachable", LOCAL_UNREACHABLE, LOCAL_UNREACHABLE6),
            ("prohibit", LOCAL_PROHIBIT, LOCAL_PROHIBIT6),
        ):
            ip(*c, "route", "add", kind, v4)
            ip(*c, "route", "add", kind, v6)
        self.in_peer(
            ["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"]
        )
        ip(*p, "route", "add", "blackhole", ROUTER_BLACKHOLE)
        ip(*p, "route", "add", "blackhole", ROUTER_BLACKHOLE6)
        ip(*p, "addr", "add", f"{PING_ONLY}/32", "dev", "lo")
        ip(*p, "addr", "add", f"{PING_ONLY6}/128", "dev", "lo", "nodad")
        ip(*p, "rule", "add", "from", PING_ONLY, "ipproto", "tcp", "blackhole")
        ip(*p, "-6", "rule", "add", "from", PING_ONLY6, "ipproto", "tcp", "blackhole")

    def in_peer(self, argv: Sequence[str]) -> None:
        """Run a command in the peer namespace; raise if it fails."""
        subprocess.run(
            ["ip", "netns", "exec", self.peer, *argv],
            check=True,
            capture_output=True,
            timeout=TIMEOUT,
        )

    def client_ip(self, *args: str) -> None:
        """Run ``ip ARGS`` in the client namespace (e.g. to take its link down)."""
        ip("-n", self.client, *args)

    def serve_tcp(self, port: int, seconds: float = 60) -> None:
        """Accept (and close) tcp connections on ``port`` of every peer address."""
        argv = [sys.executable, "-c", _SERVER, str(port), str(seconds)]
        server = subprocess.Popen(
            ["ip", "netns", "exec", self.peer, *argv],
            stdout=subprocess.PIPE,
            text=True,
        )
        self._servers.append(server)
        assert server.stdout is not None
        assert server.stdout.readline().strip() == "ready"

    def python_in_client(
        self, script: str, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run a Python script in the client namespace, the repository importable."""
        return subprocess.run(
            ["ip", "netns", "exec", self.client, sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=REPO,
            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        )

    def close(self) -> None:
        """Stop the servers and delete both namespaces (the veth goes with them)."""
        for server in self._servers:
            server.kill()
            server.wait(TIMEOUT)
            if server.stdout is not None:
                server.stdout.close()
        for name in (self.client, self.peer):
            subprocess.run(
                ["ip", "netns", "del", name],
                capture_output=True,
                timeout=TIMEOUT,
                check=False,
            )

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def lab_or_skip() -> Iterator[Lab]:
    """Yield a fresh Lab, or skip the test saying why one can't be made here."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    lab = Lab()
    try:
        lab.__enter__()
    except subprocess.CalledProcessError as e:
        pytest.skip(f"cannot build the network lab here: {e.stderr}")
    try:
        yield lab
    finally:
        lab.close()
