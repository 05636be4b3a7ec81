"""The email alerter's total deadline against SMTP servers that trickle replies.

Each line comes well within ``timeout`` (1 s here), so only the total deadline
(3 x timeout) can end the delivery; the upper bounds are generous on purpose.
"""

import ssl
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme

from alerters.email import EmailAlerter
from simplemon.deadline import Watch, Watchdog
from simplemon.errors import DeliveryError
from simplemon.pool import NoThreadError
from tests.peers.alert_events import make_event
from tests.peers.smtp_script import Script, ScriptPeer, plain_mailer, scripted_server

pytestmark = pytest.mark.integration

#: continuation lines, 0.2 s apart: 20 s of reply if nothing cut it short
LINES = 100


def mailer(peer: ScriptPeer, **overrides: Any) -> EmailAlerter:
    return plain_mailer(peer, **({"timeout": timedelta(seconds=1)} | overrides))


def failed_delivery(alerter: EmailAlerter) -> tuple[DeliveryError, float]:
    start = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        alerter.send(make_event())
    return caught.value, time.monotonic() - start


def test_a_greeting_trickled_line_by_line_fails_at_the_deadline_and_is_retried():
    # Every 220- line came within timeout, so one delivery waited for ever and the
    # alerter's queued alerts never went out.
    script = Script(trickle={"GREETING": LINES}, trickle_connections=1)
    with scripted_server(script) as peer:
        alerter = mailer(peer)
        error, took = failed_delivery(alerter)
        assert took < 10
        assert not error.permanent
        assert str(error) == (
            f"alerter mail: SMTP {peer.host}:{peer.port}: timed out: SMTP server "
            "did not finish within 3s (3 x timeout)"
        )
        alerter.send(make_event())  # the server is healthy again: the retry works
    assert len(peer.messages) == 1


def test_a_reply_to_the_message_trickled_after_starttls_fails_at_the_deadline(
    tmp_path: Path,
):
    # After STARTTLS smtplib reads from a new (TLS) socket: it must be watched too.
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    script = Script(starttls=context, trickle={"DOT": LINES}, trickle_connections=1)
    with scripted_server(script) as peer:
        alerter = mailer(peer, ssl="starttls", ca_file=ca_file)
        error, took = failed_delivery(alerter)
        assert took < 10
        assert not error.permanent
        assert "did not finish within 3s" in str(error)
        alerter.send(make_event())
    assert "STARTTLS" in peer.commands
    assert len(peer.messages) == 2  # the server kept the first, but never said so


def test_no_thread_for_the_deadline_fails_the_delivery_transiently_unsent(
    monkeypatch: pytest.MonkeyPatch,
):
    def no_thread(self: Watchdog, deadline: float, watch: Watch) -> None:
        raise NoThreadError("can't start new thread")

    monkeypatch.setattr(Watchdog, "watch", no_thread)
    with scripted_server(Script()) as peer:
        error, _ = failed_delivery(mailer(peer))
    assert not error.permanent
    assert str(error).endswith(
        "cannot start a thread for the delivery deadline: can't start new thread"
    )
    assert peer.connections == 0  # never sent without a deadline
