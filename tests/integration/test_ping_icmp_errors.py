"""ICMP errors about a ping, heard by unprivileged ICMP sockets as by raw ones.

Each test builds a two-namespace lab (tests/peers/netlab.py) whose peer, acting as
router, answers some addresses with "host unreachable" or "administratively
prohibited". The client namespace allows unprivileged ICMP (ping_group_range is per
namespace), so both socket kinds are checked side by side, in one probe loop, as a
round runs them.

The router's kernel rate-limits its ICMP errors: routing errors (``ip_error``) to
about 5 at once and 1 a second per source, a limit set in the root namespace only.
So each test sends few requests that draw errors, and the per-namespace ICMP rate
limits are switched off in the peer.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from tests.peers import netlab
from tests.peers.netlab import Lab, lab_or_skip
from tests.peers.netns import ip

pytestmark = pytest.mark.integration

UNREACHABLE, UNREACHABLE6 = "198.51.100.7", "2001:db8:2::7"
PROHIBITED, PROHIBITED6 = "198.51.100.8", "2001:db8:2::8"
TIMEOUT = 10  # seconds per reply: an error must end the wait long before
#: What each address's failure says: the peer routes them, and says why it won't.
SAYS = {
    UNREACHABLE: f"host unreachable (reported by {netlab.PEER})",
    PROHIBITED: (
        f"communication administratively prohibited (reported by {netlab.PEER})"
    ),
    UNREACHABLE6: f"no route to destination (reported by {netlab.PEER6})",
    PROHIBITED6: (
        f"communication administratively prohibited (reported by {netlab.PEER6})"
    ),
}

PRELUDE = """
import json, sys, time
from datetime import timedelta
from simplemon.monitors.ping import PingMonitor, PingOptions
from simplemon.probe_core import ProbeCore

def ping(host, privileged, timeout):
    options = PingOptions(host=host, timeout=timedelta(seconds=timeout),
                          privileged=privileged)
    return PingMonitor("p", options).probe()

def wait_for(core, results, count, deadline=30):
    # Step the loop until ``count`` probes have their result (bounded).
    end = time.monotonic() + deadline
    while len(results) < count and time.monotonic() < end:
        core.step(0.1)

def submit(core, results, name, probe):
    start = time.monotonic()
    def done(result):
        results[name] = {"ok": result.ok, "message": result.message,
                         "privileged": result.details.get("privileged"),
                         "icmp_error": result.details.get("icmp_error"),
                         "elapsed": time.monotonic() - start}
    core.add(probe, done)

def report(results):
    print(json.dumps(results), flush=True)

core = ProbeCore(max_active=100)
results = {}
"""


@pytest.fixture
def lab() -> Iterator[Lab]:
    with lab_or_skip() as made:
        p = ("-n", made.peer)
        for kind, v4, v6 in (
            ("unreachable", UNREACHABLE, UNREACHABLE6),
            ("prohibit", PROHIBITED, PROHIBITED6),
        ):
            ip(*p, "route", "add", kind, v4)
            ip(*p, "route", "add", kind, v6)
        made.in_peer(
            ["sysctl", "-qw", "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0"]
        )
        # ping_group_range is per namespace: allow every group in the client's.
        done = made.python_in_client(
            "from pathlib import Path; Path('/proc/sys/net/ipv4/ping_group_range')"
            ".write_text('0 2147483647')"
        )
        if done.returncode != 0:
            pytest.skip(f"cannot set ping_group_range in the namespace: {done.stderr}")
        yield made


def run_in_client(lab: Lab, body: str) -> dict[str, dict[str, Any]]:
    """Run ``body`` (after PRELUDE: ``core``, ``results``) in the client namespace,
    then report ``results``; return that report."""
    done = lab.python_in_client(PRELUDE + textwrap.dedent(body) + "report(results)\n")
    assert done.returncode == 0, done.stderr
    report: dict[str, dict[str, Any]] = json.loads(done.stdout)
    return report


def test_a_routers_icmp_error_ends_the_wait_on_both_socket_kinds_alike(
    lab: Lab,
) -> None:
    reports = run_in_client(
        lab,
        f"""
        # First a reply, so the neighbours are known before the errors are timed.
        for mode in ("no", "yes"):
            for host in ({netlab.PEER!r}, {netlab.PEER6!r}):
                submit(core, results, f"{{host}} {{mode}}", ping(host, mode, 5))
        wait_for(core, results, 4)
        for mode in ("no", "yes"):
            for host in ({UNREACHABLE!r}, {PROHIBITED!r}, {UNREACHABLE6!r},
                         {PROHIBITED6!r}, {netlab.ROUTER_BLACKHOLE!r}):
                timeout = 0.5 if host == {netlab.ROUTER_BLACKHOLE!r} else {TIMEOUT}
                submit(core, results, f"{{host}} {{mode}}", ping(host, mode, timeout))
        wait_for(core, results, 14)
        """,
    )
    for mode, privileged in (("no", False), ("yes", True)):
        for host in (netlab.PEER, netlab.PEER6):
            reply = reports[f"{host} {mode}"]
            assert reply["ok"], reply
            assert reply["message"].startswith(f"{host}: 1/1 replies")
            assert reply["privileged"] is privileged
        for host, says in SAYS.items():
            error = reports[f"{host} {mode}"]
            assert not error["ok"]
            assert error["message"] == f"no reply from {host} (1 sent): {says}"
            assert error["icmp_error"] == says
            assert error["privileged"] is privileged
            assert error["elapsed"] < TIMEOUT / 2, (host, mode, error)
        silent = reports[f"{netlab.ROUTER_BLACKHOLE} {mode}"]
        assert silent["message"] == f"no reply from {netlab.ROUTER_BLACKHOLE} (1 sent)"
        assert silent["icmp_error"] is None
        assert silent["elapsed"] >= 0.4  # nothing came back: it waited
    for host in [*SAYS, netlab.ROUTER_BLACKHOLE]:  # both socket kinds say the same
        assert reports[f"{host} no"]["message"] == reports[f"{host} yes"]["message"]


def test_an_unanswered_arp_ends_the_wait_when_this_host_gives_up_on_both_kinds(
    lab: Lab,
) -> None:
    # This host's own kernel reports "host unreachable" (IPv4) / "address
    # unreachable" (IPv6) after about 3 s of unanswered ARP / neighbour discovery,
    # from the address the request left from (measured: 3.1 s, both kinds).
    reports = run_in_client(
        lab,
        f"""
        for mode in ("no", "yes"):
            for host in ({netlab.NO_NEIGHBOUR!r}, {netlab.NO_NEIGHBOUR6!r}):
                submit(core, results, f"{{host}} {{mode}}", ping(host, mode, {TIMEOUT}))
        wait_for(core, results, 4)
        """,
    )
    says = {
        netlab.NO_NEIGHBOUR: "host unreachable (no ARP answer on the local network; "
        "reported by this host, 192.0.2.1)",
        netlab.NO_NEIGHBOUR6: "address unreachable (no neighbour discovery answer on "
        "the local network; reported by this host, 2001:db8:1::1)",
    }
    for mode, privileged in (("no", False), ("yes", True)):
        for host, said in says.items():
            error = reports[f"{host} {mode}"]
            assert error["message"] == f"no reply from {host} (1 sent): {said}"
            assert error["privileged"] is privileged
            assert error["elapsed"] < TIMEOUT - 2, (host, mode, error)


def test_an_error_waiting_on_the_shared_socket_does_not_fail_the_next_send(
    lab: Lab,
) -> None:
    # The kernel hands a queued error's errno to the next call on the socket, a
    # send included: the next ping's request would fail, unsent, with "no route
    # to host" that belongs to another ping.
    reports = run_in_client(
        lab,
        f"""
        submit(core, results, "warm", ping({netlab.PEER!r}, "no", 5))
        wait_for(core, results, 1)
        # Started together, as a round starts its checks: the error (the veth
        # delivers at once) is queued before the second request is sent.
        submit(core, results, "refused", ping({UNREACHABLE!r}, "no", {TIMEOUT}))
        submit(core, results, "next", ping({netlab.PEER!r}, "no", 5))
        wait_for(core, results, 3)
        """,
    )
    assert reports["next"]["ok"], reports["next"]
    assert reports["next"]["message"].startswith(f"{netlab.PEER}: 1/1 replies")
    refused = reports["refused"]
    assert refused["message"] == (
        f"no reply from {UNREACHABLE} (1 sent): {SAYS[UNREACHABLE]}"
    )
    assert refused["elapsed"] < TIMEOUT / 2
