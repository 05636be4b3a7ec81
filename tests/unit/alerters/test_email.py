import email
import email.policy
from pathlib import Path

import pytest

from alerters.email import EmailAlerter, EmailOptions
from simplemon.errors import DeliveryError
from simplemon.options import build_options
from simplemon.parsers import ParseContext
from tests.peers.alert_events import make_event


def load(tmp_path: Path, **items: str):
    items = {
        "host": "127.0.0.1",
        "to": "ops@example.test",
        "from": "mon@example.test",
    } | {k.replace("from_", "from"): v for k, v in items.items()}
    return build_options(
        EmailOptions,
        items,
        ParseContext(tmp_path),
        file="monitor.ini",
        section="mail",
        type_name="email",
        kind="alerter",
    )


def alerter(tmp_path: Path, **items: str) -> EmailAlerter:
    options, errors = load(tmp_path, **items)
    assert not errors
    assert options is not None
    return EmailAlerter("mail", options)


def test_defaults_are_starttls_on_port_25_with_verification(tmp_path):
    options, errors = load(tmp_path)
    assert not errors
    assert options.ssl == "starttls"
    assert options.port is None
    assert options.ca_file is None
    assert "127.0.0.1:25" in alerter(tmp_path).describe()
    assert "127.0.0.1:465" in alerter(tmp_path, ssl="yes").describe()


def test_recipients_are_split_on_semicolons(tmp_path):
    a = alerter(
        tmp_path, to="a@example.test; Bob <b@example.test>", cc="c@example.test"
    )
    assert a.options.to == ("a@example.test", "Bob <b@example.test>")
    assert a.recipients() == ["a@example.test", "b@example.test", "c@example.test"]


def test_a_display_name_may_contain_a_comma(tmp_path):
    a = alerter(tmp_path, to='"Doe, Jo" <jo@example.test>')
    assert a.recipients() == ["jo@example.test"]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ({"username": "u", "password": "p", "ssl": "no"}, "AUTH only over TLS"),
        ({"username": "u"}, "username and password must be given together"),
        ({"ssl": "maybe"}, "expected one of starttls, yes, no"),
        ({"to": "not-an-address"}, "expected mail addresses separated by ';'"),
        ({"to": ";"}, "to needs at least one address"),
        # A comma list would reach the To header whole but RCPT only its first
        # address: the others would silently never get the mail.
        ({"to": "a@example.test, b@example.test"}, "separated by ';'"),
        ({"cc": "a@example.test,b@example.test"}, "separated by ';'"),
        ({"from_": "a@example.test, b@example.test"}, "expected a mail address"),
        # A header on a continued line never reaches the message.
        ({"from_": "a@example.test\nBcc: b@example.test"}, "indented line"),
        ({"port": "0"}, "expected at least 1"),
    ],
)
def test_bad_options_are_config_errors(tmp_path, items, message):
    options, errors = load(tmp_path, **items)
    assert options is None
    assert message in str(errors[0])


def test_ca_file_is_relative_to_the_ini_folder(tmp_path):
    (tmp_path / "ca.pem").write_text("")
    assert alerter(tmp_path, ca_file="ca.pem").options.ca_file == tmp_path / "ca.pem"


def test_a_missing_ca_file_is_a_config_error(tmp_path):
    # Otherwise -t says OK and every alert fails with a bare "No such file".
    options, errors = load(tmp_path, ca_file="missing.pem")
    assert options is None
    assert "no such file" in str(errors[0])
    assert str(tmp_path / "missing.pem") in str(errors[0])


def test_a_ca_file_gone_after_loading_is_named_in_the_delivery_error(tmp_path):
    (tmp_path / "ca.pem").write_text("")
    a = alerter(tmp_path, ca_file="ca.pem", port="9")
    (tmp_path / "ca.pem").unlink()
    with pytest.raises(DeliveryError) as info:
        a.send(make_event())
    assert f"cannot load ca_file {tmp_path / 'ca.pem'}" in str(info.value)


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_message_has_subject_body_and_headers(tmp_path):
    a = alerter(tmp_path, cc="c@example.test;d@example.test")
    message = parse(a.build(make_event()).as_bytes())
    assert message["Subject"] == "Monitor web on host1 failed"
    assert message["From"] == "mon@example.test"
    assert message["To"] == "ops@example.test"
    assert message["Cc"] == "c@example.test, d@example.test"
    assert message["Date"] == "Tue, 06 Jan 2026 15:04:05 +0000"
    assert message["Message-ID"] == "<simplemon.42-web-test@example.test>"
    assert message.get_content_type() == "text/plain"
    assert "Result:         HTTP 503 Service Unavailable" in message.get_content()


def test_message_id_is_stable_for_one_event_and_unique_without_an_id(tmp_path):
    a = alerter(tmp_path)
    first = a.build(make_event(event_id="7/x y")).as_bytes()
    again = a.build(make_event(event_id="7/x y")).as_bytes()
    assert parse(first)["Message-ID"] == parse(again)["Message-ID"]
    assert parse(first)["Message-ID"] == "<simplemon.7_x_y@example.test>"
    one = parse(a.build(make_event(event_id="")).as_bytes())["Message-ID"]
    two = parse(a.build(make_event(event_id="")).as_bytes())["Message-ID"]
    assert one != two
    assert one.endswith("@example.test>")


@pytest.mark.parametrize(
    "field",
    ["monitor", "hostname", "info", "description", "failure_doc"],
)
def test_crlf_in_event_text_cannot_add_headers(tmp_path, field):
    evil = "x\r\nBcc: victim@example.test\r\nX-Injected: yes\r\n\r\nfake body"
    raw = alerter(tmp_path).build(make_event(**{field: evil})).as_bytes()
    header_lines = raw.split(b"\n\n", 1)[0].split(b"\n")
    names = {line.split(b":")[0] for line in header_lines if not line[:1].isspace()}
    assert names == {
        b"From",
        b"To",
        b"Subject",
        b"Date",
        b"Message-ID",
        b"References",
        b"Auto-Submitted",
        b"X-Auto-Response-Suppress",
        b"Content-Type",
        b"Content-Transfer-Encoding",
        b"MIME-Version",
    }
    message = parse(raw)
    assert message["Bcc"] is None
    assert message["X-Injected"] is None


def test_non_ascii_text_is_encoded_properly(tmp_path):
    event = make_event(monitor="wéb", info="Fehler: Größe überschritten")
    message = parse(alerter(tmp_path).build(event).as_bytes())
    assert message["Subject"] == "Monitor wéb on host1 failed"
    assert "Größe überschritten" in message.get_content()


@pytest.mark.parametrize(
    ("written", "host", "shown"),
    [
        ("::1", "::1", "[::1]:25"),
        ("[::1]", "::1", "[::1]:25"),
        ("127.0.0.1", "127.0.0.1", "127.0.0.1:25"),
        ("mail.example.test", "mail.example.test", "mail.example.test:25"),
    ],
)
def test_host_may_be_an_ipv6_address_with_or_without_brackets(
    tmp_path, written, host, shown
):
    # "[::1]" went to getaddrinfo as a name (a DNS query, then "Name or service not
    # known"); messages showed "::1:25".
    mailer = alerter(tmp_path, host=written)
    assert mailer.options.host == host
    assert mailer.describe().endswith(f"via {shown} (ssl=starttls)")


@pytest.mark.parametrize("written", ["127.0.0.1:2525", "[::1]:2525", "mail.test:25"])
def test_host_with_a_port_is_a_config_error_pointing_at_the_port_option(
    tmp_path, written
):
    # smtplib would look "127.0.0.1:2525" up as a host name.
    options, errors = load(tmp_path, host=written)
    assert options is None
    assert "port option" in str(errors[0])
