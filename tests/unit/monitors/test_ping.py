"""Unit tests of the ping and host monitors: options, privilege choice, results."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import icmplib
import pytest

from simplemon.config import load_config
from simplemon.monitors._ping_run import (
    INTERVAL,
    permission_message,
    privilege_attempts,
    run_ping,
    summarise,
    summarise_replies,
)
from simplemon.monitors.ping import HostMonitor, HostOptions, PingMonitor, PingOptions
from simplemon.options import build_options
from simplemon.parsers import ParseContext

SECOND = timedelta(seconds=1)


def build(cls: type[Any], type_name: str, **items: str) -> tuple[Any, list[str]]:
    options, errors = build_options(
        cls,
        items,
        ParseContext(),
        file="monitors.ini",
        section="p",
        type_name=type_name,
    )
    return options, [str(e) for e in errors]


@pytest.mark.parametrize(
    ("cls", "type_name", "key"),
    [(PingOptions, "ping", "timeout"), (HostOptions, "host", "ping_ttl")],
)
def test_ping_wait_over_a_day_is_a_config_error_not_a_crash(
    cls: type[Any], type_name: str, key: str
) -> None:
    options, errors = build(cls, type_name, host="127.0.0.1", **{key: "9000000d"})
    assert options is None
    assert errors == [f"monitors.ini: [p] {key} = '9000000d': expected at most 86400s"]


def scripted_ping(*outcomes: Any) -> tuple[Callable[..., icmplib.Host], list[bool]]:
    """A stand-in for icmplib.ping: raises or returns each outcome in turn."""
    calls: list[bool] = []
    remaining = list(outcomes)

    def ping(address: str, **kwargs: Any) -> icmplib.Host:
        calls.append(kwargs["privileged"])
        outcome = remaining.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        assert isinstance(outcome, icmplib.Host)
        return outcome

    return ping, calls


# --- options ------------------------------------------------------------------------


def test_ping_options_defaults_match_simplemonitor() -> None:
    options, errors = build(PingOptions, "ping", host="127.0.0.1")
    assert errors == []
    assert (options.count, options.timeout, options.privileged) == (
        1,
        timedelta(seconds=5),
        "auto",
    )


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("count", "0", "expected at least 1"),
        ("count", "many", "expected a whole number"),
        ("timeout", "0", "expected at least 0.1s"),
        ("privileged", "maybe", "expected one of auto, yes, no"),
    ],
)
def test_ping_options_reject_bad_values(key: str, value: str, fragment: str) -> None:
    options, errors = build(PingOptions, "ping", host="127.0.0.1", **{key: value})
    assert options is None
    assert fragment in errors[0]


def test_ping_requires_host() -> None:
    options, errors = build(PingOptions, "ping")
    assert options is None
    assert "missing required option 'host'" in errors[0]


def test_host_type_accepts_simplemonitor_ping_ttl() -> None:
    options, errors = build(HostOptions, "host", host="::1", ping_ttl="2", count="3")
    assert errors == []
    assert (options.ping_ttl, options.count) == (timedelta(seconds=2), 3)


def test_host_type_accepts_timeout_as_ping_ttl() -> None:
    options, errors = build(HostOptions, "host", host="::1", timeout="2")
    assert errors == []
    assert options.ping_ttl == timedelta(seconds=2)


def test_host_type_accepts_ignored_regexps() -> None:
    options, errors = build(
        HostOptions, "host", host="127.0.0.1", ping_regexp="bytes from"
    )
    assert errors == []
    assert options.ping_regexp == "bytes from"


def test_timeout_seconds_covers_every_reply_and_interval() -> None:
    ping = PingMonitor("p", PingOptions(host="127.0.0.1", count=3, timeout=SECOND))
    host = HostMonitor("h", HostOptions(host="127.0.0.1", count=3, ping_ttl=SECOND))
    assert ping.timeout_seconds() == pytest.approx(3 + 2 * INTERVAL)
    assert host.timeout_seconds() == ping.timeout_seconds()


def test_describe_says_what_is_pinged() -> None:
    ping = PingMonitor("p", PingOptions(host="::1", count=2, timeout=SECOND))
    assert ping.describe() == "ping ::1 (2 request(s), 1s per reply)"
    host = HostMonitor("h", HostOptions(host="127.0.0.1"))
    assert host.describe() == "checking host 127.0.0.1 is pingable"


# --- privilege choice ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "attempts"),
    [("yes", (True,)), ("no", (False,)), ("auto", (False, True))],
)
def test_privilege_attempts(mode: Any, attempts: tuple[bool, ...]) -> None:
    assert privilege_attempts(mode) == attempts


def test_permission_message_says_how_to_fix_it() -> None:
    assert "net.ipv4.ping_group_range" in permission_message("no")
    assert "CAP_NET_RAW" not in permission_message("no")
    assert "root" in permission_message("yes")
    assert "CAP_NET_RAW" in permission_message("yes")
    auto = permission_message("auto")
    assert "ping_group_range" in auto
    assert "CAP_NET_RAW" in auto


def test_permission_message_opens_icmp_to_this_group_only() -> None:
    # not '0 2147483647' (every user), and no file capability on the interpreter
    # (every script it runs would get raw sockets)
    message = permission_message("auto", gid=1001)
    assert "group (gid 1001), e.g. sysctl -w net.ipv4.ping_group_range='1001 1001'" in (
        message
    )
    assert "2147483647" not in message
    assert "setcap" not in message
    assert "AmbientCapabilities=CAP_NET_RAW in its systemd unit" in message
    assert f"(gid {os.getgid()})" in permission_message("no")


# --- results ------------------------------------------------------------------------


def test_summarise_reports_rtt_statistics() -> None:
    result = summarise(icmplib.Host("192.0.2.1", 3, [1.0, 2.0, 6.0]), True, 0.5)
    assert result.ok
    assert result.message == (
        "192.0.2.1: 3/3 replies, rtt min/avg/max 1.000/3.000/6.000 ms"
    )
    assert result.duration == pytest.approx(0.003)
    assert result.details["rtt_min_ms"] == 1.0
    assert result.details["rtt_max_ms"] == 6.0
    assert result.details["privileged"] is True


def test_one_reply_out_of_several_is_up() -> None:
    result = summarise(icmplib.Host("192.0.2.1", 3, [4.0]), False, 2.5)
    assert result.ok
    assert result.details["packet_loss"] == pytest.approx(2 / 3, abs=0.01)


def test_replies_before_the_link_went_down_say_the_rest_was_not_sent() -> None:
    host = icmplib.Host("192.0.2.1", 3, [4.0, 5.0, 6.0])
    result = summarise(host, False, 2.5, "network is unreachable")
    assert result.ok
    assert result.message == (
        "192.0.2.1: 3/3 replies, rtt min/avg/max 4.000/5.000/6.000 ms; "
        "later requests not sent: network is unreachable"
    )


def test_no_reply_is_down_with_elapsed_duration() -> None:
    result = summarise(icmplib.Host("192.0.2.1", 2, []), True, 2.5)
    assert not result.ok
    assert result.message == "no reply from 192.0.2.1 (2 sent)"
    assert result.duration == 2.5


def test_nothing_sent_says_why_and_a_reason_with_requests_sent_is_not_shown() -> None:
    unsent = summarise(icmplib.Host("192.0.2.1", 0, []), True, 0.2, "no route to host")
    assert unsent.message == "cannot send to 192.0.2.1: no route to host"
    some = summarise(icmplib.Host("192.0.2.1", 1, []), True, 2.2, "no route to host")
    assert some.message == "no reply from 192.0.2.1 (1 sent)"


def test_an_icmp_error_ends_a_failures_message_and_is_in_its_details() -> None:
    said = "host unreachable (reported by 192.0.2.2)"
    result = summarise_replies("198.51.100.7", 3, [], False, 0.4, None, said)
    assert not result.ok
    assert result.message == (
        "no reply from 198.51.100.7 (3 sent): host unreachable (reported by 192.0.2.2)"
    )
    assert result.details["icmp_error"] == said
    silent = summarise_replies("198.51.100.7", 3, [], False, 15.4)
    assert silent.message == "no reply from 198.51.100.7 (3 sent)"
    assert silent.details["icmp_error"] is None


def test_a_passing_check_keeps_its_message_despite_an_icmp_error() -> None:
    said = "host unreachable (reported by 192.0.2.2)"
    result = summarise_replies("198.51.100.7", 3, [2.0], True, 0.4, None, said)
    assert result.ok
    assert result.message == (
        "198.51.100.7: 1/3 replies, rtt min/avg/max 2.000/2.000/2.000 ms"
    )
    assert result.details["icmp_error"] == said


def test_auto_falls_back_when_first_socket_kind_is_refused() -> None:
    ping, calls = scripted_ping(
        icmplib.SocketPermissionError(False), icmplib.Host("127.0.0.1", 1, [0.1])
    )
    result = run_ping("127.0.0.1", 1, SECOND, "auto", ping)
    assert result.ok
    assert calls == [False, True]


def test_permission_denied_everywhere_fails_with_the_fix() -> None:
    denied = icmplib.SocketPermissionError(False)
    ping, calls = scripted_ping(denied, denied)
    result = run_ping("127.0.0.1", 1, SECOND, "auto", ping)
    assert not result.ok
    assert result.message == permission_message("auto")
    assert len(calls) == 2


def test_unknown_host_name_fails_clearly() -> None:
    ping, _ = scripted_ping(icmplib.NameLookupError("nowhere.test"))
    result = run_ping("nowhere.test", 1, SECOND, "yes", ping)
    assert not result.ok
    assert result.message == "cannot resolve host name 'nowhere.test'"


def test_other_socket_errors_fail_without_raising() -> None:
    ping, _ = scripted_ping(icmplib.ICMPSocketError("Address family not supported"))
    result = run_ping("::1", 1, SECOND, "yes", ping)
    assert not result.ok
    assert result.message == "cannot ping ::1: Address family not supported"


def test_timeout_and_count_reach_icmplib() -> None:
    seen: dict[str, Any] = {}

    def ping(address: str, **kwargs: Any) -> icmplib.Host:
        seen.update(kwargs, address=address)
        return icmplib.Host(address, kwargs["count"], [])

    run_ping("::1", 4, timedelta(milliseconds=250), "no", ping)
    assert seen == {
        "address": "::1",
        "count": 4,
        "interval": INTERVAL,
        "timeout": 0.25,
        "privileged": False,
    }


def test_host_section_from_simplemonitor_loads(write_ini) -> None:
    main = write_ini("monitor.ini", "[monitor]\ninterval = 30\n")
    write_ini(
        "monitors.ini",
        """
        [nas]
        type = host
        host = 127.0.0.1
        ping_ttl = 2
        count = 2
        [lo6]
        type = ping
        host = ::1
        privileged = no
        """,
    )
    nas, lo6 = load_config(main, environ={}).monitors
    assert isinstance(nas.plugin, HostMonitor)
    assert nas.plugin.options.ping_ttl == timedelta(seconds=2)
    assert isinstance(lo6.plugin, PingMonitor)
    assert lo6.plugin.options.privileged == "no"


def test_bracketed_ipv6_reaches_icmplib_without_brackets() -> None:
    # The probe path stripped them; check() handed "[::1]" to icmplib, which took it
    # for a host name: "no reply from [::1] (0 sent)".
    seen: list[str] = []

    def ping(address: str, **kwargs: Any) -> icmplib.Host:
        seen.append(address)
        return icmplib.Host(address, kwargs["count"], [0.1])

    result = run_ping("[::1]", 1, SECOND, "no", ping)
    assert seen == ["::1"]
    assert result.ok
    assert result.details["address"] == "::1"
