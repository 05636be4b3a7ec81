"""The ``ping`` and ``host`` monitors: ICMP echo, IPv4 and IPv6.

No external ``ping`` command is run. In a round, an IP address is pinged by
:class:`~simplemon.monitors._icmp.EchoProbe` on the probe loop's shared ICMP socket;
a host name (and a direct ``check()``) by icmplib on a worker thread. Both report
through :func:`~simplemon.monitors._ping_run.summarise_replies`, so results read the
same. ``host`` is SimpleMonitor's name for the same check, with its per-reply wait
called ``ping_ttl``.
"""

from __future__ import annotations

from datetime import timedelta

from simplemon.model import CheckResult
from simplemon.monitor import Monitor
from simplemon.monitors._ping_run import (
    Privileged,
    echo_probe,
    run_ping,
    worst_case_seconds,
)
from simplemon.options import opt
from simplemon.parsers import ping_host
from simplemon.probe import Probe
from simplemon.record import record

_PRIVILEGED_HELP = (
    "ICMP socket kind: `no` = unprivileged ICMP (needs net.ipv4.ping_group_range), "
    "`yes` = raw socket (needs root or CAP_NET_RAW), `auto` = whichever works"
)


@record
class PingOptions:
    """Options of the ping monitor."""

    host: str = opt(
        parser=ping_host,
        help="host name or IP address (IPv4 or IPv6) to ping",
        example="127.0.0.1",
    )
    count: int = opt(
        1, min=1, max=100, help="echo requests to send; any reply counts as up"
    )
    timeout: timedelta = opt(
        timedelta(seconds=5),
        min=timedelta(milliseconds=100),
        max=timedelta(days=1),
        help="seconds to wait for each reply",
    )
    privileged: Privileged = opt("auto", help=_PRIVILEGED_HELP)


class PingMonitor(Monitor[PingOptions]):
    """Check that a host answers ICMP echo (ping), recording the round-trip time."""

    type_name = "ping"
    Options = PingOptions

    def check(self) -> CheckResult:
        """Send the echo requests and wait for replies; never raises for failures."""
        o = self.options
        return run_ping(o.host, o.count, o.timeout, o.privileged)

    def probe(self) -> Probe | None:
        """Ping an IP address on the shared socket; a host name goes to check()."""
        o = self.options
        return echo_probe(o.host, o.count, o.timeout, o.privileged)

    def describe(self) -> str:
        """Summarise the check in one line."""
        o = self.options
        return (
            f"ping {o.host} ({o.count} request(s), "
            f"{o.timeout.total_seconds():g}s per reply)"
        )

    def timeout_seconds(self) -> float:
        """Return the longest a check may take (all replies waited for in full)."""
        return worst_case_seconds(self.options.count, self.options.timeout)


@record
class HostOptions:
    """Options of the host monitor (SimpleMonitor's names for a ping check)."""

    host: str = opt(
        parser=ping_host,
        help="host name or IP address (IPv4 or IPv6) to ping",
        example="127.0.0.1",
    )
    count: int = opt(
        1, min=1, max=100, help="echo requests to send; any reply counts as up"
    )
    ping_ttl: timedelta = opt(
        timedelta(seconds=5),
        min=timedelta(milliseconds=100),
        max=timedelta(days=1),
        aliases=("timeout",),
        help="seconds to wait for each reply (SimpleMonitor's name; not an IP TTL)",
    )
    privileged: Privileged = opt("auto", help=_PRIVILEGED_HELP)
    ping_regexp: str | None = opt(
        None, help="accepted for SimpleMonitor compatibility and ignored (no command)"
    )
    time_regexp: str | None = opt(
        None, help="accepted for SimpleMonitor compatibility and ignored (no command)"
    )


class HostMonitor(Monitor[HostOptions]):
    """Check that a host answers ping (SimpleMonitor's `host` type, via icmplib)."""

    type_name = "host"
    Options = HostOptions

    def check(self) -> CheckResult:
        """Send the echo requests and wait for replies; never raises for failures."""
        o = self.options
        return run_ping(o.host, o.count, o.ping_ttl, o.privileged)

    def probe(self) -> Probe | None:
        """Ping an IP address on the shared socket; a host name goes to check()."""
        o = self.options
        return echo_probe(o.host, o.count, o.ping_ttl, o.privileged)

    def describe(self) -> str:
        """Summarise the check in one line."""
        return f"checking host {self.options.host} is pingable"

    def timeout_seconds(self) -> float:
        """Return the longest a check may take (all replies waited for in full)."""
        return worst_case_seconds(self.options.count, self.options.ping_ttl)
