"""The total deadline: a Watch shuts its sockets down when its time is up."""

from __future__ import annotations

import os
import socket
import ssl
import time

from simplemon.deadline import Watch, Watchdog


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

    before = len(os.listdir("/proc/self/fd"))
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
    assert len(os.listdir("/proc/self/fd")) == before


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
