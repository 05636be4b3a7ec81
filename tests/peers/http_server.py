"""A real HTTP(S) server on loopback for integration tests, with per-path replies.

Usage::

    from tests.peers.http_server import HttpPeer, Reply, make_tls

    with HttpPeer() as peer:                     # http://127.0.0.1:<free port>
        peer.route("/", Reply(200, b"hello", headers={"X-A": "b"}))
        peer.route("/slow", Reply(drip=0.5))     # one body byte every 0.5 s
        peer.url("/")                            # "http://127.0.0.1:PORT/"
        peer.requests                            # [Recorded(method, path, ...)]
        peer.connections                         # TCP connections accepted so far

    tls = make_tls(tmp_path)                     # CA; cert for 127.0.0.1 and ::1
    with HttpPeer(tls=tls.server_context()) as peer:   # https://127.0.0.1:PORT/
        ...                                      # trust it with tls.ca_file

``Reply`` fields: ``status``, ``body``, ``headers``, ``delay`` (seconds before the
status line), ``head_drip``/``drip`` (seconds between bytes of the head/body), ``size``
(stream a synthetic body of that many bytes instead of ``body``), ``auth`` ((user,
password) required, else 401), ``reason`` (the status line's text, sent as UTF-8).
A route may also be a callable ``Recorded -> Reply``.
Unknown paths get 404. ``HttpPeer(host="::1")`` serves IPv6. Every handler socket has a
timeout and every loop stops when the peer stops, so teardown never hangs.
"""

from __future__ import annotations

import base64
import contextlib
import http
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import trustme


@dataclass(frozen=True)
class Reply:
    """What the peer answers on one path."""

    status: int = 200
    body: bytes = b"ok"
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    head_drip: float = 0.0
    drip: float = 0.0
    size: int | None = None
    auth: tuple[str, str] | None = None
    reason: str | None = None  # the status line's text (UTF-8); default: standard


@dataclass(frozen=True)
class Recorded:
    """One request as the peer received it."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes


Route = Reply | Callable[[Recorded], Reply]


class HttpPeer:
    """A ThreadingHTTPServer on a free loopback port; ``with`` starts and stops it."""

    def __init__(self, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"):
        self.tls = tls
        self.routes: dict[str, Route] = {}
        self.requests: list[Recorded] = []
        self.connections = 0
        self.stopping = threading.Event()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        server_class = _Server6 if ":" in host else _Server
        self.server = server_class((host, 0), _Handler)
        self.server.peer = self
        self.host = host
        self.port: int = self.server.server_address[1]
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}
        )

    def __enter__(self) -> HttpPeer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving and close the listening socket (idempotent)."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        if self._thread.is_alive():
            self.server.shutdown()
            self._thread.join(timeout=5)
        with self._lock:
            for sock in self._open:  # wake handlers blocked reading a silent client
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        self.server.server_close()  # joins the handler threads

    def route(self, path: str, reply: Route) -> None:
        """Answer requests for ``path`` (query string ignored) with ``reply``."""
        self.routes[path] = reply

    def url(self, path: str = "/") -> str:
        """Return the URL of ``path`` on this peer."""
        scheme = "https" if self.tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}{path}"

    def record(self, request: Recorded) -> Reply:
        """Store the request and pick its reply."""
        with self._lock:
            self.requests.append(request)
        route = self.routes.get(request.path.split("?")[0])
        if route is None:
            return Reply(404, b"not found")
        return route(request) if callable(route) else route

    def count_connection(self) -> None:
        """Count one accepted TCP connection."""
        with self._lock:
            self.connections += 1

    def opened(self, sock: socket.socket, is_open: bool) -> None:
        """Track a handler's socket, so that stop() can wake its handler."""
        with self._lock:
            if is_open:
                self._open.add(sock)
            else:
                self._open.discard(sock)


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True  # after stop() no server-side socket is left open
    peer: HttpPeer

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.peer.count_connection()
        return True


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else TLS replies wait ~40 ms for delayed ACKs
    timeout = 10  # seconds; an idle or stuck client never pins a thread for long
    server: _Server

    def setup(self) -> None:
        self.broken = False
        tls = self.server.peer.tls
        if tls is not None:  # handshake here, in the handler thread, not in accept()
            self.request.settimeout(self.timeout)
            try:
                self.request = tls.wrap_socket(self.request, server_side=True)
            except (OSError, ssl.SSLError):
                self.broken = True  # the client refused our certificate, or we its
        self.server.peer.opened(self.request, True)
        if not self.broken:  # a failed handshake closed the socket: no files on it
            super().setup()

    def handle(self) -> None:
        if self.broken:
            return
        # The client going away mid-reply is often the very point of the test.
        with contextlib.suppress(OSError, ssl.SSLError):
            super().handle()

    def finish(self) -> None:
        try:
            if not self.broken:
                super().finish()
        finally:
            self.server.peer.opened(self.request, False)
            if self.server.peer.tls is not None:
                self.request.close()  # the server closes only the raw socket it gave us

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = dict(self.headers.items())
        peer = self.server.peer
        reply = peer.record(Recorded(self.command, self.path, headers, body))
        if reply.auth is not None and not _authorized(headers, reply.auth):
            reply = Reply(401, b"unauthorized", {"WWW-Authenticate": 'Basic realm="t"'})
        if reply.delay and peer.stopping.wait(reply.delay):
            return
        self._send_head(reply)
        if self.command != "HEAD":
            self._send_body(reply)

    def _send_head(self, reply: Reply) -> None:
        try:
            phrase = http.HTTPStatus(reply.status).phrase
        except ValueError:
            phrase = "Custom"
        if reply.reason is not None:
            phrase = reply.reason
        lines = [f"HTTP/1.1 {reply.status} {phrase}"]
        lines += [f"{k}: {v}" for k, v in reply.headers.items()]
        size = reply.size if reply.size is not None else len(reply.body)
        lines.append(f"Content-Length: {size}")
        if reply.drip or reply.size is not None:
            lines.append("Connection: close")
            self.close_connection = True
        self._write(("\r\n".join(lines) + "\r\n\r\n").encode(), reply.head_drip)

    def _send_body(self, reply: Reply) -> None:
        if reply.size is None:
            self._write(reply.body, reply.drip)
            return
        chunk = b"0123456789abcdef" * 4096  # 64 KiB
        left = reply.size
        while left > 0 and not self.server.peer.stopping.is_set():
            self.wfile.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)

    def _write(self, data: bytes, drip: float) -> None:
        if not drip:
            self.wfile.write(data)
            return
        for i in range(len(data)):
            self.wfile.write(data[i : i + 1])
            self.wfile.flush()
            if self.server.peer.stopping.wait(drip):
                return


def _authorized(headers: Mapping[str, str], auth: tuple[str, str]) -> bool:
    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    return headers.get("Authorization") == f"Basic {token}"


@dataclass(frozen=True)
class TlsFiles:
    """A trustme CA, a server certificate it issued, and the CA as a PEM file."""

    ca: trustme.CA
    server_cert: trustme.LeafCert
    ca_file: Path
    folder: Path

    def server_context(self, require_client_cert: bool = False) -> ssl.SSLContext:
        """Return a server-side context presenting the server certificate."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server_cert.configure_cert(context)
        if require_client_cert:
            self.ca.configure_trust(context)
            context.verify_mode = ssl.CERT_REQUIRED
        return context

    def client_cert_files(self, name: str = "client.test") -> tuple[Path, Path]:
        """Issue a client certificate; return its (certfile, keyfile) paths."""
        leaf = self.ca.issue_cert(name)
        certfile = self.folder / f"{name}.crt"
        keyfile = self.folder / f"{name}.key"
        certfile.write_bytes(b"".join(p.bytes() for p in leaf.cert_chain_pems))
        keyfile.write_bytes(leaf.private_key_pem.bytes())
        return certfile, keyfile


def make_tls(folder: Path, *names: str) -> TlsFiles:
    """Create a CA and a server certificate for ``names`` (default 127.0.0.1, ::1)."""
    ca = trustme.CA()
    leaf = ca.issue_cert(*(names or ("127.0.0.1", "::1")))
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(ca.cert_pem.bytes())
    return TlsFiles(ca, leaf, ca_file, folder)
