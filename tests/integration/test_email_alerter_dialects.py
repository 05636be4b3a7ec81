"""The email alerter against odd SMTP servers (tests/peers/smtp_script.py)."""

import email
import email.policy
from datetime import timedelta
from typing import Any

import pytest

from alerters.email import EmailAlerter, EmailOptions
from tests.peers.alert_events import make_event
from tests.peers.smtp_script import Script, ScriptPeer, scripted_server

pytestmark = pytest.mark.integration


def plain_mailer(peer: ScriptPeer, **overrides: Any) -> EmailAlerter:
    values: dict[str, Any] = {
        "host": peer.host,
        "port": peer.port,
        "to": ("ops@example.test",),
        "sender": "mon@example.test",
        "ssl": "no",
        "timeout": timedelta(seconds=5),
    } | overrides
    return EmailAlerter("mail", EmailOptions(**values))


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
