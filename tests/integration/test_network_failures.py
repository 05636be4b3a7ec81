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


SILENT = [
    (netlab.ROUTER_BLACKHOLE, "a router drops"),
    (netlab.ROUTER_BLACKHOLE6, "a router drops"),
    (netlab.PING_ONLY, "answers ping, drops tcp"),
    (netlab.PING_ONLY6, "answers ping, drops tcp"),
]


def test_silently_dropped_checks_wait_their_timeout_and_say_so_on_both_paths(
    lab: Lab,
) -> None:
    body = f"""
    from concurrent.futures import ThreadPoolExecutor
    from simplemon.monitors.http import HttpMonitor, HttpOptions
    from simplemon.monitors.ping import PingMonitor, PingOptions
    calls = {{}}
    pings = []
    for host, _ in {SILENT!r}:
        monitor = tcp(host, timeout=1)
        calls["tcp probe " + host] = lambda m=monitor: run_probe(m.probe())
        calls["tcp check " + host] = monitor.check
        url = f"http://[{{host}}]:8080/" if ":" in host else f"http://{{host}}:8080/"
        calls["http " + host] = HttpMonitor(
            "h", HttpOptions(url=url, timeout=timedelta(seconds=1))).check
        ping = PingMonitor("p", PingOptions(host=host, timeout=timedelta(seconds=1)))
        calls["ping check " + host] = ping.check
        # Not on threads: each run_probe opens its own raw ICMP socket with the
        # process's identifier, and would take the others' replies for its own
        # (a round has one such socket; icmplib uses other identifiers).
        pings.append((host, ping))
    def timed(call):
        start = time.monotonic()
        return call(), time.monotonic() - start
    # All at once, each on its own thread: they are independent and mostly wait.
    with ThreadPoolExecutor(len(calls)) as pool:
        for name, (result, elapsed) in zip(calls, pool.map(timed, calls.values())):
            report(name, result, elapsed)
    for host, ping in pings:
        report("ping probe " + host, *timed(lambda: run_probe(ping.probe())))
    """
    reports = run_in_client(lab, body)
    for host, _ in SILENT:
        for name in ("tcp probe", "tcp check", "http"):
            found = reports[f"{name} {host}"]
            assert found["message"] == "timed out after 1s", (name, host)
            assert 0.9 <= found["elapsed"] < 6, (name, host, found)
        answers_ping = host in (netlab.PING_ONLY, netlab.PING_ONLY6)
        for name in ("ping probe", "ping check"):
            found = reports[f"{name} {host}"]
            assert found["ok"] is answers_ping, (name, host, found)
            if not answers_ping:
                assert found["message"] == f"no reply from {host} (1 sent)"
                assert 0.9 <= found["elapsed"] < 6, (name, host, found)


def test_a_handful_of_black_holes_do_not_delay_hundreds_of_healthy_checks(
    lab: Lab,
) -> None:
    lab.serve_tcp(8080)
    body = f"""
    from simplemon.monitors.ping import PingMonitor, PingOptions
    def ping(host, timeout=20):
        return PingMonitor("p", PingOptions(host=host,
                                            timeout=timedelta(seconds=timeout)))
    # Known neighbours first: a burst to an unresolved one is partly dropped by
    # the kernel while ARP/NDP runs (any ping tool loses those).
    for host in ({netlab.PEER!r}, {netlab.PEER6!r}):
        assert run_probe(ping(host, 5).probe()).ok
    loop = ProbeLoop()
    done = {{}}
    start = time.monotonic()
    def submit(name, probe):
        future = loop.submit(probe)
        future.add_done_callback(
            lambda f: done.setdefault(name, (time.monotonic() - start, f.result())))
    for i in range(5):
        submit(f"hole tcp {{i}}", tcp({netlab.ROUTER_BLACKHOLE!r}).probe())
        submit(f"hole ping {{i}}", ping({netlab.ROUTER_BLACKHOLE6!r}).probe())
    for i in range(200):
        host = {netlab.PEER!r} if i % 2 else {netlab.PEER6!r}
        submit(f"tcp {{i}}", tcp(host).probe())
        submit(f"ping {{i}}", ping(host).probe())
    loop.wait(lambda: len(done) == 400, 40)
    for name, (at, result) in done.items():
        report(name, result, at)
    loop.close()
    """
    reports = run_in_client(lab, body)
    healthy = [r for name, r in reports.items() if not name.startswith("hole")]
    assert len(healthy) == 400
    assert all(r["ok"] for r in healthy), [r for r in healthy if not r["ok"]][:3]
    assert max(r["elapsed"] for r in healthy) < 10  # the holes wait 20 s
    assert not any(name.startswith("hole") for name in reports)


def test_the_link_going_down_mid_check_ends_in_the_timeout_then_fails_at_once(
    lab: Lab,
) -> None:
    body = f"""
    import subprocess, threading
    from simplemon.monitors.ping import PingMonitor, PingOptions
    loop = ProbeLoop()
    waiting = loop.submit(tcp({netlab.ROUTER_BLACKHOLE!r}, timeout=2).probe())
    def down():
        time.sleep(0.3)
        subprocess.run(["ip", "link", "set", "vc", "down"], check=True, timeout=10)
    threading.Thread(target=down).start()
    start = time.monotonic()
    loop.wait(waiting.done, 30)
    report("in flight", waiting.result(), time.monotonic() - start)
    loop.close()
    ping = PingMonitor("p", PingOptions(host={netlab.PEER!r},
                                        timeout=timedelta(seconds=20)))
    for name, call in (("ping probe", lambda: run_probe(ping.probe())),
                       ("ping check", ping.check),
                       ("tcp", tcp({netlab.PEER!r}).check)):
        start = time.monotonic()
        report(name, call(), time.monotonic() - start)
    """
    reports = run_in_client(lab, body)
    assert reports["in flight"]["message"] == "timed out after 2s"
    assert 1.9 <= reports["in flight"]["elapsed"] < 10
    gone = f"cannot send to {netlab.PEER}: network is unreachable"
    assert reports["ping probe"]["message"] == gone
    assert reports["ping check"]["message"] == gone
    assert reports["tcp"]["message"] == "network is unreachable"
    for name in ("ping probe", "ping check", "tcp"):
        assert reports[name]["elapsed"] < 10, name
