"""The ``dns`` monitor: look a record up with dnspython and compare the answer.

Never runs an external ``dig``. Answers are compared as sets of records in the text
form ``dig +short`` prints; that judging is pure and lives in _dns_answer.py, the
asking of a server in _dns_transport.py.
"""

from __future__ import annotations

import functools
import ipaddress
import time
from datetime import timedelta

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

from simplemon.model import CheckResult
from simplemon.monitor import Monitor
from simplemon.monitors._dns_answer import (
    Outcome,
    dig_short,
    evaluate,
    parse_expected,
)
from simplemon.monitors._dns_transport import _ConnectedDo53, _no_nameservers_message
from simplemon.options import opt
from simplemon.parsers import ParseContext
from simplemon.record import record

#: The ``desired_val`` that means "this name must not resolve".
NXDOMAIN = "nxdomain"


def record_type(text: str, ctx: ParseContext) -> str:
    """Parse a DNS record type name such as ``A``, ``mx`` or ``TXT`` (upper-cased)."""
    return _record_type(text.strip().upper())


# The parsers below are pure and their results immutable; 10,000 monitors usually
# repeat a few types, names and values, and dnspython's parsing dominated ``-t``.
@functools.lru_cache(maxsize=1024)
def _record_type(name: str) -> str:
    try:
        rdtype = dns.rdatatype.from_text(name)
    except dns.exception.DNSException:
        raise ValueError("expected a DNS record type, e.g. A, AAAA, MX, TXT") from None
    if dns.rdatatype.is_metatype(rdtype):
        raise ValueError("expected a DNS record type, e.g. A, AAAA, MX, TXT")
    return name


def domain_name(text: str, ctx: ParseContext) -> str:
    """Parse a domain name such as ``www.example.com`` (a trailing dot is optional)."""
    return _domain_name(text.strip())


@functools.lru_cache(maxsize=4096)
def _domain_name(value: str) -> str:
    try:
        dns.name.from_text(value)
    except dns.exception.DNSException as e:
        raise ValueError(
            f"expected a domain name, e.g. www.example.com ({e})"
        ) from None
    if not value or value == ".":
        raise ValueError("expected a domain name, e.g. www.example.com")
    return value


def ip_address(text: str, ctx: ParseContext) -> str:
    """Parse an IPv4 or IPv6 address literal (a DNS server must be reachable by IP).

    An IPv6 address may be in brackets (``[::1]``), as the tcp and http monitors
    accept it; a port written after the address is refused (it has its own option).
    """
    value = text.strip()
    inner = value[1:-1] if value.startswith("[") and value.endswith("]") else value
    try:
        return str(ipaddress.ip_address(inner))
    except ValueError:
        pass
    if value.count(":") == 1 or "]:" in value:
        raise ValueError(
            "expected an IP address without a port (put it in the port option), "
            "e.g. 127.0.0.1 or ::1"
        )
    raise ValueError("expected an IP address, e.g. 127.0.0.1 or ::1")


def dns_values(text: str, ctx: ParseContext) -> tuple[str, ...]:
    """Split ``desired_val`` on new lines and on commas outside double quotes.

    SimpleMonitor separates values with new lines (INI continuation lines); commas
    are accepted too, except inside quoted TXT strings, which may contain them.
    """
    values: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "\n" or (char == "," and not quoted):
            values.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    values.append("".join(current).strip())
    return tuple(v for v in values if v)


@record
class DnsOptions:
    """Options of the dns monitor."""

    record: str = opt(
        parser=domain_name,
        help="the name to look up, e.g. www.example.com",
        example="www.example.com",
    )
    record_type: str = opt(
        "A", parser=record_type, help="record type to ask for: A, AAAA, MX, TXT, ..."
    )
    server: str | None = opt(
        None,
        parser=ip_address,
        help="IP address of the DNS server to ask; unset: the system's resolvers",
    )
    port: int = opt(53, min=1, max=65535, help="UDP/TCP port of the DNS server")
    desired_val: tuple[str, ...] = opt(
        (),
        parser=dns_values,
        help="expected records as `dig +short` prints them, one per line or comma "
        "separated, compared as a set; `nxdomain`: the name must not resolve; "
        "unset: any answer will do",
    )
    timeout: timedelta = opt(
        timedelta(seconds=5),
        min=timedelta(milliseconds=100),
        max=timedelta(days=1),
        help="seconds allowed for the whole lookup, TCP retry included",
    )

    def __post_init__(self) -> None:
        if self.expects_nxdomain:
            return
        if any(v.lower() == NXDOMAIN for v in self.desired_val):
            raise ValueError("desired_val = nxdomain cannot be combined with records")
        try:
            parse_expected(self.desired_val, self.record_type)
        except ValueError as e:
            # Checked here, not in the parser: validity depends on record_type.
            raise ValueError(f"desired_val: {e}") from None

    @property
    def expects_nxdomain(self) -> bool:
        """Whether ``desired_val`` says the name must not resolve."""
        return len(self.desired_val) == 1 and self.desired_val[0].lower() == NXDOMAIN


class DnsMonitor(Monitor[DnsOptions]):
    """Check that a DNS record resolves, optionally to the expected values."""

    type_name = "dns"
    Options = DnsOptions

    def check(self) -> CheckResult:
        """Query over UDP (TCP if truncated) within ``timeout``; never raises."""
        o = self.options
        expected = (
            None if o.expects_nxdomain else parse_expected(o.desired_val, o.record_type)
        )
        details: dict[str, object] = {"server": self._server_text()}
        start = time.monotonic()
        try:
            outcome = self._query()
        except _Failure as failure:
            duration = time.monotonic() - start
            return CheckResult(False, str(failure), duration, details)
        duration = time.monotonic() - start
        details["rcode"] = outcome.rcode
        details["answers"] = dig_short(outcome.chain)
        ok, message = evaluate(outcome, expected, o.record, o.record_type)
        return CheckResult(ok, message, duration, details)

    def _query(self) -> Outcome:
        o = self.options
        lifetime = o.timeout.total_seconds()
        try:
            resolver = self._resolver()
            answer = resolver.resolve(
                o.record, o.record_type, lifetime=lifetime, raise_on_no_answer=False
            )
        except dns.resolver.NXDOMAIN:
            return Outcome("NXDOMAIN")
        except dns.resolver.LifetimeTimeout:
            raise _Failure(
                f"timeout: no answer from {self._server_text()} within {lifetime:g}s"
            ) from None
        except dns.resolver.NoNameservers as e:
            raise _Failure(_no_nameservers_message(e, self._server_text())) from None
        except dns.exception.DNSException as e:
            raise _Failure(f"DNS lookup of {o.record} failed: {e}") from None
        records = tuple(answer.rrset) if answer.rrset is not None else ()
        return Outcome("NOERROR", records, tuple(answer.response.answer))

    def _resolver(self) -> dns.resolver.Resolver:
        o = self.options
        if o.server is None:
            # Production convenience: the system's resolvers (/etc/resolv.conf).
            resolver = dns.resolver.Resolver(configure=True)
        else:
            resolver = dns.resolver.Resolver(configure=False)
        # The port must be set before the nameservers, which capture it.
        resolver.port = o.port
        addresses = [o.server] if o.server is not None else list(resolver.nameservers)
        resolver.nameservers = [
            _ConnectedDo53(str(address), o.port) for address in addresses
        ]
        resolver.timeout = o.timeout.total_seconds()
        resolver.lifetime = o.timeout.total_seconds()
        resolver.cache = None
        return resolver

    def _server_text(self) -> str:
        server = self.options.server or "the system resolver"
        return f"{server} port {self.options.port}"

    def describe(self) -> str:
        """Summarise the lookup and the expectation in one line."""
        o = self.options
        if o.expects_nxdomain:
            want = "does not resolve"
        elif o.desired_val:
            want = "resolves to " + ", ".join(o.desired_val)
        else:
            want = "resolves"
        return f"DNS {o.record_type} {o.record} {want} at {self._server_text()}"


class _Failure(Exception):
    """A lookup that ended without an answer; its text is the check message."""
