"""Whole rounds of tcp and ping monitors on the probe loop, against real peers.

Hundreds of checks share one thread and, for ping, one ICMP socket: every result
must still land on its own monitor, failures must stay failures, and nothing may
leak.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from simplemon.config import load_config
from simplemon.model import Status
from simplemon.scheduler import Scheduler
from tests.peers.netns import Namespace, namespace_or_skip

pytestmark = pytest.mark.integration


@pytest.fixture
def server() -> Iterator[int]:
    """A loopback TCP server that accepts and closes, on a thread, until torn down."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    listener.close()


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Callable[[list[str]], Scheduler]]:
    """Build a Scheduler from monitors.ini sections; its probe loop closed after."""
    made: list[Scheduler] = []

    def build(sections: list[str]) -> Scheduler:
        (tmp_path / "monitors.ini").write_text("\n".join(sections))
        (tmp_path / "monitor.ini").write_text(
            "[monitor]\ninterval = 60\nmonitors = monitors.ini\n"
        )
        made.append(Scheduler(load_config(tmp_path / "monitor.ini"), max_workers=4))
        return made[-1]

    yield build
    for sched in made:
        sched.probe_loop.close()


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_round_of_hundreds_of_tcp_checks_keeps_each_result_apart(
    make: Callable[[list[str]], Scheduler], server: int
) -> None:
    refused = free_port()
    sections = [
        f"[up{i}]\ntype = tcp\nhost = 127.0.0.1\nport = {server}\n" for i in range(300)
    ]
    sections += [
        f"[down{i}]\ntype = tcp\nhost = 127.0.0.1\nport = {refused}\n"
        for i in range(20)
    ]
    # A host name needs the resolver: it runs on a worker thread, same result.
    sections.append(f"[named]\ntype = tcp\nhost = localhost\nport = {server}\n")
    sched = make(sections)
    report = sched.run_once()
    assert sorted(report.failed) == sorted(f"down{i}" for i in range(20))
    states = sched.states
    assert all(states[f"up{i}"].status is Status.OK for i in range(300))
    assert states["up7"].last_message.startswith(f"connected to 127.0.0.1:{server}")
    assert states["down3"].status is Status.FAILED
    assert states["down3"].last_message == "connection refused"
    assert states["named"].status is Status.OK
    # The loop keeps its own few sockets between rounds, and no check leaks one:
    # a leak would add 320 descriptors a round. (Not an exact count: threads left
    # by earlier tests in this process may open or close one meanwhile.)
    after_first = open_fds()
    for _ in range(2):
        sched.roster.last_tick.clear()  # due again at once
        sched.run_once()
    assert open_fds() - after_first < 20


@pytest.fixture
def namespace() -> Iterator[Namespace]:
    with namespace_or_skip() as ns:
        yield ns


def test_a_round_of_pings_shares_one_socket_and_times_out_only_the_silent(
    make: Callable[[list[str]], Scheduler], namespace: Namespace
) -> None:
    sections = [
        f"[lo{i}]\ntype = ping\nhost = 127.0.0.1\ntimeout = 2\n" for i in range(200)
    ]
    sections.append(
        f"[silent]\ntype = ping\nhost = {namespace.silent_address}\ntimeout = 0.5\n"
    )
    sections.append("[twice]\ntype = host\nhost = 127.0.0.1\ncount = 2\n")
    sched = make(sections)
    report = sched.run_once()
    states = sched.states
    if "not permitted" in states["lo0"].last_message:
        pytest.skip(states["lo0"].last_message)
    assert report.failed == ["silent"]
    assert states["silent"].last_message == (
        f"no reply from {namespace.silent_address} (1 sent)"
    )
    assert all(states[f"lo{i}"].status is Status.OK for i in range(200))
    assert states["twice"].last_message.startswith("127.0.0.1: 2/2 replies")
    assert 0.4 <= report.duration < 2.5  # the silent one waited its 0.5 s, once
    # One ICMP socket per family and kind, however many pings ran.
    assert len(sched.probe_loop._core.resources) == 1
