"""How the dns monitor asks its server, and how it words a server's refusal.

dnspython's defaults suit a resolver library, not a monitor: these make a server
that is down fail at once, and name what each server said.
"""

from __future__ import annotations

import copy
import errno
import socket

import dns.flags
import dns.inet
import dns.message
import dns.nameserver
import dns.opcode
import dns.query
import dns.rcode
import dns.resolver


class _ConnectedDo53(dns.nameserver.Do53Nameserver):
    """A plain DNS server asked over a *connected* UDP socket.

    dnspython sends from an unconnected socket, which never hears the ICMP "port
    unreachable" of a server that is down: the check then waited its whole timeout.
    A connected socket gets ECONNREFUSED at once (as dig reports it) and only ever
    receives datagrams from the server's address and port.
    """

    def query(
        self,
        request: dns.message.QueryMessage,
        timeout: float,
        source: str | None,
        source_port: int,
        max_size: bool,
        one_rr_per_rrset: bool = False,
        ignore_trailing: bool = False,
    ) -> dns.message.Message:
        if max_size:  # TCP: a refused connection is reported already
            return super().query(
                request,
                timeout,
                source,
                source_port,
                max_size,
                one_rr_per_rrset,
                ignore_trailing,
            )
        family = dns.inet.af_for_address(self.address)
        asked = copy.copy(request)
        asked.__class__ = _HeaderOnlyTruncationQuery
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            sock.connect((self.address, self.port))
            return dns.query.udp(
                asked,
                self.address,
                timeout=timeout,
                port=self.port,
                sock=sock,
                raise_on_truncation=True,
                one_rr_per_rrset=one_rr_per_rrset,
                ignore_trailing=ignore_trailing,
                ignore_errors=True,
                ignore_unexpected=True,
            )


class _HeaderOnlyTruncationQuery(dns.message.QueryMessage):
    """A query that takes a bare truncated header as its reply.

    Some servers (dnslib's, for one) truncate a UDP answer to the header alone, with
    TC set and no question section. dnspython drops such a reply as not matching the
    question, and the check timed out; dig retries it over TCP, and so do we. The
    id must still match, and the socket only hears the server's address.
    """

    def is_response(
        self, other: dns.message.Message, xfr_continuation: bool = False
    ) -> bool:
        if super().is_response(other, xfr_continuation):
            return True
        return (
            bool(other.flags & dns.flags.QR)
            and bool(other.flags & dns.flags.TC)
            and not other.question
            and other.id == self.id
            and dns.opcode.from_flags(other.flags) == dns.opcode.from_flags(self.flags)
        )


#: Errors that mean this machine is out of descriptors or buffer memory.
_SHORT_HERE = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


def _no_nameservers_message(error: dns.resolver.NoNameservers, server: str) -> str:
    """Turn dnspython's per-server error list into one short reason."""
    errors = error.kwargs.get("errors") or []
    reasons = []
    for entry in errors:
        response = entry[4] if len(entry) > 4 else None
        problem = entry[3] if len(entry) > 3 else entry[-1]
        if isinstance(response, dns.message.Message):
            reasons.append(dns.rcode.to_text(response.rcode()))
        elif isinstance(problem, ConnectionRefusedError):
            reasons.append("connection refused")
        elif isinstance(problem, OSError) and problem.errno in _SHORT_HERE:
            # This machine ran short, not the server: no "from <server>" then.
            strerror = problem.strerror or str(problem)
            return f"cannot open a socket: {strerror[0].lower()}{strerror[1:]}"
        elif isinstance(problem, OSError) and problem.strerror:
            # e.g. a route that refuses: "no route to host", as tcp and http say.
            strerror = problem.strerror
            reasons.append(strerror[0].lower() + strerror[1:])
        else:
            reasons.append(str(problem))
    reason = "; ".join(dict.fromkeys(reasons)) or "no usable answer"
    return f"{reason} from {server}"
