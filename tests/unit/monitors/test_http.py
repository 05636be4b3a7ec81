"""http monitor: option parsing and errors, and result interpretation (no I/O)."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from datetime import timedelta
from http.client import BadStatusLine, RemoteDisconnected
from pathlib import Path

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

from simplemon import deadline
from simplemon.deadline import Watch, Watchdog
from simplemon.monitors._http_errors import failure_message, redact
from simplemon.monitors._http_response import Fetched, judge, reason_text
from simplemon.monitors.http import HttpMonitor, HttpOptions
from simplemon.option_docs import option_table
from simplemon.options import build_options
from simplemon.parsers import ParseContext
from simplemon.pool import NoThreadError

BASE = Path("/srv/sm")


def build(**items: str) -> tuple[HttpOptions | None, list[str]]:
    items.setdefault("url", "http://127.0.0.1/")
    obj, errors = build_options(
        HttpOptions,
        items,
        ParseContext(BASE),
        file="monitors.ini",
        section="web",
        type_name="http",
    )
    return obj, [str(e) for e in errors]


def parse(**items: str) -> HttpOptions:
    obj, errors = build(**items)
    assert not errors
    assert obj is not None
    return obj


def error(**items: str) -> str:
    obj, errors = build(**items)
    assert obj is None
    assert len(errors) == 1
    return errors[0]


def test_http_options_defaults_match_simplemonitor() -> None:
    o = parse()
    assert o.method == "GET"
    assert o.allowed_codes == (200,)
    assert o.allow_redirects is True
    assert o.verify_hostname is True
    assert o.timeout == timedelta(seconds=5)
    assert o.regexp is None
    assert o.max_body_bytes == 1024 * 1024


def test_http_options_parse_every_value() -> None:
    o = parse(
        method="post",
        regexp="up|ok",
        allowed_codes="200, 204",
        allow_redirects="no",
        timeout="2.5",
        verify_hostname="false",
        ca_file="ca.pem",
        certfile="/etc/client.pem",
        keyfile="client.key",
        username="ann",
        password="pw",  # noqa: S106
        headers='{"X-A": "b", "X-N": 1}',
        json='{"a": 1}',
    )
    assert o.method == "POST"
    assert o.regexp is not None
    assert o.regexp.search("all ok")
    assert o.allowed_codes == (200, 204)
    assert o.allow_redirects is False
    assert o.timeout == timedelta(seconds=2.5)
    assert o.verify_hostname is False
    assert o.ca_file == BASE / "ca.pem"  # relative to the INI file's folder
    assert o.certfile == Path("/etc/client.pem")
    assert o.keyfile == BASE / "client.key"
    assert o.headers == {"X-A": "b", "X-N": "1"}
    assert o.json_body == '{"a": 1}'


def test_http_options_accept_an_empty_password_as_simplemonitor_does() -> None:
    # API tokens are often sent as the user name with an empty password.
    o = parse(username="token", password="")
    assert (o.username, o.password) == ("token", "")


def test_http_options_certfile_alone_is_a_combined_pem() -> None:
    assert parse(certfile="both.pem").keyfile is None


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (
            {"url": "ftp://x/"},
            "[web] url = 'ftp://x/': expected an http:// or https://",
        ),
        ({"url": "http://[::1/"}, "url = 'http://[::1/': expected an http://"),
        ({"url": "http://[::1:80/x"}, "expected an http:// or https:// URL"),
        ({"url": "http://127.0.0.1:99999/"}, "(Port out of range 0-65535)"),
        ({"url": "http://127.0.0.1:abc/"}, "expected an http:// or https:// URL"),
        ({"url": "http://:80/"}, "expected an http:// or https:// URL"),
        # An IPv6 address needs brackets in a URL; say so, not just "no host".
        ({"url": "http://::1:8080/"}, "write an IPv6 address in brackets"),
        ({"method": "PUT"}, "method = 'PUT': expected one of GET, POST, HEAD"),
        # Values that may be secret (an Authorization header) are not quoted back.
        ({"headers": "{nope"}, "[web] headers: expected a JSON object"),
        ({"headers": "[1]"}, "[web] headers: expected a JSON object"),
        ({"headers": '{"X-A": [1]}'}, "header 'X-A': expected text, a number or null"),
        ({"headers": '{"X-A": {}}'}, "not a JSON object"),
        ({"json": "{a: 1}"}, "[web] json: expected JSON"),
        ({"allowed_codes": "200, 99"}, "allowed_codes = '200, 99': expected at least"),
        ({"allowed_codes": "ok"}, "expected a comma-separated list of whole numbers"),
        ({"timeout": "0"}, "timeout = '0': expected at least 0.1s"),
        ({"regexp": "("}, "regexp = '(': expected a regular expression"),
        ({"keyfile": "k.pem"}, "keyfile is set but certfile is not"),
        ({"username": "ann"}, "username and password must be given together"),
        ({"password": "pw"}, "username and password must be given together"),
        ({"data": "x"}, "data and json are only sent with method = POST"),
        ({"method": "POST", "data": "x", "json": "1"}, "either data or json"),
        ({"method": "HEAD", "regexp": "x"}, "regexp needs a body"),
        ({"verify_tls": "no", "ca_file": "c"}, "ca_file has no effect"),
        ({"headers": '{"Bad Name": "x"}'}, "invalid header 'Bad Name'"),
        ({"headers": '{"X-A": "a\\r\\nB: c"}'}, "invalid header 'X-A'"),
        # http.client sends header values as Latin-1: other text failed every
        # check with "invalid URL".
        (
            {"headers": '{"X-A": "5 \u20ac"}'},
            "header 'X-A': the value must be Latin-1 text",
        ),
    ],
)
def test_http_options_report_config_errors(
    items: dict[str, str], expected: str
) -> None:
    message = error(**items)
    assert message.startswith("monitors.ini: [web]")
    assert expected.replace("{nope}", "{nope") in message


def test_http_timeout_over_a_day_is_a_config_error_not_a_crash() -> None:
    assert error(timeout="9000000d").endswith(
        "timeout = '9000000d': expected at most 86400s"
    )


def test_http_options_require_url() -> None:
    obj, errors = build_options(
        HttpOptions, {}, ParseContext(), file="m.ini", section="web", type_name="http"
    )
    assert obj is None
    assert errors[0].message == (
        "missing required option 'url' for monitor type 'http', "
        "e.g. url = http://127.0.0.1/"
    )


def test_http_option_table_names_the_simplemonitor_keys() -> None:
    table = option_table(HttpOptions)
    for key in ("url", "method", "regexp", "allowed_codes", "allow_redirects"):
        assert f"`{key}`" in table
    assert "`json`" in table
    assert "`json_body`" not in table


OPTIONS = HttpOptions(url="http://127.0.0.1/", regexp=None)


@pytest.mark.parametrize(
    ("fetched", "options", "ok", "message"),
    [
        (Fetched(200, "OK", "hi"), OPTIONS, True, "HTTP 200 OK in 12 ms"),
        (Fetched(503, "Service Unavailable", ""), OPTIONS, False, None),
        (Fetched(299, "", ""), OPTIONS, False, "HTTP 299"),
        (
            Fetched(301, "Moved", ""),
            HttpOptions("http://h/", allowed_codes=(301,)),
            True,
            "HTTP 301 Moved in 12 ms",
        ),
        (
            Fetched(200, "OK", ""),
            HttpOptions("http://h/", allowed_codes=(204, 304)),
            False,
            "HTTP 200 OK, expected 204/304",
        ),
    ],
)
def test_judge_compares_status_with_allowed_codes(
    fetched: Fetched, options: HttpOptions, ok: bool, message: str | None
) -> None:
    result = judge(options, fetched, 0.012)
    assert result[0] is ok
    assert result[1] == (message or "HTTP 503 Service Unavailable")


def test_judge_searches_the_body_for_regexp() -> None:
    options = parse(regexp="W.lcome")
    assert judge(options, Fetched(200, "OK", "<p>Welcome</p>"), 0.001)[0]
    assert judge(options, Fetched(200, "OK", "go away"), 0.001) == (
        False,
        "regexp 'W.lcome' not found",
    )
    cut = Fetched(200, "OK", "go", bytes_read=2048, truncated=True)
    assert judge(options, cut, 0.001)[1] == (
        "regexp 'W.lcome' not found in the first 2048 bytes"
    )


def test_judge_checks_status_before_regexp() -> None:
    options = parse(regexp="x")
    assert judge(options, Fetched(500, "Internal Server Error", "x"), 0.1) == (
        False,
        "HTTP 500 Internal Server Error",
    )


def wrapped(cause: BaseException) -> requests.ConnectionError:
    """Build the exception chain requests raises around a socket error."""
    text = f"Failed to establish a new connection: {cause}"
    new_conn = NewConnectionError(None, text)  # type: ignore[arg-type]
    new_conn.__cause__ = cause
    return requests.ConnectionError(MaxRetryError(None, "/", new_conn))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            wrapped(ConnectionRefusedError(111, "Connection refused")),
            "connection refused",
        ),
        (
            wrapped(ConnectionResetError(104, "Connection reset by peer")),
            "connection reset by the server",
        ),
        (
            requests.ConnectionError(RemoteDisconnected("Remote end closed")),
            "server closed the connection without a response",
        ),
        (wrapped(OSError(101, "Network is unreachable")), "network is unreachable"),
        (requests.ReadTimeout("read timed out"), "timed out after 5s"),
        (wrapped(TimeoutError("timed out")), "timed out after 5s"),
        (requests.TooManyRedirects("x"), "too many redirects (over 10)"),
        (requests.exceptions.ChunkedEncodingError("x"), "response body cut short"),
        (
            requests.ConnectionError(BadStatusLine("garbage")),
            "invalid HTTP response from the server",
        ),
        (requests.RequestException("odd"), "request failed (RequestException)"),
    ],
)
def test_failure_message_names_the_cause(exc: BaseException, expected: str) -> None:
    assert failure_message(exc, timeout=5, expired=False) == expected


def test_failure_message_says_cannot_resolve_for_dns_errors() -> None:
    gai = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    error = NameResolutionError("web.invalid", None, gai)  # type: ignore[arg-type]
    error.__cause__ = gai
    exc = requests.ConnectionError(MaxRetryError(None, "/", error))  # type: ignore[arg-type]
    assert failure_message(exc, timeout=5, expired=False) == (
        "cannot resolve the host name"
    )


def test_failure_message_prefers_the_deadline_when_the_watchdog_fired() -> None:
    exc = wrapped(ConnectionResetError(104, "reset"))
    assert failure_message(exc, timeout=1.5, expired=True) == "timed out after 1.5s"


def test_failure_message_quotes_the_certificate_problem() -> None:
    verify = ssl.SSLCertVerificationError(1, "certificate verify failed")
    verify.verify_message = "certificate has expired"
    exc = requests.exceptions.SSLError(MaxRetryError(None, "/", verify))  # type: ignore[arg-type]
    assert failure_message(exc, timeout=5, expired=False) == (
        "TLS certificate verify failed: certificate has expired"
    )


def test_failure_message_reports_other_tls_errors_by_reason() -> None:
    tls = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    tls.reason = "WRONG_VERSION_NUMBER"
    exc = requests.exceptions.SSLError(MaxRetryError(None, "/", tls))  # type: ignore[arg-type]
    assert failure_message(exc, timeout=5, expired=False) == (
        "TLS error: wrong version number"
    )


@pytest.mark.parametrize(
    "tls",
    [
        # What a server rejecting our client certificate after a TLS 1.3
        # handshake may give: no reason, and the C source line in the text.
        ssl.SSLEOFError(8, "EOF occurred in violation of protocol (_ssl.c:2427)"),
        ssl.SSLEOFError(8, "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF (_ssl.c:1006)"),
    ],
)
def test_failure_message_says_the_server_closed_a_tls_connection(
    tls: ssl.SSLError,
) -> None:
    if "UNEXPECTED" in str(tls):
        tls.reason = "UNEXPECTED_EOF_WHILE_READING"
    exc = requests.exceptions.SSLError(MaxRetryError(None, "/", tls))  # type: ignore[arg-type]
    assert failure_message(exc, timeout=5, expired=False) == (
        "TLS error: the server closed the connection"
    )


def test_failure_message_leaves_out_the_ssl_source_line() -> None:
    tls = ssl.SSLError(1, "something odd (_ssl.c:123)")
    exc = requests.exceptions.SSLError(MaxRetryError(None, "/", tls))  # type: ignore[arg-type]
    assert failure_message(exc, timeout=5, expired=False) == (
        "TLS error: something odd"
    )


def test_redact_hides_credentials_in_urls() -> None:
    assert redact("https://ann:pw@h.test:8443/x?q=1") == "https://***@h.test:8443/x?q=1"
    assert redact("http://h.test/a@b") == "http://h.test/a@b"


def test_describe_summarises_without_secrets() -> None:
    web = HttpMonitor(
        "web",
        parse(
            url="http://ann:hunter2@127.0.0.1:8080/",
            regexp="ok",
            allowed_codes="200,204",
            username="bob",
            password="hunter3",  # noqa: S106
            headers='{"Authorization": "Bearer hunter4"}',
        ),
    )
    text = web.describe()
    assert text == (
        "HTTP GET http://***@127.0.0.1:8080/ returns 200/204 within 5s and matches /ok/"
    )
    assert web.timeout_seconds() == 5.0


def test_http_docs_page_has_the_current_option_table() -> None:
    page = Path(__file__).resolve().parents[3] / "docs" / "monitors" / "http.md"
    text = page.read_text(encoding="utf-8")
    inside = text.split("<!-- options:begin -->\n")[1].split("<!-- options:end -->")[0]
    assert inside == option_table(HttpOptions)


def test_watchdog_fires_only_unfinished_watches_in_deadline_order():
    dog = Watchdog()
    late, early, finished = Watch(0.3, dog), Watch(0.05, dog), Watch(0.01, dog)
    a, b = socket.socketpair()
    with a, b:
        with late:
            with early:
                early.add(a)
                with finished:
                    pass
                deadline = time.monotonic() + 5
                while not early.expired and time.monotonic() < deadline:
                    time.sleep(0.01)
                assert early.expired
                assert a.recv(1) == b""  # shut down: a blocked recv would wake
                assert not late.expired
            time.sleep(0.02)
        assert not finished.expired


def test_a_watchdog_thread_that_could_not_start_is_started_by_the_next_check(
    monkeypatch,
):
    # Under a pids limit the first start failed and the watchdog kept the unstarted
    # thread: no http deadline was ever enforced again in that process.
    import threading

    real_start = threading.Thread.start
    refusals: list[str] = []

    def refuse_once(thread: threading.Thread) -> None:
        if not refusals:
            refusals.append(thread.name)
            raise RuntimeError("can't start new thread")
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", refuse_once)
    dog = Watchdog()
    with pytest.raises(NoThreadError):
        Watch(0.01, dog).__enter__()
    a, b = socket.socketpair()
    try:
        with Watch(0.05, dog) as watch:
            watch.add(a)
            a.settimeout(5)
            assert a.recv(1) == b""  # shut down by the deadline, not the timeout
        assert watch.expired
    finally:
        a.close()
        b.close()
    assert refusals == ["deadline-watchdog"]


def test_an_http_check_with_no_thread_for_its_deadline_fails_saying_so(monkeypatch):
    from simplemon.pool import NoThreadError

    def no_thread(self: Watchdog, deadline: float, watch: Watch) -> None:
        raise NoThreadError("can't start new thread")

    monkeypatch.setattr(deadline.Watchdog, "watch", no_thread)
    options = HttpOptions(url="http://127.0.0.1:9/")
    result = HttpMonitor("web", options).check()
    assert not result.ok
    assert (
        result.message == "cannot start a thread for the check: can't start new thread"
    )


def test_a_status_text_is_read_as_utf8_when_it_is_and_else_kept() -> None:
    assert reason_text("RÃ©essayez") == "Réessayez"  # UTF-8 bytes read as Latin-1
    assert reason_text("Réessayez") == "Réessayez"  # Latin-1 bytes: not UTF-8
    assert reason_text("Service Unavailable") == "Service Unavailable"
