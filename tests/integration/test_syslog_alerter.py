import socket
from datetime import timedelta

import pytest

from alerters.syslog import SyslogAlerter, SyslogOptions
from simplemon.errors import DeliveryError
from simplemon.model import EventKind
from tests.peers.alert_events import make_event

pytestmark = pytest.mark.integration


@pytest.fixture
def unix_socket(tmp_path):
    path = tmp_path / "log.sock"
    assert len(str(path)) < 100, "AF_UNIX paths are limited to 107 bytes"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind(str(path))
        s.settimeout(5)
        yield path, s


@pytest.fixture
def udp_socket():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(5)
        yield s


def test_failure_is_one_warning_datagram(unix_socket):
    path, server = unix_socket
    SyslogAlerter("log", SyslogOptions(address=str(path))).send(make_event())
    assert server.recv(4096) == (
        b"<12>simplemon: failure: Monitor web on host1 failed "
        b"(since 2026-01-05T12:00:00+00:00, down 1+03:04:05, fail count 3): "
        b"HTTP 503 Service Unavailable\x00"
    )


def test_recovery_is_logged_as_notice_with_the_facility(unix_socket):
    path, server = unix_socket
    options = SyslogOptions(address=str(path), facility="local0", ident="mon")
    SyslogAlerter("log", options).send(make_event(kind=EventKind.RECOVERY))
    data = server.recv(4096)
    assert data.startswith(b"<133>mon: recovery: Monitor web on host1 succeeded")


def test_newlines_from_the_server_cannot_forge_lines(unix_socket):
    path, server = unix_socket
    evil = "oops\n<11>simplemon: failure: Monitor db on host1 failed\r\x00"
    SyslogAlerter("log", SyslogOptions(address=str(path))).send(make_event(info=evil))
    data = server.recv(4096)
    assert data.count(b"\n") == 0
    assert data.count(b"\r") == 0
    assert data.count(b"\x00") == 1
    assert data.endswith(b"oops <11>simplemon: failure: Monitor db on host1 failed\x00")
    server.settimeout(0.2)
    with pytest.raises(TimeoutError):
        server.recv(4096)


def test_udp_host_port(udp_socket):
    host, port = udp_socket.getsockname()
    options = SyslogOptions(address=(host, port), facility="daemon")
    SyslogAlerter("log", options).send(make_event(kind=EventKind.CATCHUP))
    data, _ = udp_socket.recvfrom(4096)
    assert data.startswith(
        b"<28>simplemon: catchup: Monitor web on host1 failed earlier"
    )


def test_nobody_listening_on_the_socket_is_a_transient_error(tmp_path):
    options = SyslogOptions(address=str(tmp_path / "absent.sock"))
    with pytest.raises(DeliveryError) as info:
        SyslogAlerter("log", options).send(make_event())
    assert not info.value.permanent
    assert "absent.sock" in str(info.value)


def test_a_missing_socket_says_so_not_bad_file_descriptor(tmp_path):
    # syslogd stopped (or /dev/log absent in a container): the reason is the
    # socket, not an internal "[Errno 9] Bad file descriptor".
    options = SyslogOptions(address=str(tmp_path / "absent.sock"))
    with pytest.raises(DeliveryError) as info:
        SyslogAlerter("log", options).send(make_event())
    assert "No such file or directory" in str(info.value)
    assert "Bad file descriptor" not in str(info.value)


def test_a_socket_left_behind_by_a_dead_syslogd_is_connection_refused(tmp_path):
    path = tmp_path / "stale.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind(str(path))  # closed at once: the file stays, nobody reads it
    with pytest.raises(DeliveryError) as info:
        SyslogAlerter("log", SyslogOptions(address=str(path))).send(make_event())
    assert not info.value.permanent
    assert "Connection refused" in str(info.value)


def test_a_full_socket_fails_within_the_timeout(unix_socket):
    path, _ = unix_socket
    options = SyslogOptions(address=str(path), timeout=timedelta(seconds=0.2))
    alerter = SyslogAlerter("log", options)
    event = make_event(info="x" * 900)

    def flood() -> None:
        # Nobody reads: the receive queue fills and a send must give up.
        for _ in range(10_000):
            alerter.send(event)

    with pytest.raises(DeliveryError, match="timed out"):
        flood()


@pytest.mark.parametrize("char", ["x", "я", "語", "🙂"])
def test_long_non_ascii_text_fits_a_1024_byte_datagram_and_stays_utf8(udp_socket, char):
    host, port = udp_socket.getsockname()
    options = SyslogOptions(
        address=(host, port), ident="a-rather-long-tag.of.32.chars.xx"
    )
    SyslogAlerter("log", options).send(make_event(info=char * 5000))
    data, _ = udp_socket.recvfrom(65535)
    assert len(data) <= 1024  # RFC 3164 4.1: the whole packet
    text = data.rstrip(b"\x00").decode("utf-8")  # no sequence cut in half
    assert text.endswith(char + "...")
    assert len(data) > 1000  # cut to the limit, not far below it
