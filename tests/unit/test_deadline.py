"""The total deadline: a Watch shuts its sockets down when its time is up."""

from __future__ import annotations

import gc
import socket
import ssl
import time
import weakref

from simplemon.deadline import Watch, Watchdog
from tests.peers.descriptors import open_descriptors, opened_since


def test_a_stalled_tls_handshake_is_cut_at_the_deadline() -> None:
    # Wrapping a socket in TLS detaches the one the Watch was given: its shutdown
    # then failed (EBADF, ignored) and the handshake ran to the socket timeout.
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname(), timeout=20)
        peer, _ = server.accept()  # accepts, then never says a word
        context = ssl.create_default_context()
        started = time.monotonic()
        try:
            with Watch(0.3) as watch:
                watch.add(client)
                tls = context.wrap_socket(
                    client, server_hostname="localhost", do_handshake_on_connect=False
                )
                try:
                    tls.do_handshake()
                except OSError:
                    pass  # cut: an SSLError or a reset, depending on the moment
                finally:
                    tls.close()
        finally:
            peer.close()
            client.close()
        assert watch.expired
        assert time.monotonic() - started < 10  # not the 20 s socket timeout


def test_a_watch_leaves_no_descriptor_open() -> None:

    before = open_descriptors()
    with socket.create_server(("127.0.0.1", 0)) as server:
        for expire in (False, True):
            client = socket.create_connection(server.getsockname(), timeout=5)
            peer, _ = server.accept()
            with Watch(0.05 if expire else 30) as watch:
                watch.add(client)
                if expire:
                    time.sleep(0.3)
                    watch.add(client)  # added after the deadline: shut at once
            peer.close()
            client.close()
    # The watchdog may still be closing the duplicate of the watch it fired (after
    # releasing its lock): a moment, bounded, before counting (as in test_races).
    give_up = time.monotonic() + 5
    while opened_since(before) and time.monotonic() < give_up:
        time.sleep(0.01)
    assert not opened_since(before)


def test_a_watch_that_fails_to_expire_does_not_end_the_watchdog() -> None:
    # The one watchdog thread serves every check and delivery in the process: if an
    # error in one expiry ended it, no later deadline would ever fire.

    class Broken(Watch):
        def expire(self) -> None:
            raise OSError("close failed")

    dog = Watchdog()
    with Broken(0.01, dog):
        time.sleep(0.2)
    a, b = socket.socketpair()
    try:
        with Watch(0.05, dog) as watch:
            watch.add(a)
            a.settimeout(10)
            assert a.recv(1) == b""  # cut by the deadline, not the 10 s timeout
        assert watch.expired
    finally:
        a.close()
        b.close()


def test_finished_watches_are_not_kept_until_their_deadline() -> None:
    # Every http check and mail delivery leaves its Watch in the watchdog's heap;
    # an http monitor with timeout = 1h at interval = 10 kept 360 of them.
    dog = Watchdog()
    alive: list[weakref.ref[Watch]] = []
    for _ in range(400):
        watch = Watch(3600, dog)
        alive.append(weakref.ref(watch))
        with watch:
            pass
        del watch
    gc.collect()
    assert sum(ref() is not None for ref in alive) < 100


def test_a_watch_still_running_fires_after_many_finished_ones() -> None:
    dog = Watchdog()
    a, b = socket.socketpair()
    try:
        with Watch(0.3, dog) as running:
            running.add(a)
            for _ in range(400):  # cleaned out of the heap meanwhile
                with Watch(3600, dog):
                    pass
            a.settimeout(10)
            assert a.recv(1) == b""  # cut by the deadline, not the 10 s timeout
        assert running.expired
    finally:
        a.close()
        b.close()
