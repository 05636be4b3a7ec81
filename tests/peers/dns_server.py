"""A small authoritative DNS server on loopback, answering real UDP and TCP queries.

For tests and benchmarks only. It binds 127.0.0.1 (UDP and TCP on the same port) and
answers from a zone dict; it never forwards anything. Reuse it like this::

    from tests.peers.dns_server import DnsServer

    zone = {
        ("www.example.test.", "A"): ["192.0.2.10", "192.0.2.11"],
        ("example.test.", "MX"): ["10 mail.example.test."],
        ("alias.example.test.", "CNAME"): ["www.example.test."],
    }
    with DnsServer(zone) as server:          # server.host, server.port
        ...                                  # server.queries lists what was asked

Behaviour:

- A name in the zone with records of the asked type: those records (CNAMEs inside
  the zone are followed and the chain is returned, as a recursive server would).
- A name in the zone without that type: NOERROR with no answer (NOANSWER).
- A name not in the zone: NXDOMAIN.
- ``silent=True``: read queries and never answer (for timeouts).
- ``rcode="SERVFAIL"`` (or any rcode name): answer every query with that rcode.
- ``truncate_udp=True``: every UDP answer is empty with the TC flag, so a client must
  retry over TCP. ``truncate_udp="header"``: the truncated answer is the bare header
  (TC set, no question section), as dnslib's server sends it. Independently of it, a
  UDP answer bigger than the client's limit (512 bytes, or its EDNS payload size) is
  truncated the same way, as real servers do.

Every socket has a timeout and both serving loops poll a stop event, so ``stop()``
returns within about ``POLL`` seconds.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Literal

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

from simplemon.model import CheckResult
from simplemon.monitors.dns import DnsMonitor, DnsOptions

Zone = Mapping[tuple[str, str], Sequence[str]]

POLL = 0.05  # seconds between checks of the stop event
TTL = 60
_MAX_CHAIN = 8  # CNAME hops followed inside the zone


@dataclass(frozen=True)
class Query:
    """One query the server received."""

    transport: str  # "udp" or "tcp"
    name: str
    rdtype: str


class DnsServer:
    """Serve ``zone`` on 127.0.0.1 over UDP and TCP until stopped."""

    def __init__(
        self,
        zone: Zone,
        *,
        silent: bool = False,
        rcode: str | None = None,
        truncate_udp: bool | Literal["header"] = False,
        host: str = "127.0.0.1",
    ) -> None:
        self.zone = {
            (name.lower().rstrip(".") + ".", rdtype.upper()): list(values)
            for (name, rdtype), values in zone.items()
        }
        self.silent = silent
        self.rcode = rcode
        self.truncate_udp = truncate_udp
        self.host = host
        self.port = 0
        self.queries: list[Query] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> DnsServer:
        """Bind UDP and TCP on one free port and start serving in threads."""
        self._udp, self._tcp = _bind_pair(self.host)
        self.port = self._udp.getsockname()[1]
        for target in (self._serve_udp, self._serve_tcp):
            thread = threading.Thread(target=target, daemon=True, name="dns-peer")
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving and close the sockets."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        for sock in (self._udp, self._tcp):
            if sock is not None:
                sock.close()

    def __enter__(self) -> DnsServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def transports(self) -> list[str]:
        """Return the transport of every query received so far, in order."""
        return [q.transport for q in self.queries]

    # --- answering -------------------------------------------------------------------

    def answer(self, query: dns.message.Message) -> dns.message.Message:
        """Build the response to ``query`` from the zone (no I/O)."""
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if self.rcode is not None:
            response.set_rcode(dns.rcode.from_text(self.rcode))
            return response
        question = query.question[0]
        name = question.name.to_text().lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        for _ in range(_MAX_CHAIN):
            values = self.zone.get((name, rdtype))
            if values:
                response.answer.append(_rrset(name, rdtype, values))
                return response
            target = self.zone.get((name, "CNAME"))
            if not target:
                break
            response.answer.append(_rrset(name, "CNAME", target))
            name = target[0].lower()
        if not response.answer and not any(n == name for n, _ in self.zone):
            response.set_rcode(dns.rcode.NXDOMAIN)
        return response

    def _record(self, transport: str, query: dns.message.Message) -> None:
        question = query.question[0]
        self.queries.append(
            Query(
                transport,
                question.name.to_text(),
                dns.rdatatype.to_text(question.rdtype),
            )
        )

    def _serve_udp(self) -> None:
        assert self._udp is not None
        self._udp.settimeout(POLL)
        while not self._stop.is_set():
            try:
                data, peer = self._udp.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            with suppress(dns.exception.DNSException, OSError):
                query = dns.message.from_wire(data)
                self._record("udp", query)
                if not self.silent:
                    self._udp.sendto(self._udp_wire(query), peer)

    def _udp_wire(self, query: dns.message.Message) -> bytes:
        response = self.answer(query)
        limit = max(512, query.payload if query.edns >= 0 else 512)
        if not self.truncate_udp:
            try:
                return response.to_wire(max_size=limit)
            except dns.exception.TooBig:
                pass
        truncated = dns.message.make_response(query)
        truncated.flags |= dns.flags.AA | dns.flags.TC
        if self.truncate_udp == "header":
            truncated.question = []
        return truncated.to_wire()

    def _serve_tcp(self) -> None:
        assert self._tcp is not None
        self._tcp.settimeout(POLL)
        while not self._stop.is_set():
            try:
                conn, _ = self._tcp.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn, suppress(dns.exception.DNSException, OSError, EOFError):
                conn.settimeout(2)
                self._serve_connection(conn)

    def _serve_connection(self, conn: socket.socket) -> None:
        # One query per connection is all a stub resolver sends; answer it and close.
        (length,) = struct.unpack("!H", _read_exactly(conn, 2))
        query = dns.message.from_wire(_read_exactly(conn, length))
        self._record("tcp", query)
        if self.silent:
            return
        wire = self.answer(query).to_wire()
        conn.sendall(struct.pack("!H", len(wire)) + wire)


def _rrset(name: str, rdtype: str, values: Sequence[str]) -> dns.rrset.RRset:
    return dns.rrset.from_text_list(name, TTL, "IN", rdtype, list(values))


def _read_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise EOFError("connection closed mid-message")
        data += chunk
    return data


def _bind_pair(host: str, attempts: int = 20) -> tuple[socket.socket, socket.socket]:
    """Bind a UDP and a TCP socket to the same free port (retrying a few times)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(attempts):
        udp = socket.socket(family, socket.SOCK_DGRAM)
        udp.bind((host, 0))
        port = udp.getsockname()[1]
        tcp = socket.socket(family, socket.SOCK_STREAM)
        try:
            tcp.bind((host, port))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(16)
        return udp, tcp
    raise OSError(f"no free port for UDP and TCP together on {host}")


def dns_check(
    host: str,
    port: int,
    record: str,
    record_type: str = "A",
    desired: tuple[str, ...] = (),
    timeout: float = 2.0,
) -> CheckResult:
    """Run one dns monitor check against the server at ``host``:``port``."""
    options = DnsOptions(
        record=record,
        record_type=record_type,
        server=host,
        port=port,
        desired_val=desired,
        timeout=timedelta(seconds=timeout),
    )
    return DnsMonitor("dns", options).check()
