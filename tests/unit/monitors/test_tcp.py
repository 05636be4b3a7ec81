"""tcp monitor: option parsing and errors, and result interpretation (no I/O)."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

import pytest

from simplemon.monitors.tcp import TcpMonitor, TcpOptions, failure_message
from simplemon.option_docs import option_table
from simplemon.options import build_options
from simplemon.parsers import ParseContext


def build(items: dict[str, str]) -> tuple[TcpOptions | None, list[str]]:
    obj, errors = build_options(
        TcpOptions,
        items,
        ParseContext(),
        file="monitors.ini",
        section="ssh",
        type_name="tcp",
    )
    return obj, [str(e) for e in errors]


def test_tcp_options_parse_host_port_and_timeout() -> None:
    obj, errors = build({"host": "::1", "port": "22", "timeout": "500ms"})
    assert errors == []
    assert obj == TcpOptions("::1", 22, timedelta(seconds=0.5))


def test_tcp_timeout_over_a_day_is_a_config_error_not_a_crash() -> None:
    obj, errors = build({"host": "127.0.0.1", "port": "22", "timeout": "9000000d"})
    assert obj is None
    assert errors == [
        "monitors.ini: [ssh] timeout = '9000000d': expected at most 86400s"
    ]


def test_tcp_timeout_defaults_to_five_seconds() -> None:
    obj, _ = build({"host": "127.0.0.1", "port": "22"})
    assert obj is not None
    assert obj.timeout == timedelta(seconds=5)


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ({"port": "22"}, "missing required option 'host' for monitor type 'tcp'"),
        ({"host": "h"}, "missing required option 'port' for monitor type 'tcp'"),
        ({"host": "h", "port": "0"}, "[ssh] port = '0': expected at least 1"),
        ({"host": "h", "port": "70000"}, "port = '70000': expected at most 65535"),
        ({"host": "h", "port": "ssh"}, "port = 'ssh': expected a whole number"),
        ({"host": "h", "port": "1", "timeout": "x"}, "expected a duration in seconds"),
    ],
)
def test_tcp_options_report_config_errors(items: dict[str, str], expected: str) -> None:
    obj, errors = build(items)
    assert obj is None
    assert len(errors) == 1
    assert expected in errors[0]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "connection refused"),
        (TimeoutError("timed out"), "timed out after 2.5s"),
        (TimeoutError(), "timed out after 2.5s"),
        (
            socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            "cannot resolve host 'db.invalid': Name or service not known",
        ),
        (OSError(101, "Network is unreachable"), "network is unreachable"),
        (OSError("odd"), "odd"),
    ],
)
def test_tcp_failure_message_names_the_cause(error: OSError, expected: str) -> None:
    assert failure_message(error, "db.invalid", 2.5) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "TCP connect to 127.0.0.1:22 within 5s"),
        ("::1", "TCP connect to [::1]:22 within 5s"),
        ("[::1]", "TCP connect to [::1]:22 within 5s"),
    ],
)
def test_tcp_describe_shows_the_target(host: str, expected: str) -> None:
    assert TcpMonitor("ssh", TcpOptions(host, 22)).describe() == expected


def test_tcp_docs_page_has_the_current_option_table() -> None:
    page = Path(__file__).resolve().parents[3] / "docs" / "monitors" / "tcp.md"
    text = page.read_text(encoding="utf-8")
    inside = text.split("<!-- options:begin -->\n")[1].split("<!-- options:end -->")[0]
    assert inside == option_table(TcpOptions)
