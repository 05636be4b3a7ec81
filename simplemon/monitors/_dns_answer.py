"""How the dns monitor judges an answer: as sets of records, in ``dig +short`` form.

Pure functions over dnspython's records, kept apart from the asking (dns.py) so
that every verdict and message can be tested without a server.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rrset

from simplemon.record import record


def parse_expected(values: Iterable[str], rdtype: str) -> frozenset[dns.rdata.Rdata]:
    """Parse ``dig +short`` style texts into records of type ``rdtype``.

    A value that is not valid for ``rdtype`` but ends with a dot is taken as a CNAME
    target, because ``dig +short`` lists the CNAME chain before the final records.
    Names inside records are absolute (``mail.example.com`` = ``mail.example.com.``).

    Raises:
        ValueError: naming the first value that is not a valid record.
    """
    return frozenset(_parse_value(value, rdtype) for value in values)


@functools.lru_cache(maxsize=4096)
def _parse_value(value: str, rdtype: str) -> dns.rdata.Rdata:
    try:
        return _parse_rdata(value, rdtype)
    except dns.exception.DNSException as e:
        error = e
    if rdtype != "CNAME" and value.endswith("."):
        try:
            return _parse_rdata(value, "CNAME")
        except dns.exception.DNSException:
            pass
    raise ValueError(
        f"expected {rdtype} record data as dig +short prints it, "
        f"e.g. {_EXAMPLES.get(rdtype, '...')}; {value!r} is not ({error})"
    )


_EXAMPLES = {
    "A": "192.0.2.1",
    "AAAA": "2001:db8::1",
    "MX": "10 mail.example.com.",
    "TXT": '"v=spf1 -all"',
    "CNAME": "www.example.com.",
    "NS": "ns1.example.com.",
}


def _parse_rdata(value: str, rdtype: str) -> dns.rdata.Rdata:
    return dns.rdata.from_text(
        dns.rdataclass.IN, rdtype, value, origin=dns.name.root, relativize=False
    )


def dig_short(rrsets: Iterable[dns.rrset.RRset]) -> list[str]:
    """Return the records of ``rrsets`` as ``dig +short`` prints them, in order."""
    return [rdata.to_text() for rrset in rrsets for rdata in rrset]


@record
class Outcome:
    """What the server said: its rcode, the final records, and the whole chain."""

    rcode: str  # "NOERROR" or "NXDOMAIN"; other rcodes are failures before this
    records: tuple[dns.rdata.Rdata, ...] = ()  # of the asked type, at the final name
    chain: tuple[dns.rrset.RRset, ...] = ()  # the whole answer section


def evaluate(
    outcome: Outcome,
    expected: frozenset[dns.rdata.Rdata] | None,
    qname: str,
    rdtype: str,
) -> tuple[bool, str]:
    """Decide whether ``outcome`` is acceptable and say why; pure.

    ``expected`` is None when ``desired_val = nxdomain``, empty when any answer
    will do. The answer matches when its records, or its whole chain as
    ``dig +short`` prints it, equal the expected set.
    """
    if outcome.rcode == "NXDOMAIN" or not outcome.chain:
        return _evaluate_missing(outcome.rcode == "NXDOMAIN", expected, qname, rdtype)
    got = dig_short(outcome.chain)
    if expected is None:
        return False, f"got {_show(got)}, expected NXDOMAIN"
    if not expected:
        if not outcome.records:
            # Only an alias, as an authoritative server answers for a CNAME into
            # another zone; dig +short prints its target, and so it resolves.
            return True, (
                f"{qname} {rdtype} is an alias of {got[-1]} "
                f"(the answer holds no {rdtype} record)"
            )
        return True, f"{qname} {rdtype} resolves to {_show(got)}"
    whole_chain = frozenset(rdata for rrset in outcome.chain for rdata in rrset)
    if expected in (frozenset(outcome.records), whole_chain):
        return True, f"{qname} {rdtype} resolves to {_show(got)}, as expected"
    wanted = sorted(rdata.to_text() for rdata in expected)
    return False, f"got {_show(got)}, expected {_show(wanted)}"


def _evaluate_missing(
    is_nxdomain: bool,
    expected: frozenset[dns.rdata.Rdata] | None,
    qname: str,
    rdtype: str,
) -> tuple[bool, str]:
    if is_nxdomain:
        if expected is None:
            return True, f"{qname} does not exist (NXDOMAIN), as expected"
        return False, f"NXDOMAIN: {qname} does not exist"
    if expected is None:
        # dig +short prints nothing here too, which SimpleMonitor counts as
        # "did not resolve"; keep that meaning.
        return True, f"no {rdtype} record for {qname} (NOANSWER), as expected"
    return False, f"NOANSWER: {qname} has no {rdtype} record"


#: Records a message lists before it says how many there are in all.
SHOWN = 10


def _show(texts: Sequence[str]) -> str:
    # Messages are cut at 1000 characters: a long answer listed whole would push
    # the expected values (and the end of the message) out of it.
    if len(texts) <= SHOWN:
        return ", ".join(texts)
    return ", ".join(texts[:SHOWN]) + f", ... ({len(texts)} records)"
