"""Unit tests of the dns monitor: option parsing and answer comparison, no I/O."""

from __future__ import annotations

from datetime import timedelta

import dns.rdata
import dns.rrset
import pytest

from simplemon.monitors._dns_answer import (
    Outcome,
    dig_short,
    evaluate,
    parse_expected,
)
from simplemon.monitors.dns import DnsMonitor, DnsOptions, dns_values
from simplemon.options import build_options
from simplemon.parsers import ParseContext


def build(**items: str) -> tuple[DnsOptions | None, list[str]]:
    options, errors = build_options(
        DnsOptions,
        items,
        ParseContext(),
        file="monitors.ini",
        section="d",
        type_name="dns",
    )
    return options, [str(e) for e in errors]


def test_dns_timeout_over_a_day_is_a_config_error_not_a_crash() -> None:
    options, errors = build(record="a.test", timeout="9000000d")
    assert options is None
    assert errors == ["monitors.ini: [d] timeout = '9000000d': expected at most 86400s"]


def rrset(name: str, rdtype: str, *values: str) -> dns.rrset.RRset:
    return dns.rrset.from_text_list(name, 60, "IN", rdtype, list(values))


def outcome(*rrsets: dns.rrset.RRset, rcode: str = "NOERROR") -> Outcome:
    records = tuple(rrsets[-1]) if rrsets else ()
    return Outcome(rcode, records, tuple(rrsets))


# --- options ------------------------------------------------------------------------


def test_dns_options_defaults_match_simplemonitor() -> None:
    options, errors = build(record="www.example.test")
    assert errors == []
    assert options is not None
    assert options.record_type == "A"
    assert options.server is None
    assert options.port == 53
    assert options.desired_val == ()
    assert options.timeout == timedelta(seconds=5)


def test_dns_options_require_record() -> None:
    options, errors = build(server="127.0.0.1")
    assert options is None
    assert any("missing required option 'record'" in e for e in errors)


def test_dns_record_type_is_case_insensitive() -> None:
    options, _ = build(record="x.test", record_type="mx", desired_val="10 mail.x.test.")
    assert options is not None
    assert options.record_type == "MX"


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("record_type", "BOGUS", "expected a DNS record type"),
        ("record_type", "ANY", "expected a DNS record type"),
        ("server", "dns.example.test", "expected an IP address"),
        ("port", "0", "expected at least 1"),
        ("port", "70000", "expected at most 65535"),
        ("timeout", "ten", "expected a duration"),
        ("desired_val", "1.2.3.400", "expected A record data"),
    ],
)
def test_dns_options_reject_bad_values(key: str, value: str, fragment: str) -> None:
    options, errors = build(record="x.test", **{key: value})
    assert options is None
    assert len(errors) == 1
    assert fragment in errors[0]
    assert f"[d] {key}" in errors[0] or key in errors[0]


def test_dns_server_accepts_ipv6_literal() -> None:
    options, errors = build(record="x.test", server="::1", port="5353")
    assert errors == []
    assert options is not None
    assert (options.server, options.port) == ("::1", 5353)


def test_desired_val_splits_lines_and_commas_but_not_inside_quotes() -> None:
    text = '"v=spf1 a, -all", "second"\n"third"'
    assert dns_values(text, ParseContext()) == (
        '"v=spf1 a, -all"',
        '"second"',
        '"third"',
    )


def test_desired_val_multi_line_as_simplemonitor_writes_it() -> None:
    options, errors = build(
        record="x.test", record_type="MX", desired_val="10 a.x.test.\n20 b.x.test."
    )
    assert errors == []
    assert options is not None
    assert options.desired_val == ("10 a.x.test.", "20 b.x.test.")


@pytest.mark.parametrize("text", ["nxdomain", "NXDOMAIN", "NxDomain"])
def test_desired_val_nxdomain_is_case_insensitive(text: str) -> None:
    options, errors = build(record="gone.test", desired_val=text)
    assert errors == []
    assert options is not None
    assert options.expects_nxdomain


def test_desired_val_nxdomain_cannot_be_mixed_with_records() -> None:
    options, errors = build(record="x.test", desired_val="nxdomain, 192.0.2.1")
    assert options is None
    assert "cannot be combined" in errors[0]


# --- normalisation ------------------------------------------------------------------


def test_expected_names_compare_case_insensitively_and_dot_is_optional() -> None:
    assert parse_expected(["10 Mail.X.Test"], "MX") == parse_expected(
        ["10 mail.x.test."], "MX"
    )


def test_expected_aaaa_is_compared_as_an_address_not_as_text() -> None:
    assert parse_expected(["2001:DB8:0:0::1"], "AAAA") == parse_expected(
        ["2001:db8::1"], "AAAA"
    )


def test_expected_txt_keeps_case_and_quotes() -> None:
    assert parse_expected(['"Hello"'], "TXT") != parse_expected(['"hello"'], "TXT")
    assert parse_expected(['"a b"'], "TXT") == parse_expected(['"a b"'], "TXT")


def test_expected_value_ending_in_dot_may_be_a_cname_in_the_chain() -> None:
    (value,) = parse_expected(["target.x.test."], "A")
    assert value.rdtype == dns.rdatatype.CNAME


def test_expected_value_without_dot_must_match_the_record_type() -> None:
    with pytest.raises(ValueError, match="expected MX record data"):
        parse_expected(["10"], "MX")


def test_dig_short_prints_records_like_dig() -> None:
    texts = dig_short(
        [
            rrset("a.x.test.", "CNAME", "b.x.test."),
            rrset("b.x.test.", "MX", "10 mail.x.test."),
            rrset("t.x.test.", "TXT", '"one" "two"'),
        ]
    )
    assert texts == ["b.x.test.", "10 mail.x.test.", '"one" "two"']


# --- evaluation ---------------------------------------------------------------------

A = rrset("www.x.test.", "A", "192.0.2.1", "192.0.2.2")
CHAIN = (rrset("alias.x.test.", "CNAME", "www.x.test."), A)


def expect(*values: str, rdtype: str = "A") -> frozenset[dns.rdata.Rdata]:
    return parse_expected(values, rdtype)


def test_any_answer_passes_without_desired_val() -> None:
    ok, message = evaluate(outcome(A), expect(), "www.x.test", "A")
    assert ok
    assert "192.0.2.1" in message


def test_answers_compare_as_a_set_in_any_order() -> None:
    ok, _ = evaluate(outcome(A), expect("192.0.2.2", "192.0.2.1"), "www.x.test", "A")
    assert ok


def test_missing_value_fails_with_got_and_expected() -> None:
    ok, message = evaluate(outcome(A), expect("192.0.2.1"), "www.x.test", "A")
    assert not ok
    assert message == "got 192.0.2.1, 192.0.2.2, expected 192.0.2.1"


def test_extra_expected_value_fails() -> None:
    ok, _ = evaluate(
        outcome(A), expect("192.0.2.1", "192.0.2.2", "192.0.2.3"), "www.x.test", "A"
    )
    assert not ok


def test_cname_chain_matches_final_records_or_whole_dig_output() -> None:
    final = expect("192.0.2.1", "192.0.2.2")
    dig_form = expect("www.x.test.", "192.0.2.1", "192.0.2.2")
    assert evaluate(outcome(*CHAIN), final, "alias.x.test", "A")[0]
    assert evaluate(outcome(*CHAIN), dig_form, "alias.x.test", "A")[0]
    assert not evaluate(outcome(*CHAIN), expect("www.x.test."), "alias.x.test", "A")[0]


def test_nxdomain_fails_unless_expected() -> None:
    gone = Outcome("NXDOMAIN")
    assert evaluate(gone, expect(), "gone.x.test", "A") == (
        False,
        "NXDOMAIN: gone.x.test does not exist",
    )
    ok, message = evaluate(gone, None, "gone.x.test", "A")
    assert ok
    assert "NXDOMAIN" in message


def test_noanswer_fails_unless_nxdomain_expected() -> None:
    empty = Outcome("NOERROR")
    assert evaluate(empty, expect(), "www.x.test", "MX") == (
        False,
        "NOANSWER: www.x.test has no MX record",
    )
    assert evaluate(empty, None, "www.x.test", "MX")[0]


def test_an_answer_fails_when_nxdomain_was_expected() -> None:
    ok, message = evaluate(outcome(A), None, "www.x.test", "A")
    assert not ok
    assert message == "got 192.0.2.1, 192.0.2.2, expected NXDOMAIN"


def test_describe_names_record_server_and_expectation() -> None:
    options = DnsOptions(
        record="www.x.test", server="127.0.0.1", port=5353, desired_val=("192.0.2.1",)
    )
    text = DnsMonitor("d", options).describe()
    assert text == "DNS A www.x.test resolves to 192.0.2.1 at 127.0.0.1 port 5353"


def test_timeout_seconds_is_the_lookup_lifetime() -> None:
    options = DnsOptions(record="x.test", timeout=timedelta(seconds=3))
    assert DnsMonitor("d", options).timeout_seconds() == 3.0


@pytest.mark.parametrize("written", ["[::1]", " [::1] ", "0:0::1"])
def test_dns_server_accepts_ipv6_in_brackets_as_tcp_and_http_do(written: str) -> None:
    options, errors = build(record="x.test", server=written)
    assert not errors
    assert options is not None
    assert options.server == "::1"


@pytest.mark.parametrize("written", ["127.0.0.1:5353", "[::1]:5353"])
def test_dns_server_with_a_port_points_at_the_port_option(written: str) -> None:
    _, errors = build(record="x.test", server=written)
    assert "port option" in errors[0]
