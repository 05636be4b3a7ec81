"""The probe loop: non-blocking checks multiplexed on the calling thread.

Probes here talk over real socket pairs; the loop's own timing is its real clock,
kept to a few tens of milliseconds.
"""

from __future__ import annotations

import gc
import socket
import threading
import time
import weakref
from collections.abc import Iterator

import pytest

from simplemon.model import CheckResult
from simplemon.poller import READ, WRITE, Poller
from simplemon.probe import Probe, ProbeIO, run_probe
from simplemon.probe_core import ProbeCore
from simplemon.probe_loop import ProbeLoop, ProbeResult


class EchoPair(Probe):
    """Write a byte on one end of a socket pair and succeed when it arrives."""

    def __init__(self, timeout: float = 2.0, send: bool = True) -> None:
        self.timeout = timeout
        self.send = send
        self.a, self.b = socket.socketpair()
        self.closed = 0

    def start(self, io: ProbeIO) -> None:
        self.io = io
        io.watch(self.b, READ, self.readable)
        if self.send:
            self.a.send(b"x")

    def readable(self) -> None:
        data = self.b.recv(16)
        self.io.finish(CheckResult(True, f"got {data!r}"))

    def expire(self) -> CheckResult:
        return CheckResult(False, "expired")

    def close(self) -> None:
        self.closed += 1
        self.a.close()
        self.b.close()


class Boom(EchoPair):
    def readable(self) -> None:
        raise ValueError("bad packet")


class Steps(Probe):
    """Finish after two timer steps, recording the order they ran in."""

    timeout = 2.0

    def __init__(self, log: list[str], name: str) -> None:
        self.log = log
        self.name = name

    def start(self, io: ProbeIO) -> None:
        self.io = io
        io.later(0.01, self.first)

    def first(self) -> None:
        self.log.append(f"{self.name}1")
        self.io.later(0.01, self.second)

    def second(self) -> None:
        self.log.append(f"{self.name}2")
        self.io.finish(CheckResult(True, self.name))

    def expire(self) -> CheckResult:
        return CheckResult(False, "expired")


@pytest.fixture
def loop() -> Iterator[ProbeLoop]:
    probe_loop = ProbeLoop()
    yield probe_loop
    probe_loop.close()


def drive(loop: ProbeLoop, futures: list[ProbeResult], limit: float = 5.0) -> None:
    loop.wait(lambda: all(f.done() for f in futures), limit)


def test_run_probe_returns_the_result_of_real_socket_io() -> None:
    probe = EchoPair()
    assert run_probe(probe) == CheckResult(True, "got b'x'")
    assert probe.closed == 1


def test_a_probe_that_never_hears_back_expires_at_its_timeout() -> None:
    probe = EchoPair(timeout=0.05, send=False)
    started = time.monotonic()
    assert run_probe(probe) == CheckResult(False, "expired")
    assert time.monotonic() - started >= 0.04
    assert probe.closed == 1


class Refused(Probe):
    """Fail in start(), as a connect the kernel refuses outright does."""

    timeout = 30.0

    def start(self, io: ProbeIO) -> None:
        io.finish(CheckResult(False, "refused"))

    def expire(self) -> CheckResult:
        return CheckResult(False, "expired")


def test_a_probe_that_fails_in_start_is_not_held_until_its_timeout() -> None:
    started = time.monotonic()
    assert run_probe(Refused()) == CheckResult(False, "refused")
    assert time.monotonic() - started < 10  # not the probe's 30 s timeout


def test_a_probe_that_ends_in_start_leaves_no_expiry_timer_behind() -> None:
    # Most loopback checks end inside start(): a timer for each would only be
    # pushed onto the heap and popped again (issue 5).
    core = ProbeCore(max_active=4)
    results: list[CheckResult] = []
    waiting = EchoPair(timeout=60, send=False)
    core.add(Refused(), results.append)
    core.add(waiting, results.append)
    core.step(0)
    assert results == [CheckResult(False, "refused")]
    assert [io._probe for _, _, io, _ in core.timers] == [waiting]
    core.close()


def test_a_wait_ends_when_a_probe_fails_in_start_next_to_a_waiting_one(
    loop: ProbeLoop,
) -> None:
    waiting = loop.submit(EchoPair(timeout=60, send=False))
    refused = loop.submit(Refused())
    started = time.monotonic()
    loop.wait(refused.done, 40)
    assert refused.result() == CheckResult(False, "refused")
    assert time.monotonic() - started < 10  # neither its 30 s nor the other's 60 s
    assert not waiting.done()


def test_an_exception_in_a_callback_ends_that_probe_only(loop: ProbeLoop) -> None:
    bad, good = Boom(), EchoPair()
    futures = [loop.submit(bad), loop.submit(good)]
    drive(loop, futures)
    failed, passed = (f.result() for f in futures)
    assert not failed.ok
    assert failed.message == "internal error: ValueError: bad packet"
    assert passed.ok
    assert bad.closed == good.closed == 1


def test_finished_probes_are_not_kept_until_their_timeout(loop: ProbeLoop) -> None:
    # A tcp monitor with timeout = 1h at interval = 10 kept 360 finished checks
    # (~3 KB each) alive through their expiry timers; a daemon with many such
    # monitors held hundreds of MB of them.
    alive: list[weakref.ref[EchoPair]] = []
    for _ in range(400):
        probe = EchoPair(timeout=3600)
        alive.append(weakref.ref(probe))
        future = loop.submit(probe)
        del probe
        drive(loop, [future])
        assert future.result().ok
    gc.collect()
    assert sum(ref() is not None for ref in alive) < 100


def test_probes_interleave_their_steps(loop: ProbeLoop) -> None:
    log: list[str] = []
    futures = [loop.submit(Steps(log, name)) for name in "ab"]
    drive(loop, futures)
    assert [f.result().message for f in futures] == ["a", "b"]
    assert log == ["a1", "b1", "a2", "b2"]


def test_no_more_than_max_active_probes_run_at_once() -> None:
    core = ProbeCore(max_active=3)
    seen: list[int] = []
    results: list[CheckResult] = []

    class Counting(EchoPair):
        def start(self, io: ProbeIO) -> None:
            seen.append(len(core.running))
            super().start(io)

    probes = [Counting() for _ in range(10)]
    for probe in probes:
        core.add(probe, results.append)
    limit = time.monotonic() + 5
    while len(results) < 10 and time.monotonic() < limit:
        core.step(0.5)
    core.close()
    assert len(results) == 10
    assert all(r.ok for r in results)
    assert max(seen) <= 3


def test_wait_returns_at_its_timeout_while_probes_run(loop: ProbeLoop) -> None:
    future = loop.submit(EchoPair(timeout=5, send=False))
    started = time.monotonic()
    loop.wait(future.done, 0.05)
    assert 0.04 <= time.monotonic() - started < 2
    assert not future.done()
    assert loop.busy


def test_wake_from_another_thread_ends_a_wait_early(loop: ProbeLoop) -> None:
    loop.submit(EchoPair(timeout=5, send=False))
    flag = threading.Event()

    def other() -> None:
        time.sleep(0.05)
        flag.set()
        loop.wake()

    thread = threading.Thread(target=other)
    started = time.monotonic()
    thread.start()
    loop.wait(flag.is_set, 5)
    thread.join()
    assert flag.is_set()
    assert time.monotonic() - started < 2


def test_a_shared_resource_is_made_once_and_closed_with_the_loop() -> None:
    made: list[int] = []
    closed: list[int] = []

    class Resource:
        def __init__(self, core: ProbeCore) -> None:
            made.append(1)

        def close(self) -> None:
            closed.append(1)

    class Sharing(EchoPair):
        def start(self, io: ProbeIO) -> None:
            io.shared("r", Resource)
            super().start(io)

    loop = ProbeLoop()
    futures = [loop.submit(Sharing()) for _ in range(4)]
    drive(loop, futures)
    assert made == [1]
    loop.close()
    assert closed == [1]


def test_a_failing_factory_is_tried_again_by_the_next_probe(loop: ProbeLoop) -> None:
    attempts: list[int] = []

    class Flaky:
        def __init__(self, core: ProbeCore) -> None:
            attempts.append(1)
            if len(attempts) == 1:
                raise PermissionError("not yet")

        def close(self) -> None:
            pass

    class Sharing(EchoPair):
        def start(self, io: ProbeIO) -> None:
            try:
                io.shared("flaky", Flaky)
            except PermissionError:
                io.finish(CheckResult(False, "denied"))
                return
            super().start(io)

    first = loop.submit(Sharing())
    drive(loop, [first])
    second = loop.submit(Sharing())
    drive(loop, [second])
    assert [first.result().ok, second.result().ok] == [False, True]
    assert len(attempts) == 2


@pytest.mark.parametrize(
    ("error", "tries"), [(PermissionError("denied"), 1), (OSError("full"), 5)]
)
def test_a_refused_permission_is_asked_once_per_batch_of_probes_started_together(
    loop: ProbeLoop, error: OSError, tries: int
) -> None:
    # Pinging as root with unprivileged ICMP not allowed: each ping would open
    # (and be refused) a socket before using the raw one. A permission does not
    # change among probes started together; anything else is tried each time.
    attempts: list[int] = []

    class Refusing:
        def __init__(self, core: ProbeCore) -> None:
            attempts.append(1)
            raise error

        def close(self) -> None:
            pass

    class Sharing(EchoPair):
        def start(self, io: ProbeIO) -> None:
            try:
                io.shared("refusing", Refusing)
            except OSError as e:
                io.finish(CheckResult(False, str(e)))
                return
            super().start(io)

    batch = [loop.submit(Sharing()) for _ in range(5)]
    drive(loop, batch)
    assert [f.result() for f in batch] == [CheckResult(False, str(error))] * 5
    assert len(attempts) == tries
    later = loop.submit(Sharing())
    drive(loop, [later])
    assert len(attempts) == tries + 1  # a permission granted meanwhile is seen


def test_closing_the_loop_closes_the_sockets_of_abandoned_probes() -> None:
    loop = ProbeLoop()
    probe = EchoPair(timeout=5, send=False)
    future = loop.submit(probe)
    loop.wait(lambda: False, 0.01)
    loop.close()
    assert probe.closed == 1
    assert not future.done()  # abandoned: no result
    spare = EchoPair()
    with pytest.raises(RuntimeError):
        loop.submit(spare)
    spare.close()


def test_a_broken_shared_reader_is_logged_and_the_loop_goes_on(
    loop: ProbeLoop, caplog: pytest.LogCaptureFixture
) -> None:
    class Noisy:
        def __init__(self, core: ProbeCore) -> None:
            self.core = core
            self.a, self.b = socket.socketpair()
            core.watch_shared(self.b, self.read)
            self.a.send(b"x")

        def read(self) -> None:
            self.b.recv(16)
            raise RuntimeError("bug in a reader")

        def close(self) -> None:
            self.core.unwatch_shared(self.b)
            self.a.close()
            self.b.close()

    class Sharing(EchoPair):
        def start(self, io: ProbeIO) -> None:
            io.shared("noisy", Noisy)
            super().start(io)

    future = loop.submit(Sharing())
    drive(loop, [future])
    assert future.result().ok
    assert "internal error in a shared reader" in caplog.text


def test_a_probe_result_calls_back_once_set_and_at_once_when_already_set() -> None:
    pending = ProbeResult()
    seen: list[CheckResult] = []
    pending.add_done_callback(lambda p: seen.append(p.result()))
    assert not pending.done()
    with pytest.raises(RuntimeError, match="has not ended"):
        pending.result()
    pending.set_result(CheckResult(True, "up"))
    assert pending.done()
    assert seen == [CheckResult(True, "up")]
    pending.add_done_callback(lambda p: seen.append(p.result()))
    assert seen == [CheckResult(True, "up")] * 2
    with pytest.raises(RuntimeError, match="set once"):
        pending.set_result(CheckResult(False, "again"))


def test_a_failing_done_callback_is_logged_and_the_others_still_run(
    loop: ProbeLoop, caplog: pytest.LogCaptureFixture
) -> None:
    # As with a Future: the probe's result stands, the loop goes on.
    pending = loop.submit(EchoPair())
    seen: list[bool] = []

    def broken(_: ProbeResult) -> None:
        raise RuntimeError("bug in a callback")

    pending.add_done_callback(broken)
    pending.add_done_callback(lambda p: seen.append(p.result().ok))
    drive(loop, [pending])
    assert seen == [True]
    assert "exception calling callback" in caplog.text
    assert "bug in a callback" in caplog.text


@pytest.mark.parametrize("epoll", [True, False], ids=["epoll", "poll"])
def test_the_poller_reports_ready_descriptors_with_their_data(epoll: bool) -> None:
    poller: Poller[str] = Poller(epoll=epoll)
    a, b = socket.socketpair()
    try:
        poller.register(b.fileno(), READ, "b readable")
        with pytest.raises(KeyError):
            poller.register(b.fileno(), READ, "twice")
        assert poller.select(0) == []
        a.send(b"x")
        assert poller.select(1.0) == ["b readable"]
        poller.modify(b.fileno(), WRITE, "b writable")
        assert poller.select(None) == ["b writable"]
        poller.unregister(b.fileno())
        assert poller.select(0) == []
        fd_a = a.fileno()
        poller.register(fd_a, READ, "a")
        a.close()  # closed before it is unregistered: no error
        poller.unregister(fd_a)
        assert poller.data == {}
    finally:
        poller.close()
        a.close()
        b.close()
    with pytest.raises(ValueError, match="closed"):
        poller.register(0, READ, "after close")


@pytest.mark.parametrize("epoll", [True, False], ids=["epoll", "poll"])
def test_the_poller_reports_a_hang_up_as_an_event(epoll: bool) -> None:
    # A peer gone is an event whatever was asked for: the probe's callback runs.
    poller: Poller[str] = Poller(epoll=epoll)
    a, b = socket.socketpair()
    try:
        poller.register(b.fileno(), READ, "b")
        a.close()
        assert poller.select(1.0) == ["b"]
    finally:
        poller.close()
        b.close()
