"""Stress tests for the threads that share state: delivery workers, the state file
and reloads. Real threads and a real SQLite file, with a tiny switch interval to
force interleavings; each loop is bounded in time."""

from __future__ import annotations

import collections
import random
import socket
import sys
import threading
import time
from datetime import UTC, datetime

import pytest

from simplemon.common import AlerterCommon
from simplemon.dispatch import Dispatcher
from simplemon.model import AlertEvent, EventKind
from simplemon.state_store import StateStore
from tests.peers.alert_events import Configured, numbered_event

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def switchy():
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


class Counting:
    """Counts every event id it is given, from any thread."""

    def __init__(self, sent: collections.Counter[str], lock: threading.Lock) -> None:
        self.sent = sent
        self.lock = lock

    def send(self, event: AlertEvent) -> None:
        with self.lock:
            self.sent[event.event_id] += 1

    def handles(self, kind: EventKind) -> bool:
        return True


event = numbered_event


def test_reloads_while_workers_deliver_send_every_event_exactly_once(tmp_path, switchy):
    store = StateStore(tmp_path / "state.db")
    sent: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    names = ["a", "b", "c", "d"]

    def configs(chosen):  # a reload builds new plugin objects each time
        return [Configured(n, Counting(sent, lock)) for n in chosen]

    dispatcher = Dispatcher(store, configs(names), now=lambda: T0)
    dispatcher.start()
    rng = random.Random(7)
    queued: list[str] = []
    try:
        n = 0
        until = time.monotonic() + 2.0
        while time.monotonic() < until:
            events = [event(n + i, rng.choice(names)) for i in range(5)]
            n += 5
            store.save_round({}, {}, events)
            queued += [e.event_id for e in events]
            dispatcher.wake()
            if rng.random() < 0.3:
                dispatcher.configure(configs(rng.sample(names, rng.randint(0, 4))))
        dispatcher.configure(configs(names))
        assert dispatcher.drain(20)
    finally:
        dispatcher.stop(5)
        store.close()
    twice = {k: v for k, v in sent.items() if v != 1}
    assert twice == {}
    assert sorted(sent) == sorted(queued)


def test_many_threads_racing_their_deadlines_are_each_cut_or_left_alone(switchy):
    """Watches entered and left from many threads at once, some expiring while
    their thread is blocked, some exiting just as their deadline comes: a blocked
    read is always woken, a finished watch never reports expired, no descriptor
    is left open, and the shared watchdog thread survives."""
    import os

    from simplemon.deadline import Watch, Watchdog

    watchdog = Watchdog()
    before = len(os.listdir("/proc/self/fd"))
    problems: list[str] = []
    until = time.monotonic() + 1.5

    def work(seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < until:
            a, b = socket.socketpair()
            a.settimeout(5)
            try:
                blocked = rng.random() < 0.5
                with Watch(rng.choice([0.0, 0.0005, 0.002]), watchdog) as watch:
                    watch.add(a)
                    if blocked:
                        data = a.recv(1)  # only the deadline ends this
                        if data:
                            problems.append("read data nobody sent")
                # A watch left before its deadline must not count as expired;
                # one whose thread waited on it must have expired.
                if blocked and not watch.expired:
                    problems.append("a blocked read returned without expiry")
            except TimeoutError:
                problems.append("a blocked read was not cut at its deadline")
            finally:
                a.close()
                b.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    assert problems == []
    # The watchdog still serves new watches.
    a, b = socket.socketpair()
    a.settimeout(5)
    with Watch(0.01, watchdog) as watch:
        watch.add(a)
        assert a.recv(1) == b""
    a.close()
    b.close()
    assert watch.expired
    # The watchdog may still be closing the duplicate of a watch it fired as its
    # thread left the block (the duplicate is closed after the lock is released):
    # give it a moment, bounded, before counting.
    give_up = time.monotonic() + 5
    while len(os.listdir("/proc/self/fd")) != before and time.monotonic() < give_up:
        time.sleep(0.01)
    assert len(os.listdir("/proc/self/fd")) == before


class Gated:
    """Sends one event per opening of the gate; says when it is inside send()."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.inside = threading.Event()
        self.gate = threading.Event()

    def send(self, event: AlertEvent) -> None:
        self.inside.set()
        assert self.gate.wait(10)
        self.sent.append(event.event_id)

    def handles(self, kind: EventKind) -> bool:
        return True


@pytest.mark.parametrize("change", ["removed", "dry_run"])
def test_a_reload_during_a_backlog_applies_from_the_next_message(tmp_path, change):
    """An admin stopping a flood of queued mail (alerter removed, or dry_run set,
    then SIGHUP) saw the worker go on sending its whole batch of up to 50 with
    the old configuration; now only the message being sent goes out."""
    store = StateStore(tmp_path / "state.db")
    plugin = Gated()
    store.save_round({}, {}, [event(n, "mail") for n in range(20)])
    dispatcher = Dispatcher(store, [Configured("mail", plugin)], now=lambda: T0)
    dispatcher.start()
    try:
        assert plugin.inside.wait(10)  # the first message is being sent
        if change == "removed":
            dispatcher.configure([])
        else:
            common = AlerterCommon(type="x", dry_run=True)
            dispatcher.configure([Configured("mail", plugin, common)])
        plugin.gate.set()
        dispatcher.wake()
        if change == "dry_run":  # the rest is marked delivered, unsent
            until = time.monotonic() + 10
            while time.monotonic() < until and any(
                s == "pending" for _, _, _, s, _ in store.outbox_status()
            ):
                time.sleep(0.02)
        time.sleep(0.3)  # a worker that went on would have sent more by now
    finally:
        dispatcher.stop(5)
    assert plugin.sent == ["e0mail"]
    statuses = [s for _, _, _, s, _ in store.outbox_status()]
    store.close()
    if change == "removed":  # kept for when the alerter is configured again
        assert statuses == ["delivered"] + ["pending"] * 19
    else:
        assert statuses == ["delivered"] * 20
