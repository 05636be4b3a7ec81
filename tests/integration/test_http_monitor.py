"""The http monitor against real HTTP and HTTPS servers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from simplemon.monitors._http_transport import tls_context
from simplemon.monitors.http import HttpMonitor, HttpOptions
from tests.peers.descriptors import open_descriptors, opened_since
from tests.peers.http_server import HttpPeer, Reply, TlsFiles, make_tls

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def monitor(url: str, **options: Any) -> HttpMonitor:
    return HttpMonitor("web", HttpOptions(url=url, **options))


@pytest.fixture
def peer() -> Iterator[HttpPeer]:
    with HttpPeer() as server:
        yield server


@pytest.fixture
def tls(tmp_path: Path) -> TlsFiles:
    return make_tls(tmp_path)


def test_http_monitor_succeeds_on_200_and_records_time(peer: HttpPeer) -> None:
    peer.route("/", Reply(200, b"hello"))
    result = monitor(peer.url("/")).check()
    assert result.ok
    assert result.message.startswith("HTTP 200 OK in ")
    assert result.duration > 0
    assert result.details["status_code"] == 200
    assert result.details["bytes_read"] == 5


def test_tls_only_options_do_not_break_plain_http(peer: HttpPeer) -> None:
    # SimpleMonitor configs often set verify_hostname = 0 on http:// URLs too.
    peer.route("/", Reply(200, b"fine"))
    for options in ({"verify_hostname": False}, {"verify_tls": False}):
        result = monitor(peer.url("/"), **options).check()
        assert result.ok, (options, result.message)


def test_http_monitor_fails_on_unexpected_status(peer: HttpPeer) -> None:
    peer.route("/", Reply(503, b"down"))
    result = monitor(peer.url("/")).check()
    assert not result.ok
    assert result.message == "HTTP 503 Service Unavailable"
    assert result.details["status_code"] == 503


def test_a_status_text_in_utf8_reads_as_the_server_wrote_it(
    peer: HttpPeer,
) -> None:
    peer.route("/", Reply(503, reason="Réessayez plus tard"))
    utf8 = monitor(peer.url("/")).check()
    assert utf8.message == "HTTP 503 Réessayez plus tard"
    assert utf8.details["reason"] == "Réessayez plus tard"


def test_http_monitor_accepts_listed_allowed_codes(peer: HttpPeer) -> None:
    peer.route("/", Reply(503, b"down"))
    assert monitor(peer.url("/"), allowed_codes=(200, 503)).check().ok
    assert not monitor(peer.url("/nothing"), allowed_codes=(200, 503)).check().ok


def test_http_monitor_fails_once_the_server_is_gone(peer: HttpPeer) -> None:
    peer.route("/", Reply())
    web = monitor(peer.url("/"))
    assert web.check().ok
    peer.stop()
    result = web.check()
    assert not result.ok
    assert result.message == "connection refused"


def test_http_monitor_opens_a_fresh_connection_for_every_check(peer: HttpPeer) -> None:
    peer.route("/", Reply())
    web = monitor(peer.url("/"))
    assert web.check().ok
    assert web.check().ok
    assert peer.connections == 2


def test_http_monitor_matches_regexp_in_body(peer: HttpPeer) -> None:
    peer.route("/", Reply(200, "<h1>Welcome, Zoë</h1>".encode()))
    assert monitor(peer.url("/"), regexp=_re(r"Welcome, Zo\u00eb")).check().ok
    result = monitor(peer.url("/"), regexp=_re("Goodbye")).check()
    assert not result.ok
    assert result.message == "regexp 'Goodbye' not found"


def test_http_monitor_follows_redirects_unless_told_not_to(peer: HttpPeer) -> None:
    peer.route("/old", Reply(302, b"", {"Location": "/new"}))
    peer.route("/new", Reply(200, b"moved here"))
    followed = monitor(peer.url("/old"), regexp=_re("moved")).check()
    assert followed.ok
    assert followed.details["redirects"] == 1
    assert followed.details["url"] == peer.url("/new")
    stopped = monitor(peer.url("/old"), allow_redirects=False).check()
    assert not stopped.ok
    assert stopped.message == "HTTP 302 Found"


def test_a_followed_redirect_that_ends_on_a_code_not_allowed_says_so(
    peer: HttpPeer,
) -> None:
    # allowed_codes = 301 while redirects are followed: the failure read
    # "HTTP 200 OK", which looks like a success.
    peer.route("/old", Reply(301, b"", {"Location": "/new"}))
    peer.route("/new", Reply(200, b"fine"))
    result = monitor(peer.url("/old"), allowed_codes=(301,)).check()
    assert (result.ok, result.message) == (
        False,
        "HTTP 200 OK after 1 redirect, expected 301 "
        "(allow_redirects = no checks the redirect itself)",
    )
    peer.route("/gone", Reply(302, b"", {"Location": "/down"}))
    peer.route("/down", Reply(503, b""))
    down = monitor(peer.url("/gone"), allowed_codes=(200, 204)).check()
    assert (
        down.message
        == "HTTP 503 Service Unavailable after 1 redirect, expected 200/204"
    )


def test_http_monitor_gives_up_on_a_redirect_loop(peer: HttpPeer) -> None:
    peer.route("/loop", Reply(302, b"", {"Location": "/loop"}))
    result = monitor(peer.url("/loop")).check()
    assert not result.ok
    assert result.message == "too many redirects (over 10)"


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("http://[::1/", "invalid URL"),
        ("http://127.0.0.1:99999/", "invalid URL"),
        ("ftp://127.0.0.1/", "redirected to a URL that is not http:// or https://"),
    ],
)
def test_http_monitor_fails_cleanly_on_a_bad_redirect_location(
    peer: HttpPeer, location: str, message: str
) -> None:
    peer.route("/", Reply(301, b"", {"Location": location}))
    result = monitor(peer.url("/")).check()
    assert (result.ok, result.message) == (False, message)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there now


def test_a_failure_after_a_redirect_says_where_it_happened(peer: HttpPeer) -> None:
    # "connection refused" for a server that plainly answers sent users to the
    # wrong machine: the refusal came from where the redirect led.
    port = closed_port()
    peer.route(
        "/moved", Reply(302, b"", {"Location": f"http://ann:pw@127.0.0.1:{port}/new"})
    )
    result = monitor(peer.url("/moved")).check()
    assert (result.ok, result.message) == (
        False,
        f"connection refused (after 1 redirect, at http://***@127.0.0.1:{port}/new)",
    )
    peer.route("/twice", Reply(301, b"", {"Location": "/moved"}))
    twice = monitor(peer.url("/twice")).check()
    assert twice.message.endswith(
        f"(after 2 redirects, at http://***@127.0.0.1:{port}/new)"
    )
    direct = monitor(f"http://127.0.0.1:{port}/").check()
    assert direct.message == "connection refused"  # no redirect: nothing added


def test_http_monitor_sends_basic_auth(peer: HttpPeer) -> None:
    peer.route("/", Reply(auth=("ann", "s3cret")))
    web = monitor(peer.url("/"), username="ann", password="s3cret")  # noqa: S106
    assert web.check().ok
    result = monitor(peer.url("/")).check()
    assert not result.ok
    assert result.message == "HTTP 401 Unauthorized"
    assert "s3cret" not in web.describe()


def test_http_monitor_sends_basic_auth_with_an_empty_password(peer: HttpPeer) -> None:
    peer.route("/", Reply(auth=("token", "")))
    assert monitor(peer.url("/"), username="token", password="").check().ok


@pytest.mark.parametrize("password", ["p\u00e4ssw\u00f6rd", "\u5bc6\u7801"])
def test_http_monitor_sends_a_non_ascii_password_as_utf8(
    peer: HttpPeer, password: str
) -> None:
    # requests encodes basic auth as Latin-1: "pässwörd" did not match a password
    # set in UTF-8 (htpasswd, browsers and curl use UTF-8), and "密码" failed every
    # check with "invalid URL".
    peer.route("/", Reply(auth=("j\u00fcrgen", password)))
    result = monitor(peer.url("/"), username="j\u00fcrgen", password=password).check()
    assert result.ok, result.message


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({f"X-H{i}": "v" for i in range(120)}, "got more than 100 headers"),
        ({"X-Big": "v" * 70000}, "got more than 65536 bytes when reading header line"),
    ],
    ids=["many", "long"],
)
def test_http_monitor_says_why_a_response_head_is_refused(
    peer: HttpPeer, headers: dict[str, str], message: str
) -> None:
    # Was "request failed (ConnectionError)", which says nothing.
    peer.route("/", Reply(200, b"x", headers=headers))
    result = monitor(peer.url("/")).check()
    assert (result.ok, result.message) == (
        False,
        f"invalid HTTP response from the server: {message}",
    )


def test_configured_headers_do_not_follow_a_redirect_to_another_host(
    peer: HttpPeer,
) -> None:
    # requests itself drops only Authorization; an API key header would have gone
    # to whatever host the redirect named. 127.0.0.2 is loopback too.
    with HttpPeer(host="127.0.0.2") as elsewhere:
        elsewhere.route("/landing", Reply())
        peer.route("/here", Reply())
        peer.route("/away", Reply(302, headers={"Location": elsewhere.url("/landing")}))
        peer.route("/stay", Reply(302, headers={"Location": peer.url("/here")}))
        secret = {"X-Api-Key": "k3y", "Authorization": "Bearer t0ken"}
        assert monitor(peer.url("/away"), headers=secret).check().ok
        assert monitor(peer.url("/stay"), headers=secret).check().ok
    landed = elsewhere.requests[0].headers
    assert "X-Api-Key" not in landed
    assert "Authorization" not in landed
    stayed = next(r for r in peer.requests if r.path == "/here").headers
    assert stayed["X-Api-Key"] == "k3y"  # same host: still sent
    assert stayed["Authorization"] == "Bearer t0ken"


def test_http_monitor_sends_configured_headers(peer: HttpPeer) -> None:
    peer.route("/", Reply())
    assert monitor(peer.url("/"), headers={"X-Probe": "simplemon"}).check().ok
    assert peer.requests[0].headers["X-Probe"] == "simplemon"


def test_http_monitor_posts_data_and_json(peer: HttpPeer) -> None:
    peer.route("/", Reply())
    assert monitor(peer.url("/"), method="POST", data="a=1&b=ü").check().ok
    assert monitor(peer.url("/"), method="POST", json_body='{"a": [1]}').check().ok
    form, doc = peer.requests
    assert (form.method, form.body) == ("POST", "a=1&b=ü".encode())
    assert doc.headers["Content-Type"] == "application/json"
    assert json.loads(doc.body) == {"a": [1]}


def test_http_monitor_head_reads_no_body(peer: HttpPeer) -> None:
    peer.route("/", Reply(200, b"x" * 1000))
    result = monitor(peer.url("/"), method="HEAD").check()
    assert result.ok
    assert result.details["bytes_read"] == 0
    assert peer.requests[0].method == "HEAD"


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, b"x" * 100, drip=0.2),  # body dripped: each read is quick
        Reply(200, b"x", head_drip=0.2),  # status line and headers dripped
        Reply(200, b"x", delay=30),  # nothing at all for a long time
    ],
    ids=["body-drip", "head-drip", "silent"],
)
def test_http_monitor_timeout_is_a_total_deadline(peer: HttpPeer, reply: Reply) -> None:
    peer.route("/", reply)
    started = time.monotonic()
    result = monitor(peer.url("/"), timeout=timedelta(seconds=0.5)).check()
    elapsed = time.monotonic() - started
    assert not result.ok
    assert result.message == "timed out after 0.5s"
    # Without a total deadline this takes 30 s or more; the margin absorbs load.
    assert elapsed < 5


def test_http_monitor_caps_the_body_it_reads(peer: HttpPeer) -> None:
    peer.route("/big", Reply(size=64 * 1024 * 1024))
    result = monitor(peer.url("/big")).check()
    assert result.ok
    assert result.details["bytes_read"] == 1024 * 1024
    assert result.details["truncated"] is True
    missed = monitor(peer.url("/big"), regexp=_re("never"), max_body_bytes=1000).check()
    assert missed.message == "regexp 'never' not found in the first 1000 bytes"


def test_a_body_of_exactly_max_body_bytes_is_not_called_truncated(
    peer: HttpPeer,
) -> None:
    peer.route("/", Reply(200, b"12345"))
    result = monitor(peer.url("/"), regexp=_re("6"), max_body_bytes=5).check()
    assert result.message == "regexp '6' not found"
    assert (result.details["bytes_read"], result.details["truncated"]) == (5, False)
    longer = monitor(peer.url("/"), regexp=_re("6"), max_body_bytes=4).check()
    assert longer.message == "regexp '6' not found in the first 4 bytes"
    assert (longer.details["bytes_read"], longer.details["truncated"]) == (4, True)


def test_http_monitor_closes_its_sockets() -> None:
    gone = monitor("http://127.0.0.1:1/")
    gone.check()  # warm-up: lazily created objects do not count
    before = open_descriptors()
    with HttpPeer() as peer:  # its server-side sockets are all closed on exit
        peer.route("/", Reply())
        peer.route("/big", Reply(size=8 * 1024 * 1024))
        peer.route("/slow", Reply(200, b"x" * 100, drip=0.05))
        web, big = monitor(peer.url("/")), monitor(peer.url("/big"), max_body_bytes=10)
        slow = monitor(peer.url("/slow"), timeout=timedelta(seconds=0.1))
        for _ in range(3):
            assert web.check().ok
            assert big.check().ok
            assert not gone.check().ok
        assert not slow.check().ok
    assert not opened_since(before)


def test_https_monitor_verifies_against_ca_file(tls: TlsFiles) -> None:
    with HttpPeer(tls=tls.server_context()) as peer:
        peer.route("/", Reply(200, b"secure"))
        result = monitor(peer.url("/"), ca_file=tls.ca_file, regexp=_re("sec")).check()
    assert result.ok, result.message


def test_https_monitor_trusts_only_the_ca_file(tls: TlsFiles) -> None:
    with HttpPeer(tls=tls.server_context()) as peer:
        peer.route("/", Reply())
        for _ in range(2):
            assert monitor(peer.url("/"), ca_file=tls.ca_file).check().ok
    # The shared context was not topped up with another CA bundle by requests.
    context = tls_context(True, True, tls.ca_file, None, None)
    assert context.cert_store_stats()["x509_ca"] == 1


def test_https_monitor_rejects_an_untrusted_certificate(
    tls: TlsFiles, tmp_path: Path
) -> None:
    other = make_tls(_subdir(tmp_path, "other"))
    with HttpPeer(tls=tls.server_context()) as peer:
        peer.route("/", Reply())
        result = monitor(peer.url("/"), ca_file=other.ca_file).check()
        relaxed = monitor(peer.url("/"), ca_file=other.ca_file, verify_hostname=False)
        relaxed_result = relaxed.check()
    assert not result.ok
    assert result.message.startswith("TLS certificate verify failed: ")
    assert "issuer" in result.message
    assert not relaxed_result.ok  # verify_hostname = no still checks the chain


def test_https_monitor_hostname_mismatch_obeys_verify_hostname(tmp_path: Path) -> None:
    tls = make_tls(tmp_path, "localhost")  # the URL says 127.0.0.1
    with HttpPeer(tls=tls.server_context()) as peer:
        peer.route("/", Reply())
        strict = monitor(peer.url("/"), ca_file=tls.ca_file).check()
        loose = monitor(peer.url("/"), ca_file=tls.ca_file, verify_hostname=False)
        loose_result = loose.check()
    assert not strict.ok
    assert strict.message.startswith("TLS certificate verify failed: ")
    assert "mismatch" in strict.message
    assert loose_result.ok, loose_result.message


def test_an_untrusted_certificate_with_verify_hostname_off_says_what_to_set(
    tls: TlsFiles,
) -> None:
    # SimpleMonitor configs use verify_hostname = no to accept a self-signed
    # certificate; here it only skips the name check, and the failure said
    # nothing about why the migrated check now fails.
    with HttpPeer(tls=tls.server_context()) as peer:
        peer.route("/", Reply())
        result = monitor(peer.url("/"), verify_hostname=False).check()
    assert (result.ok, result.message) == (
        False,
        "TLS certificate verify failed: unable to get local issuer certificate "
        "(verify_hostname = no still verifies the certificate: "
        "set ca_file, or verify_tls = no)",
    )


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_https_monitor_without_verification_accepts_any_certificate(
    tls: TlsFiles,
) -> None:
    with HttpPeer(tls=tls.server_context()) as peer:
        peer.route("/", Reply())
        result = monitor(peer.url("/"), verify_tls=False).check()
    assert result.ok, result.message


def test_https_monitor_presents_a_client_certificate(tls: TlsFiles) -> None:
    certfile, keyfile = tls.client_cert_files()
    with HttpPeer(tls=tls.server_context(require_client_cert=True)) as peer:
        peer.route("/", Reply())
        with_cert = monitor(
            peer.url("/"), ca_file=tls.ca_file, certfile=certfile, keyfile=keyfile
        ).check()
        without = monitor(peer.url("/"), ca_file=tls.ca_file).check()
    assert with_cert.ok, with_cert.message
    assert not without.ok


def test_https_monitor_reports_a_missing_ca_file(tmp_path: Path) -> None:
    result = monitor("https://127.0.0.1:1/", ca_file=tmp_path / "nope.pem").check()
    assert not result.ok
    assert result.message.startswith(f"cannot read {tmp_path / 'nope.pem'}")


def test_https_monitor_reports_a_ca_file_that_is_not_pem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate", encoding="utf-8")
    result = monitor("https://127.0.0.1:1/", ca_file=bad).check()
    assert not result.ok
    assert result.message.startswith("cannot load the TLS files")


def test_https_monitor_reports_a_certfile_that_is_not_pem(tmp_path: Path) -> None:
    # Was "…: [ssl] pem lib ( ssl.c:3905)": OpenSSL gives no reason here.
    bad = tmp_path / "client.pem"
    bad.write_text("not a certificate", encoding="utf-8")
    result = monitor("https://127.0.0.1:1/", certfile=bad).check()
    assert (result.ok, result.message) == (
        False,
        "cannot load the TLS files (ca_file, certfile, keyfile): not valid PEM",
    )


def test_https_monitor_reports_tls_errors_from_a_plain_server(
    peer: HttpPeer, tls: TlsFiles
) -> None:
    peer.route("/", Reply())
    url = peer.url("/").replace("http://", "https://")
    result = monitor(url, ca_file=tls.ca_file).check()
    assert not result.ok
    assert result.message.startswith("TLS error: ")


def test_http_monitor_reaches_ipv6_loopback() -> None:
    try:
        server = HttpPeer(host="::1")
    except OSError:
        pytest.skip("IPv6 loopback is not available")
    with server:
        server.route("/", Reply())
        assert monitor(server.url("/")).check().ok


def _re(pattern: str) -> Any:
    import re

    return re.compile(pattern)


def _subdir(parent: Path, name: str) -> Path:
    path = parent / name
    path.mkdir()
    return path


@pytest.mark.parametrize("max_body_bytes", [1000, 6])
def test_a_latin1_body_without_a_charset_still_matches(
    peer: HttpPeer, max_body_bytes: int
) -> None:
    # An old server sends ISO-8859-1 text without a charset. SimpleMonitor (requests)
    # read text/* as ISO-8859-1, so "Café" matched; read as UTF-8 it was "Caf\ufffd".
    headers = {"Content-Type": "text/html"}
    peer.route("/", Reply(200, "Caf\u00e9 ouvert".encode("latin-1"), headers=headers))
    result = monitor(
        peer.url("/"), regexp=_re("Caf\u00e9"), max_body_bytes=max_body_bytes
    ).check()
    assert result.ok, result.message


def test_a_utf8_body_cut_inside_a_character_is_still_read_as_utf8(
    peer: HttpPeer,
) -> None:
    # The cap may split a multi-byte character: that alone is no reason to
    # decode the rest as ISO-8859-1.
    headers = {"Content-Type": "text/html"}
    peer.route("/", Reply(200, "Caf\u00e9 \u00e9t\u00e9".encode(), headers=headers))
    result = monitor(peer.url("/"), regexp=_re("Caf\u00e9 "), max_body_bytes=7).check()
    assert result.ok, result.message


@pytest.mark.parametrize("charset", ["base64", "rot13", "zlib", "idna", "punycode"])
def test_a_declared_charset_that_is_no_text_encoding_falls_back_to_utf8(
    peer: HttpPeer, charset: str
) -> None:
    # Python knows these names, but they are not text encodings: decoding with
    # them raised LookupError (an internal error) or UnicodeError ("invalid URL").
    headers = {"Content-Type": f"text/html; charset={charset}"}
    peer.route("/", Reply(200, "all fine \u00e9\xff".encode("utf-8"), headers=headers))
    result = monitor(peer.url("/"), regexp=_re("all fine \u00e9")).check()
    assert result.ok, result.message


_CHECK_ON_A_TERMINAL = """
import fcntl, sys, termios
from pathlib import Path
fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # the pty becomes our controlling terminal
from simplemon.monitors.http import HttpMonitor, HttpOptions
url, certfile, keyfile = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
options = HttpOptions(url=url, certfile=certfile, keyfile=keyfile)
print("RESULT", HttpMonitor("web", options).check().message, flush=True)
"""


def test_an_encrypted_client_key_fails_the_check_instead_of_asking_on_the_terminal(
    tls: TlsFiles,
) -> None:
    # OpenSSL asks for a missing passphrase on the controlling terminal: a monitor
    # started from a shell hung there on every check (and ate what was typed).
    from cryptography.hazmat.primitives import serialization

    certfile, keyfile = tls.client_cert_files()
    key = serialization.load_pem_private_key(keyfile.read_bytes(), None)
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    master, slave = os.openpty()
    args = ["https://127.0.0.1:1/", str(certfile), str(keyfile)]
    with subprocess.Popen(
        [sys.executable, "-c", _CHECK_ON_A_TERMINAL, *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        cwd=REPO,
    ) as child:
        os.close(slave)
        output = b""
        try:
            deadline = time.monotonic() + 10
            while b"\n" not in output.partition(b"RESULT")[2]:
                ready, _, _ = select.select([master], [], [], 0.2)
                if time.monotonic() > deadline:
                    break
                if ready:
                    try:
                        output += os.read(master, 4096)
                    except OSError:  # the child closed the terminal
                        break
        finally:
            child.kill()
            os.close(master)
    assert b"pass phrase" not in output.lower()
    line = output.partition(b"RESULT ")[2].splitlines()[0].decode()
    assert line == (
        f"cannot use {keyfile}: the private key is encrypted; "
        "give the monitor a key without a passphrase"
    )
