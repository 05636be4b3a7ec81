"""The ``ping`` and ``host`` monitors: ICMP echo via icmplib, IPv4 and IPv6.

No external ``ping`` command is run. ``host`` is SimpleMonitor's name for the same
check, with its per-reply wait called ``ping_ttl``; both share :func:`run_ping`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import icmplib

from simplemon.model import CheckResult
from simplemon.monitor import Monitor
from simplemon.options import opt

Privileged = Literal["auto", "yes", "no"]

#: Seconds between two echo requests of one check (the usual minimum for non-root).
INTERVAL = 0.2

_PRIVILEGED_HELP = (
    "ICMP socket kind: `no` = unprivileged ICMP (needs net.ipv4.ping_group_range), "
    "`yes` = raw socket (needs root or CAP_NET_RAW), `auto` = whichever works"
)


def privilege_attempts(mode: Privileged, is_root: bool) -> tuple[bool, ...]:
    """Return the ``privileged`` flags to try, in order; pure.

    ``auto`` tries the kind most likely to work first: raw sockets as root, the
    unprivileged ICMP socket otherwise (a non-root process may still hold
    CAP_NET_RAW, so the raw socket is the fallback).
    """
    if mode == "yes":
        return (True,)
    if mode == "no":
        return (False,)
    return (True, False) if is_root else (False, True)


def permission_message(mode: Privileged) -> str:
    """Explain how to allow pinging, for a SocketPermissionError in ``mode``."""
    unprivileged = (
        "allow unprivileged ICMP for this process's group, e.g. "
        "sysctl -w net.ipv4.ping_group_range='0 2147483647'"
    )
    privileged = "run as root or grant CAP_NET_RAW (e.g. setcap cap_net_raw+ep)"
    if mode == "no":
        fix = unprivileged
    elif mode == "yes":
        fix = privileged
    else:
        fix = f"{unprivileged}, or {privileged}"
    return f"not permitted to open an ICMP socket (privileged = {mode}): {fix}"


def summarise(host: icmplib.Host, privileged: bool, elapsed: float) -> CheckResult:
    """Turn icmplib's statistics into a CheckResult; pure.

    A check passes when at least one reply came back. Its duration is then the
    average round-trip time (like an HTTP check's response time), else ``elapsed``.
    """
    details = {
        "address": host.address,
        "packets_sent": host.packets_sent,
        "packets_received": host.packets_received,
        "packet_loss": host.packet_loss,
        "rtt_min_ms": host.min_rtt,
        "rtt_avg_ms": host.avg_rtt,
        "rtt_max_ms": host.max_rtt,
        "privileged": privileged,
    }
    if not host.is_alive:
        return CheckResult(
            False,
            f"no reply from {host.address} ({host.packets_sent} sent)",
            elapsed,
            details,
        )
    message = (
        f"{host.address}: {host.packets_received}/{host.packets_sent} replies, "
        f"rtt min/avg/max {host.min_rtt:.3f}/{host.avg_rtt:.3f}/{host.max_rtt:.3f} ms"
    )
    return CheckResult(True, message, host.avg_rtt / 1000, details)


def run_ping(
    address: str,
    count: int,
    timeout: timedelta,
    mode: Privileged,
    ping: Callable[..., icmplib.Host] = icmplib.ping,
) -> CheckResult:
    """Ping ``address`` ``count`` times, waiting ``timeout`` for each reply.

    Host names are resolved by the system resolver. Expected failures (no reply,
    unknown name, no permission) are failed results; nothing is raised for them.
    ``ping`` is icmplib's, replaceable so tests can script its outcomes.
    """
    start = time.monotonic()
    attempts = privilege_attempts(mode, os.geteuid() == 0)
    for privileged in attempts:
        try:
            host = ping(
                address,
                count=count,
                interval=INTERVAL,
                timeout=timeout.total_seconds(),
                privileged=privileged,
            )
        except icmplib.SocketPermissionError:
            continue
        except icmplib.NameLookupError:
            return _failed(f"cannot resolve host name {address!r}", start)
        except icmplib.ICMPLibError as e:
            return _failed(f"cannot ping {address}: {e}", start)
        return summarise(host, privileged, _since(start))
    return _failed(permission_message(mode), start)


def worst_case_seconds(count: int, timeout: timedelta) -> float:
    """Return the longest one check can take: every reply waited for in full."""
    return count * timeout.total_seconds() + (count - 1) * INTERVAL


def _since(start: float) -> float:
    return time.monotonic() - start


def _failed(message: str, start: float) -> CheckResult:
    return CheckResult(False, message, _since(start))


@dataclass(frozen=True)
class PingOptions:
    """Options of the ping monitor."""

    host: str = opt(help="host name or IP address (IPv4 or IPv6) to ping")
    count: int = opt(
        1, min=1, max=100, help="echo requests to send; any reply counts as up"
    )
    timeout: timedelta = opt(
        timedelta(seconds=5),
        min=timedelta(milliseconds=100),
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


@dataclass(frozen=True)
class HostOptions:
    """Options of the host monitor (SimpleMonitor's names for a ping check)."""

    host: str = opt(help="host name or IP address (IPv4 or IPv6) to ping")
    count: int = opt(
        1, min=1, max=100, help="echo requests to send; any reply counts as up"
    )
    ping_ttl: timedelta = opt(
        timedelta(seconds=5),
        min=timedelta(milliseconds=100),
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

    def describe(self) -> str:
        """Summarise the check in one line."""
        return f"checking host {self.options.host} is pingable"

    def timeout_seconds(self) -> float:
        """Return the longest a check may take (all replies waited for in full)."""
        return worst_case_seconds(self.options.count, self.options.ping_ttl)
