"""Bare-library ceilings: the same checks as the monitors, with no framework around.

``python bench/ceilings.py KIND N TARGET [PORT]`` runs N checks and prints one JSON line
(ok count, seconds). Loopback only. KIND is one of requests, requests-session, raw-http,
tcp, icmplib, dnspython.
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
    "icmplib": icmp,
    "dnspython": dnspython,
}

if __name__ == "__main__":
    kind, n, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    started = time.perf_counter()
    ok = KINDS[kind](target, n)
    print(json.dumps({"ok": ok, "seconds": time.perf_counter() - started}))
