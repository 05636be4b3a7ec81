"""The ping and host monitors sending real ICMP echo to loopback (and a namespace)."""

from __future__ import annotations

import os
import socket
import sys
import textwrap
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from simplemon.model import CheckResult
from simplemon.monitors._ping_run import Privileged, permission_message
from simplemon.monitors.ping import HostMonitor, HostOptions, PingMonitor, PingOptions
from simplemon.probe import run_probe
from tests.peers.netns import Namespace, namespace_or_skip

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parent.parent.parent
IS_ROOT = os.geteuid() == 0


def ping(
    host: str, privileged: Privileged = "auto", timeout: float = 1.0
) -> PingMonitor:
    options = PingOptions(
        host=host, count=2, timeout=timedelta(seconds=timeout), privileged=privileged
    )
    return PingMonitor("p", options)


def has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


def unprivileged_icmp_allowed() -> bool:
    """Whether this process's groups fall inside net.ipv4.ping_group_range."""
    try:
        text = Path("/proc/sys/net/ipv4/ping_group_range").read_text()
    except OSError:
        return False
    low, high = (int(n) for n in text.split())
    return any(low <= gid <= high for gid in {os.getegid(), *os.getgroups()})


def run(monitor: PingMonitor | HostMonitor, via: str) -> CheckResult:
    """Ping as a direct check() (icmplib) or as a round runs it (the probe loop)."""
    if via == "icmplib":
        return monitor.check()
    probe = monitor.probe()
    assert probe is not None  # IP addresses always take the probe path
    return run_probe(probe)


@pytest.fixture(params=["icmplib", "probe"])
def via(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def namespace() -> Iterator[Namespace]:
    with namespace_or_skip() as ns:
        yield ns


def test_ping_loopback_ipv4_records_rtt(via: str) -> None:
    # A generous timeout: loopback answers at once, but a loaded machine may not
    # schedule the reading thread within a second (a wait, not a measurement).
    result = run(ping("127.0.0.1", timeout=5.0), via)
    if not result.ok and "not permitted" in result.message:
        pytest.skip(result.message)
    assert result.ok, result.message
    assert result.details["packets_received"] == 2
    rtts = [result.details[k] for k in ("rtt_min_ms", "rtt_avg_ms", "rtt_max_ms")]
    assert 0 < rtts[0] <= rtts[1] <= rtts[2]
    assert result.duration == pytest.approx(rtts[1] / 1000)


@pytest.mark.skipif(not has_ipv6_loopback(), reason="IPv6 loopback ::1 unavailable")
def test_ping_loopback_ipv6(via: str) -> None:
    result = run(ping("::1"), via)
    if not result.ok and "not permitted" in result.message:
        pytest.skip(result.message)
    assert result.ok, result.message
    assert result.details["address"] == "::1"


@pytest.mark.skipif(not IS_ROOT, reason="privileged (raw socket) ping needs root")
def test_privileged_ping_as_root(via: str) -> None:
    result = run(ping("127.0.0.1", "yes"), via)
    assert result.ok, result.message
    assert result.details["privileged"] is True


@pytest.mark.skipif(
    not unprivileged_icmp_allowed(),
    reason="unprivileged ICMP not permitted: this process's groups are outside "
    "net.ipv4.ping_group_range (see the namespace test for that path)",
)
def test_unprivileged_ping(via: str) -> None:
    result = run(ping("127.0.0.1", "no"), via)
    assert result.ok, result.message
    assert result.details["privileged"] is False


@pytest.mark.skipif(
    unprivileged_icmp_allowed(), reason="unprivileged ICMP is permitted here"
)
def test_unprivileged_ping_refused_by_kernel_explains_the_fix(via: str) -> None:
    result = run(ping("127.0.0.1", "no"), via)
    assert not result.ok
    assert result.message == permission_message("no")


def test_host_type_pings_loopback(via: str) -> None:
    monitor = HostMonitor(
        "h", HostOptions(host="127.0.0.1", ping_ttl=timedelta(seconds=1))
    )
    result = run(monitor, via)
    if not result.ok and "not permitted" in result.message:
        pytest.skip(result.message)
    assert result.ok, result.message


def test_unanswered_ping_fails_after_the_timeout(
    namespace: Namespace, via: str
) -> None:
    monitor = PingMonitor(
        "p",
        PingOptions(
            host=namespace.silent_address, count=1, timeout=timedelta(seconds=0.5)
        ),
    )
    result = run(monitor, via)
    assert not result.ok
    assert result.message == f"no reply from {namespace.silent_address} (1 sent)"
    assert result.duration >= 0.4  # it really waited for the reply


def test_unprivileged_ping_inside_a_namespace_that_allows_it(
    namespace: Namespace,
) -> None:
    # ping_group_range is per namespace: allow every group there only.
    namespace.run(["sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647"])
    script = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, {repo!r})
        from datetime import timedelta
        from simplemon.monitors.ping import PingMonitor, PingOptions
        options = PingOptions(host="127.0.0.1", timeout=timedelta(seconds=1),
                              privileged="no")
        from simplemon.probe import run_probe
        monitor = PingMonitor("p", options)
        for result in (monitor.check(), run_probe(monitor.probe())):
            print(result.ok, result.details.get("privileged"), result.message)
        """
    ).format(repo=str(REPO))
    done = namespace.run([sys.executable, "-c", script], timeout=20)
    if "sysctl" in done.stderr:
        pytest.skip(f"cannot set ping_group_range in the namespace: {done.stderr}")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stdout
    assert all(line.startswith("True False 127.0.0.1: 1/1 replies") for line in lines)
