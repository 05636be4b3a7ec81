"""tcp, ping, http and dns checks against the ways a real network fails.

Each test builds a two-namespace lab (tests/peers/netlab.py) and runs the checks
inside its client namespace, in a subprocess: routes that refuse, a router that
drops, a neighbour that never answers ARP, a host that answers ping only.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from tests.peers import netlab
from tests.peers.netlab import Lab, lab_or_skip

pytestmark = pytest.mark.integration

PRELUDE = """
import json, time
from datetime import timedelta
from simplemon.monitors.tcp import TcpMonitor, TcpOptions
from simplemon.probe import run_probe
from simplemon.probe_loop import ProbeLoop

def report(name, result, elapsed):
    print(json.dumps({"name": name, "ok": result.ok, "message": result.message,
                      "elapsed": elapsed}), flush=True)

def tcp(host, port=8080, timeout=20):
    return TcpMonitor("t", TcpOptions(host=host, port=port,
                                      timeout=timedelta(seconds=timeout)))
"""


@pytest.fixture
def lab() -> Iterator[Lab]:
    with lab_or_skip() as made:
        yield made


def run_in_client(lab: Lab, body: str) -> dict[str, dict[str, Any]]:
    """Run ``body`` (after PRELUDE) in the client namespace; its reports by name."""
    done = lab.python_in_client(PRELUDE + textwrap.dedent(body))
    assert done.returncode == 0, done.stderr
    reports = [json.loads(line) for line in done.stdout.splitlines()]
    return {r["name"]: r for r in reports}


REFUSED_HERE = [
    (netlab.LOCAL_UNREACHABLE, "no route to host"),
    (netlab.LOCAL_PROHIBIT, "permission denied"),
    (netlab.LOCAL_UNREACHABLE6, "no route to host"),
    (netlab.LOCAL_PROHIBIT6, "permission denied"),
]


def test_a_connect_the_local_routes_refuse_fails_at_once_not_at_the_timeout(
    lab: Lab,
) -> None:
    # The kernel refuses these connects outright; a check must not then sit out
    # its 20 s timeout, neither alone (check(): a host name's worker thread) nor
    # on the probe loop next to a check that is still waiting.
    body = f"""
    for host, _ in {REFUSED_HERE!r}:
        start = time.monotonic()
        report("check " + host, tcp(host).check(), time.monotonic() - start)
        loop = ProbeLoop()
        waiting = loop.submit(tcp({netlab.ROUTER_BLACKHOLE!r}, timeout=40).probe())
        refused = loop.submit(tcp(host).probe())
        start = time.monotonic()
        loop.wait(refused.done, 30)
        report("loop " + host, refused.result(), time.monotonic() - start)
        assert not waiting.done()
        loop.close()
    """
    reports = run_in_client(lab, body)
    for host, message in REFUSED_HERE:
        for path in ("check", "loop"):
            found = reports[f"{path} {host}"]
            assert not found["ok"]
            assert found["message"] == message, (path, host)
            assert found["elapsed"] < 10, (path, host, found)  # not the 20 s timeout


def test_dns_names_a_refusing_route_as_plainly_as_tcp_does(lab: Lab) -> None:
    body = f"""
    from simplemon.monitors.dns import DnsMonitor, DnsOptions
    for host in ({netlab.LOCAL_UNREACHABLE!r}, {netlab.LOCAL_PROHIBIT6!r}):
        options = DnsOptions(record="www.test", server=host,
                             timeout=timedelta(seconds=20))
        start = time.monotonic()
        report(host, DnsMonitor("d", options).check(), time.monotonic() - start)
    """
    reports = run_in_client(lab, body)
    unreachable = reports[netlab.LOCAL_UNREACHABLE]
    assert unreachable["message"] == (
        f"no route to host from {netlab.LOCAL_UNREACHABLE} port 53"
    )
    prohibited = reports[netlab.LOCAL_PROHIBIT6]
    assert prohibited["message"] == (
        f"permission denied from {netlab.LOCAL_PROHIBIT6} port 53"
    )
    assert unreachable["elapsed"] < 10
    assert prohibited["elapsed"] < 10


def test_a_ping_no_route_lets_out_says_why_on_both_paths(lab: Lab) -> None:
    # "no reply from X (0 sent)" hid that nothing could be sent at all.
    body = f"""
    from simplemon.monitors.ping import PingMonitor, PingOptions
    for host in ({netlab.LOCAL_UNREACHABLE!r}, {netlab.LOCAL_PROHIBIT6!r}):
        monitor = PingMonitor("p", PingOptions(host=host, count=2,
                                               timeout=timedelta(seconds=20)))
        start = time.monotonic()
        report("probe " + host, run_probe(monitor.probe()), time.monotonic() - start)
        start = time.monotonic()
        report("check " + host, monitor.check(), time.monotonic() - start)
    """
    reports = run_in_client(lab, body)
    for host, reason in (
        (netlab.LOCAL_UNREACHABLE, "no route to host"),
        (netlab.LOCAL_PROHIBIT6, "permission denied"),
    ):
        for path in ("probe", "check"):
            found = reports[f"{path} {host}"]
            assert not found["ok"]
            assert found["message"] == f"cannot send to {host}: {reason}", path
            assert found["elapsed"] < 10, (path, found)
