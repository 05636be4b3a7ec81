from logging.handlers import SysLogHandler
from pathlib import Path

import pytest

from alerters.syslog import SyslogAlerter, SyslogOptions
from simplemon.options import build_options
from simplemon.parsers import ParseContext


def load(tmp_path: Path, **items: str):
    return build_options(
        SyslogOptions,
        items,
        ParseContext(tmp_path),
        file="monitor.ini",
        section="log",
        type_name="syslog",
        kind="alerter",
    )


def test_defaults_log_to_dev_log_as_user():
    options = SyslogOptions()
    assert options.address == "/dev/log"
    assert options.facility == "user"
    assert options.ident == "simplemon"
    assert "/dev/log" in SyslogAlerter("log", options).describe()


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("/run/log.sock", "/run/log.sock"),
        ("127.0.0.1:5514", ("127.0.0.1", 5514)),
        ("127.0.0.1", ("127.0.0.1", 514)),
        ("[::1]:5514", ("::1", 5514)),
        ("localhost:514", ("localhost", 514)),
    ],
)
def test_address_is_a_socket_path_or_host_port(tmp_path, text, address):
    options, errors = load(tmp_path, address=text)
    assert not errors
    assert options.address == address


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ({"address": "127.0.0.1:0"}, "expected a socket path or host:port"),
        ({"address": "127.0.0.1:70000"}, "expected a socket path or host:port"),
        ({"address": "a b"}, "expected a socket path or host:port"),
        ({"facility": "nope"}, "expected a syslog facility"),
        ({"ident": "my tag:"}, "ident must be"),
    ],
)
def test_bad_options_are_config_errors(tmp_path, items, message):
    options, errors = load(tmp_path, **items)
    assert options is None
    assert message in str(errors[0])


def test_facility_names_are_case_insensitive(tmp_path):
    options, _ = load(tmp_path, facility="LOCAL3")
    assert options.facility == "local3"
    assert SysLogHandler.facility_names[options.facility] == SysLogHandler.LOG_LOCAL3


@pytest.mark.parametrize(
    ("text", "address", "shown"),
    [
        ("::1", ("::1", 514), "[::1]:514"),
        ("[::1]", ("::1", 514), "[::1]:514"),
        ("[::1]:5514", ("::1", 5514), "[::1]:5514"),
        ("127.0.0.1:5514", ("127.0.0.1", 5514), "127.0.0.1:5514"),
    ],
)
def test_ipv6_address_with_or_without_brackets_and_shown_with_them(
    tmp_path, text, address, shown
):
    # A bare ::1 was a config error, and [::1]:5514 was shown as ::1:5514.
    options, errors = load(tmp_path, address=text)
    assert not errors
    assert options.address == address
    alerter = SyslogAlerter("log", options)
    assert alerter.describe() == f"writing to syslog at {shown} (user)"
