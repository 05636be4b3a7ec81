"""The email alerter against odd SMTP servers (tests/peers/smtp_script.py)."""

import email
import email.policy
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme

from alerters.email import EmailAlerter
from simplemon.errors import DeliveryError
from tests.peers.alert_events import make_event
from tests.peers.smtp_script import Script, ScriptPeer, plain_mailer, scripted_server
from tests.peers.smtp_server import smtp_server

pytestmark = pytest.mark.integration


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_a_helo_only_relay_gets_helo_and_the_mail(tmp_path):
    # An old relay answers EHLO with 502; SimpleMonitor then said HELO and sent.
    # We sent MAIL FROM without any greeting: "503 say HELO first", permanent.
    with scripted_server(Script(extensions=None)) as peer:
        plain_mailer(peer).send(make_event())
    assert [c.split()[0].upper() for c in peer.commands[:2]] == ["EHLO", "HELO"]
    assert parse(peer.messages[0])["Subject"] == "Monitor web on host1 failed"


def test_non_ascii_text_reaches_a_7bit_server_as_7bit_mime(tmp_path):
    # A server that does not offer 8BITMIME got "Content-Transfer-Encoding: 8bit"
    # with raw UTF-8 bytes (RFC 6152 forbids it; such relays may mangle them).
    event = make_event(
        monitor="wéb-服务",
        hostname="hôst",
        info="Größe überschritten ✓\n.\nend",
        description="Déscription €",
        failure_doc="https://wiki.example/wéb",
    )
    with scripted_server(Script(extensions=[])) as peer:
        plain_mailer(peer).send(event)
    raw = peer.messages[0]
    assert raw.isascii()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    message = parse(raw)
    assert message["Subject"] == "Monitor wéb-服务 on hôst failed"
    assert message.get_content_charset() == "utf-8"
    content = message.get_content().replace("\r\n", "\n")
    assert "Result:         Größe überschritten ✓\n                .\n" in content
    assert "Description:    Déscription €" in content
    assert "Documentation:  https://wiki.example/wéb" in content


def starttls_context(ca: trustme.CA, *names: str, **validity: Any) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names, **validity).configure_cert(context)
    return context


def tls_mailer(
    peer: ScriptPeer, ca: trustme.CA, tmp_path: Path, **overrides: Any
) -> EmailAlerter:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return plain_mailer(peer, ssl="starttls", ca_file=ca_file, **overrides)


def test_an_expired_certificate_is_named_as_expired_not_as_an_unknown_ca(tmp_path):
    # The error said "set ca_file to the CA that signed the server's certificate":
    # the CA was right; the certificate had expired.
    ca = trustme.CA()
    old = {
        "not_before": datetime(2019, 1, 1, tzinfo=UTC),
        "not_after": datetime(2020, 1, 1, tzinfo=UTC),
    }
    script = Script(starttls=starttls_context(ca, "127.0.0.1", **old))
    with scripted_server(script) as peer:
        with pytest.raises(DeliveryError) as info:
            tls_mailer(peer, ca, tmp_path).send(make_event())
        assert not peer.messages
    assert not info.value.permanent  # waits for the certificate to be fixed
    assert "certificate has expired" in str(info.value)
    assert "ca_file" not in str(info.value)


def test_a_certificate_for_another_name_says_to_fix_host_not_ca_file(tmp_path):
    ca = trustme.CA()
    script = Script(starttls=starttls_context(ca, "mail.example.net"))
    with scripted_server(script) as peer:
        with pytest.raises(DeliveryError) as info:
            tls_mailer(peer, ca, tmp_path).send(make_event())
        assert not peer.messages
    assert not info.value.permanent  # waits for the certificate to be fixed
    text = str(info.value)
    assert "certificate is not valid for '127.0.0.1'" in text
    assert "set host to a name the certificate is issued for" in text
    assert "ca_file" not in text


@pytest.mark.parametrize(
    ("info", "shown"),
    [
        ("y" * 3000, "y" * 3000),  # over SMTP's 998-octet line limit
        ("é" * 1500, "é" * 1500),
        (".\n..\r\nmid\rend", "\n                ".join([".", "..", "mid", "end"])),
        ("", ""),
    ],
)
def test_long_dotted_or_empty_check_messages_arrive_intact(tmp_path, info, shown):
    long_subject = " ".join(["name"] * 60)
    with scripted_server(Script(extensions=[])) as peer:
        plain_mailer(peer).send(make_event(info=info, monitor=long_subject))
    raw = peer.messages[0]
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    message = parse(raw)
    assert not message.defects
    assert message["Subject"] == f"Monitor {long_subject} on host1 failed"
    content = message.get_content().replace("\r\n", "\n")
    assert f"Result:         {shown}".rstrip() + "\n" in content


def test_starttls_mode_on_an_implicit_tls_port_says_to_use_ssl_yes(tmp_path):
    # port = 465 without ssl = yes: the client waits for a greeting that the
    # server sends only after a TLS handshake. It said only "timed out".
    with smtp_server(tmp_path, tls="implicit") as peer:
        alerter = plain_mailer(
            peer, ssl="starttls", ca_file=peer.ca_file, timeout=timedelta(seconds=1)
        )
        with pytest.raises(DeliveryError) as info:
            alerter.send(make_event())
    assert "no SMTP greeting within 1s" in str(info.value)
    assert "ssl = yes" in str(info.value)
    assert not info.value.permanent


def test_implicit_tls_on_a_plaintext_port_says_to_use_starttls(tmp_path):
    # It said "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)".
    with smtp_server(tmp_path, tls="starttls") as peer:
        alerter = plain_mailer(peer, ssl="yes", ca_file=peer.ca_file)
        with pytest.raises(DeliveryError) as info:
            alerter.send(make_event())
        assert not peer.messages
    assert "did not answer in TLS" in str(info.value)
    assert "ssl = starttls" in str(info.value)


@pytest.mark.parametrize(
    ("script", "permanent", "said"),
    [
        (Script(greeting="421 4.3.2 busy"), False, "421 4.3.2 busy"),
        (Script(greeting="554 5.7.1 go away"), True, "554 5.7.1 go away"),
        (Script(replies={"MAIL": "451 4.3.0 later"}), False, "sender refused: 451"),
        (Script(replies={"MAIL": "550 5.7.1 no"}), True, "sender refused: 550"),
        (Script(replies={"RCPT": "450 4.2.0 grey"}), False, "all recipients refused"),
        (Script(replies={"DATA": "451 4.3.0 later"}), False, "451 4.3.0 later"),
        (Script(replies={"DATA": "554 5.3.0 no"}), True, "554 5.3.0 no"),
        (Script(replies={"DOT": "452 4.3.1 full"}), False, "452 4.3.1 full"),
        (Script(replies={"DOT": "552 5.3.4 too big"}), True, "552 5.3.4 too big"),
        (Script(close_in_data=True), False, "Connection unexpectedly closed"),
    ],
)
def test_4xx_is_retried_5xx_is_not_at_every_step(script, permanent, said):
    with scripted_server(script) as peer:
        with pytest.raises(DeliveryError) as info:
            plain_mailer(peer).send(make_event())
        assert not peer.messages
    assert info.value.permanent is permanent
    assert said in str(info.value)


@pytest.mark.parametrize("mechanisms", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_each_auth_mechanism_alone_logs_in_after_starttls(tmp_path, mechanisms):
    ca = trustme.CA()
    script = Script(
        extensions=[f"AUTH {mechanisms}"],
        starttls=starttls_context(ca, "127.0.0.1"),
        users={"mon": "pw"},
    )
    with scripted_server(script) as peer:
        alerter = tls_mailer(peer, ca, tmp_path, username="mon", password="pw")  # noqa: S106
        alerter.send(make_event())
    assert peer.logins == [f"{mechanisms} mon"]
    assert len(peer.messages) == 1


def test_a_temporary_auth_failure_is_retried(tmp_path):
    ca = trustme.CA()
    script = Script(
        extensions=["AUTH PLAIN"],
        starttls=starttls_context(ca, "127.0.0.1"),
        replies={"AUTH": "454 4.7.0 temporary authentication failure"},
    )
    with scripted_server(script) as peer:
        alerter = tls_mailer(peer, ca, tmp_path, username="u", password="p")  # noqa: S106
        with pytest.raises(DeliveryError) as info:
            alerter.send(make_event())
    assert not info.value.permanent
    assert "454 4.7.0" in str(info.value)
