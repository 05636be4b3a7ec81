"""The tcp monitor against real listening sockets on loopback."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest

from simplemon.model import CheckResult
from simplemon.monitors.tcp import (
    TCP_INFO,
    ConnectProbe,
    TcpMonitor,
    TcpOptions,
    established,
    numeric_addresses,
)
from tests.peers.descriptors import open_descriptors, opened_since

pytestmark = pytest.mark.integration


def monitor(host: str, port: int, timeout: float = 2.0) -> TcpMonitor:
    return TcpMonitor("port", TcpOptions(host, port, timedelta(seconds=timeout)))


@contextlib.contextmanager
def listening(host: str = "127.0.0.1", backlog: int = 8) -> Iterator[socket.socket]:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as server:
        server.settimeout(5)
        server.bind((host, 0))
        server.listen(backlog)
        yield server


def free_port() -> int:
    with listening() as server:
        port: int = server.getsockname()[1]
    return port  # closed again: nothing listens there now


def test_tcp_monitor_succeeds_on_an_open_port() -> None:
    with listening() as server:
        port = server.getsockname()[1]
        result = monitor("127.0.0.1", port).check()
    assert result.ok
    assert result.message.startswith(f"connected to 127.0.0.1:{port} in ")
    assert result.details["address"] == f"127.0.0.1:{port}"


def test_tcp_monitor_fails_on_a_refused_port() -> None:
    result = monitor("127.0.0.1", free_port()).check()
    assert not result.ok
    assert result.message == "connection refused"


def test_tcp_monitor_counts_a_silent_server_as_up_and_hangs_up() -> None:
    # tcp checks the handshake only: a server that accepts and never speaks is up.
    with listening() as server:
        result = monitor("127.0.0.1", server.getsockname()[1]).check()
        conn, _ = server.accept()
        with conn:
            conn.settimeout(5)
            assert conn.recv(1) == b""  # the monitor closed its end, sending nothing
    assert result.ok


def test_tcp_monitor_reaches_ipv6_loopback() -> None:
    try:
        with listening("::1") as server:  # only bind() can raise OSError here
            port = server.getsockname()[1]
            plain = monitor("::1", port).check()
            bracketed = monitor("[::1]", port).check()
    except OSError:
        pytest.skip("IPv6 loopback is not available")
    assert plain.ok
    assert plain.message.startswith(f"connected to [::1]:{port}")
    assert bracketed.ok


def test_tcp_monitor_times_out_when_the_backlog_is_full() -> None:
    # A full accept queue makes Linux drop SYNs, so connect() hangs: a real timeout.
    with full_backlog() as port:
        result = monitor("127.0.0.1", port, timeout=0.3).check()
    assert not result.ok
    assert result.message == "timed out after 0.3s"


class Recorder:
    """The part of ProbeIO a ConnectProbe uses, recording what it is asked."""

    def __init__(self) -> None:
        self.watched: list[socket.socket] = []
        self.results: list[CheckResult] = []

    def watch(self, sock: socket.socket, events: int, callback: object) -> None:
        self.watched.append(sock)

    def unwatch(self, sock: socket.socket) -> None:
        self.watched.remove(sock)

    def finish(self, result: CheckResult) -> None:
        self.results.append(result)


def start_probe(port: int, timeout: float = 2.0) -> tuple[ConnectProbe, Recorder]:
    probe = ConnectProbe(
        "127.0.0.1", numeric_addresses("127.0.0.1", port), timeout, timeout
    )
    io = Recorder()
    probe.start(io)  # type: ignore[arg-type]
    return probe, io


@contextlib.contextmanager
def full_backlog() -> Iterator[int]:
    """Yield the port of a listener whose accept queue is full (SYNs dropped)."""
    with listening(backlog=0) as server, contextlib.ExitStack() as stack:
        address = server.getsockname()
        for _ in range(8):
            filler = stack.enter_context(socket.socket())
            filler.settimeout(0.3)
            try:
                filler.connect(address)
            except TimeoutError:
                break
        else:
            pytest.skip("this kernel never stopped accepting connections")
        yield address[1]


needs_tcp_info = pytest.mark.skipif(TCP_INFO is None, reason="Linux's TCP_INFO only")


@needs_tcp_info
def test_a_connection_to_this_host_is_reported_without_waiting_for_the_poller() -> None:
    # The kernel completes a loopback handshake inside connect(): the check ends
    # in start(), and the socket is never handed to the poller.
    with listening() as server:
        probe, io = start_probe(server.getsockname()[1])
        held = probe.sock  # None: closed at once
        try:
            conn, _ = server.accept()
            conn.close()
        finally:
            probe.close()
    assert io.watched == []
    assert [r.ok for r in io.results] == [True]
    assert io.results[0].message.startswith("connected to 127.0.0.1:")
    assert held is None


@needs_tcp_info
def test_a_connection_still_under_way_is_watched_as_before() -> None:
    with full_backlog() as port:
        probe, io = start_probe(port)
        try:
            assert io.results == []
            assert len(io.watched) == 1
            assert established(io.watched[0]) is False
        finally:
            probe.close()


def test_a_refused_connection_is_not_taken_for_an_established_one() -> None:
    probe, io = start_probe(free_port())
    try:
        if io.watched:  # refused after connect() returned: the poller hears it
            assert not established(io.watched[0])
            probe._connected()
        assert [r.message for r in io.results] == ["connection refused"]
    finally:
        probe.close()


def test_tcp_monitor_closes_its_sockets() -> None:
    refused = monitor("127.0.0.1", free_port())
    with listening() as server:
        up = monitor("127.0.0.1", server.getsockname()[1])
        before = open_descriptors()
        for _ in range(5):
            assert up.check().ok
            assert not refused.check().ok
        left = opened_since(before)
    assert not left
