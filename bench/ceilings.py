"""Bare-library ceilings: the same checks as the monitors, with no framework around.

``python bench/ceilings.py KIND N TARGET [PORT]`` runs N checks and prints one JSON line
(ok count, seconds). Loopback only. KIND is one of requests, requests-session, raw-http,
tcp, tcp-select, icmplib, icmp-socket, dnspython. The -select and -socket kinds are
the machine's floor: one thread, non-blocking sockets, stdlib only.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

THREADS = 32


def _pool(fn: Callable[[], bool], n: int) -> int:
    with ThreadPoolExecutor(THREADS) as ex:
        return sum(ex.map(lambda _: fn(), range(n)))


def requests_get(url: str, n: int) -> int:
    import requests

    def one() -> bool:
        return requests.get(url, timeout=5).status_code == 200

    return _pool(one, n)


def requests_session(url: str, n: int) -> int:
    import requests

    local = threading.local()

    def one() -> bool:
        if not hasattr(local, "s"):
            local.s = requests.Session()
        return bool(local.s.get(url, timeout=5).status_code == 200)

    return _pool(one, n)


def raw_http(url: str, n: int) -> int:
    port = int(url.split(":")[2].split("/", maxsplit=1)[0])
    request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"

    def one() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(request)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        return data.startswith(b"HTTP/1.1 200")

    return _pool(one, n)


def tcp(port: str, n: int) -> int:
    def one() -> bool:
        with socket.create_connection(("127.0.0.1", int(port)), timeout=5):
            return True

    return _pool(one, n)


def tcp_select(port: str, n: int) -> int:
    """Non-blocking connects multiplexed on one thread (the machine's tcp floor)."""
    import errno
    import selectors

    sel = selectors.DefaultSelector()
    ok = started = 0
    deadline = time.monotonic() + 5
    while (ok < n or sel.get_map()) and time.monotonic() < deadline:
        while started < n and len(sel.get_map()) < 1024:
            sock = socket.socket()
            sock.setblocking(False)
            code = sock.connect_ex(("127.0.0.1", int(port)))
            started += 1
            if code == errno.EINPROGRESS:
                sel.register(sock, selectors.EVENT_WRITE)
            else:
                ok += code == 0
                sock.close()
        for key, _ in sel.select(0.5):
            sock = key.fileobj  # type: ignore[assignment]
            sel.unregister(sock)
            ok += sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
            sock.close()
        if started >= n and not sel.get_map():
            break
    return ok


def icmp_socket(host: str, n: int) -> int:
    """N echo requests on one raw ICMP socket, then the replies (the ping floor)."""
    import struct

    def packet(seq: int) -> bytes:
        data = struct.pack("!BBHHH", 8, 0, 0, 0x4242, seq) + bytes(56)
        total = sum(struct.unpack("!32H", data))
        total = (total >> 16) + (total & 0xFFFF)
        total = ~(total + (total >> 16)) & 0xFFFF
        return data[:2] + struct.pack("!H", total) + data[4:]

    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.settimeout(2)
    waiting = set()
    for seq in range(n):
        sock.sendto(packet(seq), (host, 0))
        waiting.add(seq)
    try:
        while waiting:
            data = sock.recv(4096)
            offset = (data[0] & 0x0F) * 4
            kind, ident, seq = (
                data[offset],
                *struct.unpack_from("!HH", data, offset + 4),
            )
            if kind == 0 and ident == 0x4242:
                waiting.discard(seq)
    except TimeoutError:
        pass
    sock.close()
    return n - len(waiting)


def icmp(host: str, n: int) -> int:
    from icmplib import ping

    return sum(
        ping(host, count=1, timeout=2, privileged=True).is_alive for _ in range(n)
    )


def dnspython(port: str, n: int) -> int:
    import dns.resolver

    def one() -> bool:
        r = dns.resolver.Resolver(configure=False)
        r.nameservers = ["127.0.0.1"]
        r.port = int(port)
        r.lifetime = 5
        return r.resolve("web.example.", "A")[0].to_text() == "127.0.0.1"

    return _pool(one, n)


KINDS: dict[str, Callable[[str, int], int]] = {
    "requests": requests_get,
    "requests-session": requests_session,
    "raw-http": raw_http,
    "tcp": tcp,
    "tcp-select": tcp_select,
    "icmplib": icmp,
    "icmp-socket": icmp_socket,
    "dnspython": dnspython,
}

if __name__ == "__main__":
    kind, n, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    started = time.perf_counter()
    ok = KINDS[kind](target, n)
    print(json.dumps({"ok": ok, "seconds": time.perf_counter() - started}))
