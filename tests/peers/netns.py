"""Throw-away Linux network namespaces for tests that need a non-loopback target.

For tests only; needs root and the ``ip`` command (callers skip otherwise). Traffic to
the addresses this module hands out goes into a veth pair whose far end sits in a
namespace the test created, so no packet ever leaves this machine::

    from tests.peers.netns import Namespace, unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    with Namespace() as ns:
        ns.silent_address     # an IPv4 address nobody answers: ARP goes unanswered
        ns.run(["python", "-c", "..."])   # run a command inside the namespace

The namespace (and with it both veth ends and their route) is deleted on exit.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from types import TracebackType

import pytest

TIMEOUT = 10  # seconds for every ``ip`` command
# TEST-NET-1 (RFC 5737): documentation addresses, never used on real networks.
_TEST_NET = ipaddress.ip_network("192.0.2.0/24")
_BLOCKS = 64  # /30s in it
_ATTEMPTS = 4


class _Misrouted(RuntimeError):
    """The silent address does not lead into this namespace's veth."""


def _free_block() -> int:
    """Return the first address of a /30 of TEST-NET-1 no interface here uses.

    Random, so parallel test processes rarely clash; never one in use, because the
    kernel removes a deleted namespace's veth asynchronously and its address and
    route can outlive ``ip netns del`` for a moment (the next namespace of the same
    test run would then find its address routed into the old veth).
    """
    in_use = ip("-o", "-4", "addr", "show").stdout
    start = secrets.randbelow(_BLOCKS)
    for i in range(_BLOCKS):
        block = ((start + i) % _BLOCKS) * 4
        if f" {_TEST_NET[block + 1]}/" not in in_use:
            return block
    raise RuntimeError("every /30 of 192.0.2.0/24 is in use by another interface")


def unavailable_reason() -> str | None:
    """Return why namespaces cannot be made here, or None when they can."""
    if os.geteuid() != 0:
        return "creating a network namespace needs root"
    if shutil.which("ip") is None:
        return "the 'ip' command (iproute2) is not installed"
    return None


def ip(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``ip ARGS`` with a timeout; raise CalledProcessError on failure."""
    return subprocess.run(
        ["ip", *args], check=True, capture_output=True, text=True, timeout=TIMEOUT
    )


class Namespace:
    """A namespace joined to this one by a veth pair on a private /30."""

    def __init__(self) -> None:
        self._pick()

    def _pick(self) -> None:
        tag = secrets.token_hex(3)
        self.name = f"smtest-{tag}"
        self.host_link = f"smh{tag}"  # interface names are at most 15 characters
        self.peer_link = f"smp{tag}"
        block = _free_block()
        self.host_address = str(_TEST_NET[block + 1])
        self.silent_address = str(_TEST_NET[block + 2])

    def __enter__(self) -> Namespace:
        for attempt in range(_ATTEMPTS):
            ip("netns", "add", self.name)
            try:
                self._wire()
            except _Misrouted:
                # Seen about once in 30 runs: `ip route get` found the address
                # local to this host for a moment (cause not found; namespaces of
                # earlier tests are torn down asynchronously). Another /30 works.
                self.close()
                if attempt == _ATTEMPTS - 1:
                    raise
                self._pick()
                continue
            except BaseException:
                self.close()
                raise
            return self
        raise AssertionError("unreachable")

    def _wire(self) -> None:
        ip("-n", self.name, "link", "set", "lo", "up")
        ip(
            "link",
            "add",
            self.host_link,
            "type",
            "veth",
            "peer",
            "name",
            self.peer_link,
        )
        ip("link", "set", self.peer_link, "netns", self.name)
        ip("addr", "add", f"{self.host_address}/30", "dev", self.host_link)
        ip("link", "set", self.host_link, "up")
        # The far end is up but has no address: ARP for silent_address is never
        # answered, so pings to it get no reply, and they never leave the veth pair.
        ip("-n", self.name, "link", "set", self.peer_link, "up")
        route = ip("route", "get", self.silent_address).stdout
        if f"dev {self.host_link}" not in route:
            raise _Misrouted(
                f"{self.silent_address} is not routed into the veth: {route.strip()}"
            )

    def run(
        self, argv: Sequence[str], timeout: float = TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside the namespace and return its output (no check)."""
        return subprocess.run(
            ["ip", "netns", "exec", self.name, *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def close(self) -> None:
        """Delete the namespace; the veth pair and its route go with it."""
        subprocess.run(
            ["ip", "netns", "del", self.name],
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
        )
        subprocess.run(
            ["ip", "link", "del", self.host_link],
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@contextlib.contextmanager
def namespace_or_skip() -> Iterator[Namespace]:
    """Yield a fresh Namespace, or skip the test saying why one can't be made here."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    try:
        with Namespace() as ns:
            yield ns
    except subprocess.CalledProcessError as e:
        pytest.skip(f"cannot create a network namespace here: {e.stderr.strip()}")
