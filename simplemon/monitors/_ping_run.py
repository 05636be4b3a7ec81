"""How a ping check runs, and the result both of its paths give.

An IP address is pinged without blocking by :class:`~simplemon.monitors._icmp.EchoProbe`
on the probe loop's shared ICMP socket (:func:`echo_probe`); a host name, and a
direct ``check()``, by icmplib on a worker thread (:func:`run_ping`). Both report
through :func:`summarise_replies`, so their results and messages read the same.
Kept apart from ``ping.py`` so the plugin module is its options and monitors only;
the ``ping`` and ``host`` types share all of this.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from simplemon.model import CheckResult
from simplemon.monitors._address import ip_family
from simplemon.monitors._icmp import EchoProbe, reason
from simplemon.probe import Probe

if TYPE_CHECKING:
    import icmplib

Privileged = Literal["auto", "yes", "no"]

#: Seconds between two echo requests of one check (the usual minimum for non-root).
INTERVAL = 0.2


def privilege_attempts(mode: Privileged) -> tuple[bool, ...]:
    """Return the ``privileged`` flags to try, in order; pure.

    ``auto`` tries the unprivileged ICMP socket first, even as root: the kernel
    hands it only its own replies, whereas every raw socket sees every ICMP packet,
    which under many concurrent checks was measured to be slower and to lose
    replies. The raw socket is the fallback (root, or a process with CAP_NET_RAW).
    """
    if mode == "yes":
        return (True,)
    if mode == "no":
        return (False,)
    return (False, True)


def permission_message(mode: Privileged, gid: int | None = None) -> str:
    """Explain how to allow pinging, for a SocketPermissionError in ``mode``.

    The sysctl shown admits this process's group only (``gid``, by default the
    real one): the usual ``0 2147483647`` would open ICMP sockets to every user.
    A file capability on the interpreter would give raw sockets to every script
    it runs, so the service manager's capability is suggested instead.
    """
    gid = os.getgid() if gid is None else gid
    unprivileged = (
        f"allow unprivileged ICMP for this process's group (gid {gid}), e.g. "
        f"sysctl -w net.ipv4.ping_group_range='{gid} {gid}'"
    )
    privileged = (
        "run as root or grant CAP_NET_RAW "
        "(e.g. AmbientCapabilities=CAP_NET_RAW in its systemd unit)"
    )
    if mode == "no":
        fix = unprivileged
    elif mode == "yes":
        fix = privileged
    else:
        fix = f"{unprivileged}, or {privileged}"
    return f"not permitted to open an ICMP socket (privileged = {mode}): {fix}"


def summarise(
    host: icmplib.Host, privileged: bool, elapsed: float, unsent: str | None = None
) -> CheckResult:
    """Turn icmplib's statistics into a CheckResult; pure."""
    return summarise_replies(
        host.address, host.packets_sent, list(host.rtts), privileged, elapsed, unsent
    )


def summarise_replies(
    address: str,
    sent: int,
    rtts: list[float],
    privileged: bool,
    elapsed: float,
    unsent: str | None = None,
    icmp_error: str | None = None,
) -> CheckResult:
    """Turn the replies' round-trip times (ms) into a CheckResult; pure.

    A check passes when at least one reply came back. Its duration is then the
    average round-trip time (like an HTTP check's response time), else ``elapsed``.
    Figures are rounded as icmplib rounds them. ``unsent`` says why a request could
    not be sent (e.g. "no route to host"); it is the message when none was sent.
    ``icmp_error`` describes the latest ICMP error about a request (e.g. "host
    unreachable (reported by 192.0.2.1)"); a failure's message ends with it.
    """
    received = len(rtts)
    rtt_min = round(min(rtts), 3) if rtts else 0.0
    rtt_avg = round(sum(rtts) / received, 3) if rtts else 0.0
    rtt_max = round(max(rtts), 3) if rtts else 0.0
    details = {
        "address": address,
        "packets_sent": sent,
        "packets_received": received,
        "packet_loss": round(1 - received / sent, 2) if sent else 0.0,
        "rtt_min_ms": rtt_min,
        "rtt_avg_ms": rtt_avg,
        "rtt_max_ms": rtt_max,
        "privileged": privileged,
        "icmp_error": icmp_error,
    }
    if not rtts:
        if sent == 0 and unsent:
            return CheckResult(
                False, f"cannot send to {address}: {unsent}", elapsed, details
            )
        message = f"no reply from {address} ({sent} sent)"
        if icmp_error:
            message += f": {icmp_error}"
        return CheckResult(False, message, elapsed, details)
    message = (
        f"{address}: {received}/{sent} replies, "
        f"rtt min/avg/max {rtt_min:.3f}/{rtt_avg:.3f}/{rtt_max:.3f} ms"
    )
    if unsent:  # "3/3 replies" alone would hide that the link went down after them
        message += f"; later requests not sent: {unsent}"
    return CheckResult(True, message, rtt_avg / 1000, details)


def echo_probe(
    host: str, count: int, timeout: timedelta, mode: Privileged
) -> Probe | None:
    """Return a non-blocking ping of ``host`` if it is an IP address, else None."""
    family = ip_family(host)
    if family is None:
        return None
    return EchoProbe(
        host.strip("[]"),
        family,
        count,
        timeout.total_seconds(),
        INTERVAL,
        privilege_attempts(mode),
        summarise_replies,
        permission_message(mode),
    )


def run_ping(
    address: str,
    count: int,
    timeout: timedelta,
    mode: Privileged,
    ping: Callable[..., icmplib.Host] | None = None,
) -> CheckResult:
    """Ping ``address`` ``count`` times, waiting ``timeout`` for each reply.

    Host names are resolved by the system resolver. Expected failures (no reply,
    unknown name, no permission) are failed results; nothing is raised for them.
    ``ping`` is icmplib's, replaceable so tests can script its outcomes.
    """
    import icmplib  # noqa: PLC0415 - only host names need it: ~20 ms of imports

    ping = ping or icmplib.ping
    if ip_family(address) is not None:
        address = address.strip("[]")  # icmplib would take "[::1]" for a name
    start = time.monotonic()
    for privileged in privilege_attempts(mode):
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
        unsent = send_failure(host.address) if host.packets_sent == 0 else None
        return summarise(host, privileged, _since(start), unsent)
    return _failed(permission_message(mode), start)


def send_failure(address: str) -> str | None:
    """Say why nothing can be sent to ``address`` (e.g. "no route to host"), or None.

    icmplib keeps its send errors to itself. Connecting a UDP socket asks the
    routing table the same question, and sends nothing.
    """
    family = ip_family(address)
    if family is None:
        return None
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((address.strip("[]"), 9))
    except OSError as e:
        return reason(e)
    return None


def worst_case_seconds(count: int, timeout: timedelta) -> float:
    """Return the longest one check can take: every reply waited for in full."""
    return count * timeout.total_seconds() + (count - 1) * INTERVAL


def _since(start: float) -> float:
    return time.monotonic() - start


def _failed(message: str, start: float) -> CheckResult:
    return CheckResult(False, message, _since(start))
