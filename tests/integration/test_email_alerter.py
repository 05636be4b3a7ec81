import socket
import time
from datetime import UTC, datetime, timedelta

import pytest

from alerters.email import EmailAlerter, EmailOptions
from simplemon.common import AlerterCommon
from simplemon.dispatch import Dispatcher
from simplemon.errors import DeliveryError
from simplemon.model import EventKind
from simplemon.state_store import StateStore
from tests.peers.alert_events import FAILED_AT, Configured, make_event
from tests.peers.smtp_server import hanging_server, smtp_server

pytestmark = pytest.mark.integration

USERS = {"monitor": "s3cret"}


def mailer(peer, **overrides) -> EmailAlerter:
    values = {
        "host": peer.host,
        "port": peer.port,
        "to": ("ops@example.test", "Second <two@example.test>"),
        "cc": ("boss@example.test",),
        "sender": "Simplemon <mon@example.test>",
        "username": "monitor",
        "password": "s3cret",
        "ca_file": peer.ca_file,
        "timeout": timedelta(seconds=5),
    } | overrides
    return EmailAlerter("mail", EmailOptions(**values))


def test_mail_arrives_over_starttls_after_auth(tmp_path):
    with smtp_server(tmp_path, users=USERS) as peer:
        mailer(peer).send(make_event())
        received = peer.wait_for_message()
    assert received.tls
    assert received.login == "monitor"
    assert received.mail_from == "mon@example.test"
    assert received.rcpt_tos == (
        "ops@example.test",
        "two@example.test",
        "boss@example.test",
    )
    message = received.message
    assert message["Subject"] == "Monitor web on host1 failed"
    assert message["To"] == "ops@example.test, Second <two@example.test>"
    assert message["Cc"] == "boss@example.test"
    assert message["Message-ID"] == "<simplemon.42-web-test@example.test>"
    content = message.get_content()
    assert "Down for:       1+03:04:05" in content
    assert "Result:         HTTP 503 Service Unavailable" in content
    assert "Documentation:  https://wiki.example/web" in content


def test_recovery_mail_says_succeeded(tmp_path):
    with smtp_server(tmp_path, users=USERS) as peer:
        mailer(peer).send(make_event(kind=EventKind.RECOVERY, info="HTTP 200 OK"))
        message = peer.wait_for_message().message
    assert message["Subject"] == "Monitor web on host1 succeeded"
    assert "Was down for:   1+03:04:05" in message.get_content()


def test_implicit_tls_delivers(tmp_path):
    with smtp_server(tmp_path, tls="implicit", users=USERS) as peer:
        mailer(peer, ssl="yes").send(make_event())
        received = peer.wait_for_message()
    assert received.tls
    assert received.login == "monitor"


def test_wrong_password_is_permanent(tmp_path):
    with smtp_server(tmp_path, users=USERS) as peer:
        with pytest.raises(DeliveryError) as info:
            mailer(peer, password="wrong").send(make_event())  # noqa: S106
        assert not peer.messages
    assert info.value.permanent
    assert "authentication refused: 535" in str(info.value)


def test_untrusted_certificate_fails_clearly_and_sends_nothing(tmp_path):
    with smtp_server(tmp_path, users=USERS) as peer:
        with pytest.raises(DeliveryError) as info:
            mailer(peer, ca_file=peer.other_ca_file).send(make_event())
        assert not peer.messages
    assert not info.value.permanent  # waits for the server or config to be fixed
    assert "certificate not trusted" in str(info.value)
    assert "ca_file" in str(info.value)


def test_system_cas_do_not_trust_a_private_server(tmp_path):
    with (
        smtp_server(tmp_path, users=USERS) as peer,
        pytest.raises(DeliveryError, match="certificate not trusted"),
    ):
        mailer(peer, ca_file=None).send(make_event())


def test_certificate_for_another_host_name_is_refused(tmp_path):
    with smtp_server(tmp_path, users=USERS, cert_names=("mail.example.net",)) as peer:
        with pytest.raises(DeliveryError) as info:
            mailer(peer).send(make_event())
        assert not peer.messages
    assert not info.value.permanent  # waits for the server or config to be fixed
    assert "mismatch" in str(info.value)


def test_server_without_starttls_is_refused_not_used_in_plaintext(tmp_path):
    with smtp_server(tmp_path, tls="none") as peer:
        with pytest.raises(DeliveryError) as info:
            mailer(peer, username=None, password=None).send(make_event())
        assert not peer.messages
    assert not info.value.permanent  # waits for the server or config to be fixed
    assert "does not offer STARTTLS" in str(info.value)
    assert "set ssl = no for a plaintext relay" in str(info.value)
    assert "\n" not in str(info.value)


def test_plaintext_is_used_only_when_configured(tmp_path):
    with smtp_server(tmp_path, tls="none") as peer:
        mailer(peer, ssl="no", username=None, password=None).send(make_event())
        assert not peer.wait_for_message().tls


def test_refused_recipient_is_permanent(tmp_path):
    with smtp_server(tmp_path, users=USERS) as peer:
        peer.refuse["nobody@example.test"] = "550 5.1.1 no such user"
        alerter = mailer(peer, to=("nobody@example.test",), cc=())
        with pytest.raises(DeliveryError) as info:
            alerter.send(make_event())
    assert info.value.permanent
    assert "nobody@example.test (550 5.1.1 no such user)" in str(info.value)


def test_deferred_recipient_is_transient(tmp_path):
    with smtp_server(tmp_path, users=USERS) as peer:
        peer.refuse["later@example.test"] = "451 4.3.0 try again later"
        alerter = mailer(peer, to=("later@example.test",), cc=())
        with pytest.raises(DeliveryError) as info:
            alerter.send(make_event())
    assert not info.value.permanent


def test_partly_refused_recipients_deliver_to_the_rest_without_retry(tmp_path):
    with smtp_server(tmp_path, users=USERS) as peer:
        peer.refuse["boss@example.test"] = "550 5.1.1 no such user"
        with pytest.raises(DeliveryError) as info:
            mailer(peer).send(make_event())
        assert peer.wait_for_message().rcpt_tos == (
            "ops@example.test",
            "two@example.test",
        )
    assert info.value.permanent
    assert "some recipients refused" in str(info.value)
    assert info.value.done == {
        "ops@example.test",
        "two@example.test",
        "boss@example.test",
    }


def test_a_greylisted_recipient_gets_the_mail_on_retry_and_nobody_gets_two(tmp_path):
    store = StateStore(tmp_path / "state.db")
    now = [datetime(2026, 1, 5, 12, 0, tzinfo=UTC)]
    event = make_event(alerter="mail", created_at=now[0])
    store.save_round({}, {}, [event])
    with smtp_server(tmp_path, users=USERS) as peer:
        peer.refuse["boss@example.test"] = "451 4.7.1 greylisted, try again"
        configured = Configured("mail", mailer(peer), AlerterCommon(type="email"))
        dispatcher = Dispatcher(store, [configured], now=lambda: now[0])
        dispatcher.deliver_due("mail")
        assert [m.rcpt_tos for m in peer.messages] == [
            ("ops@example.test", "two@example.test")
        ]
        (waiting,) = store.pending("mail")
        assert waiting.done == {"ops@example.test", "two@example.test"}
        del peer.refuse["boss@example.test"]
        now[0] += timedelta(minutes=5)
        dispatcher.deliver_due("mail")
        first, second = peer.messages
    store_rows = store.outbox_status()
    store.close()
    assert second.rcpt_tos == ("boss@example.test",)
    for header in ("Message-ID", "To", "Cc", "Subject"):
        assert second.message[header] == first.message[header]
    assert [(row[3], row[4]) for row in store_rows] == [("delivered", 2)]


def test_a_retry_skips_recipients_refused_for_good(tmp_path):
    with smtp_server(tmp_path, users=USERS) as peer:
        peer.refuse["two@example.test"] = "550 5.1.1 no such user"
        peer.refuse["boss@example.test"] = "450 4.2.0 mailbox busy"
        alerter = mailer(peer)
        with pytest.raises(DeliveryError) as first:
            alerter.send(make_event())
        with pytest.raises(DeliveryError) as second:
            alerter.send_rest(make_event(), first.value.done)
        del peer.refuse["boss@example.test"]
        alerter.send_rest(make_event(), first.value.done | second.value.done)
    assert not first.value.permanent
    assert "trying again for boss@example.test only" in str(first.value)
    assert "all recipients refused" in str(second.value)
    assert not second.value.permanent
    assert [m.rcpt_tos for m in peer.messages] == [
        ("ops@example.test",),
        ("boss@example.test",),
    ]


def test_header_injection_in_monitor_name_reaches_no_extra_recipient(tmp_path):
    event = make_event(monitor="web\r\nBcc: victim@example.test", info="x\r\nBcc: v@x")
    with smtp_server(tmp_path, users=USERS) as peer:
        mailer(peer, cc=()).send(event)
        received = peer.wait_for_message()
    assert received.rcpt_tos == ("ops@example.test", "two@example.test")
    assert received.message["Bcc"] is None


def test_connection_refused_is_transient():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    options = EmailOptions(
        host="127.0.0.1", port=port, to=("a@example.test",), sender="m@example.test"
    )
    with pytest.raises(DeliveryError) as info:
        EmailAlerter("mail", options).send(make_event())
    assert not info.value.permanent


def test_silent_server_fails_within_the_timeout():
    with hanging_server() as (host, port):
        options = EmailOptions(
            host=host,
            port=port,
            to=("a@example.test",),
            sender="m@example.test",
            timeout=timedelta(seconds=1),
        )
        started = time.monotonic()
        with pytest.raises(DeliveryError) as info:
            EmailAlerter("mail", options).send(make_event())
        elapsed = time.monotonic() - started
    assert not info.value.permanent
    assert "timed out" in str(info.value)
    assert elapsed < 15  # generous: the bound is 1 s, the default would be 20 s


def test_nothing_is_sent_when_every_recipient_left_is_done(tmp_path):
    with smtp_server(tmp_path, users=USERS) as peer:
        alerter = mailer(peer, cc=())
        alerter.send_rest(make_event(), frozenset(alerter.recipients()))
        recased = frozenset(r.upper() for r in alerter.recipients())  # by a reload
        alerter.send_rest(make_event(), recased)
    assert peer.transactions == 0


def test_alert_mail_is_marked_automatic_so_vacation_replies_stay_quiet(tmp_path):
    # RFC 3834: responders must not answer auto-generated mail; Exchange reads its
    # own header. Out-of-office replies to the From address at 3 a.m. are noise.
    with smtp_server(tmp_path, users=USERS) as peer:
        mailer(peer).send(make_event())
        message = peer.wait_for_message().message
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "OOF, AutoReply"


def test_mails_of_one_outage_share_a_thread_and_the_next_outage_starts_another(
    tmp_path,
):
    later = FAILED_AT + timedelta(days=2)
    events = [
        make_event(event_id="1"),
        make_event(kind=EventKind.REMINDER, event_id="2"),
        make_event(kind=EventKind.RECOVERY, event_id="3", info="HTTP 200 OK"),
        make_event(failed_at=later, event_id="4"),
        make_event(monitor="db", event_id="5"),
    ]
    with smtp_server(tmp_path, users=USERS) as peer:
        alerter = mailer(peer)
        for event in events:
            alerter.send(event)
        deadline = time.monotonic() + 10
        while len(peer.messages) < len(events) and time.monotonic() < deadline:
            time.sleep(0.02)
        messages = [received.message for received in peer.messages]
    assert [m["Message-ID"] for m in messages] == [
        f"<simplemon.{n}@example.test>" for n in "12345"
    ]
    threads = [m["References"] for m in messages]
    assert threads[0] == threads[1] == threads[2]  # failure, reminder, recovery
    assert threads[0].startswith("<simplemon.outage.")
    assert threads[0].endswith("@example.test>")
    assert len(set(threads)) == 3  # a later outage, another monitor: new threads
    assert "References" not in alerter.build(make_event(failed_at=None))
