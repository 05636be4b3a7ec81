"""The ``email`` alerter: one MIME message per event over SMTP with verified TLS.

It delivers or raises DeliveryError; it never falls back to plaintext, never sends
credentials unencrypted, never waits for one read longer than ``timeout`` and never
spends longer than TOTAL_TIMEOUTS x ``timeout`` on one delivery (simplemon.deadline).
The delivery itself is ``_smtp_delivery``'s; message text is ``_message``'s.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from alerters._message import body, subject
from alerters._smtp import address, address_list, existing_file, smtp_host
from alerters._smtp_delivery import SmtpDelivery
from simplemon.alerter import Alerter
from simplemon.model import AlertEvent
from simplemon.options import opt
from simplemon.record import record

_MESSAGE_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@record
class EmailOptions:
    """Options of the email alerter."""

    host: str = opt(
        parser=smtp_host,
        help="SMTP server name or address (IPv6: ::1 or [::1])",
        example="127.0.0.1",
    )
    to: tuple[str, ...] = opt(
        parser=address_list,
        help="recipients, separated by `;`",
        example="admin@example.com",
    )
    sender: str = opt(
        key="from",
        parser=address,
        help="the From address",
        example="monitor@example.com",
    )
    cc: tuple[str, ...] = opt(
        (), parser=address_list, help="copy recipients, separated by `;`"
    )
    port: int | None = opt(
        None, min=1, max=65535, help="SMTP port; default 465 for ssl=yes, else 25"
    )
    ssl: Literal["starttls", "yes", "no"] = opt(
        "starttls",
        help="starttls: upgrade with STARTTLS (required, never skipped); "
        "yes: implicit TLS (SMTPS); no: plaintext, only without username",
    )
    username: str | None = opt(None, help="login name for SMTP AUTH (needs TLS)")
    password: str | None = opt(None, help="password for SMTP AUTH")
    timeout: timedelta = opt(
        timedelta(seconds=20),
        min=timedelta(seconds=1),
        help="limit for connecting and for each SMTP exchange",
    )
    ca_file: Path | None = opt(
        None,
        parser=existing_file,
        help="PEM file of CAs to trust instead of the system's",
    )

    def __post_init__(self) -> None:
        """Refuse credentials that would travel in clear, or half a login."""
        if not self.to:
            raise ValueError("to needs at least one address")
        if self.username is not None and self.ssl == "no":
            raise ValueError(
                "username needs ssl = starttls or yes (AUTH only over TLS)"
            )
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password must be given together")


class EmailAlerter(Alerter[EmailOptions]):
    """Send alert mails over SMTP, with STARTTLS or implicit TLS, verifying certs."""

    type_name = "email"
    Options = EmailOptions

    def build(self, event: AlertEvent) -> EmailMessage:
        """Return the MIME message for ``event``; no I/O."""
        opts = self.options
        message = EmailMessage()
        message["From"] = opts.sender
        message["To"] = ", ".join(opts.to)
        if opts.cc:
            message["Cc"] = ", ".join(opts.cc)
        message["Subject"] = subject(event)
        message["Date"] = email.utils.format_datetime(event.created_at)
        message["Message-ID"] = self._message_id(event)
        outage = self._outage_id(event)
        if outage:
            # A root shared by the outage's mails (failure, reminders, recovery):
            # threading mail clients show them as one conversation.
            message["References"] = outage
        # Machine-sent: vacation responders must not answer (RFC 3834), nor
        # Exchange's out-of-office (its own header); bounces still come back.
        message["Auto-Submitted"] = "auto-generated"
        message["X-Auto-Response-Suppress"] = "OOF, AutoReply"
        text = body(event, tz=self._tz())
        # Quoted-printable keeps non-ASCII text 7-bit: a relay without 8BITMIME
        # may not be sent 8-bit data (RFC 6152), and smtplib never checks.
        cte = None if text.isascii() else "quoted-printable"
        message.set_content(text, cte=cte)
        return message

    def recipients(self) -> list[str]:
        """Return the envelope recipients: bare addresses of To and Cc."""
        return [
            email.utils.parseaddr(a)[1] for a in (*self.options.to, *self.options.cc)
        ]

    def send(self, event: AlertEvent) -> None:
        """Deliver one mail; raise DeliveryError (permanent: refused login/recipient).

        The whole delivery runs under one total deadline; a server that keeps it
        going past that (trickling a reply) fails it as a transient error.
        """
        self.send_rest(event, frozenset())

    def send_rest(self, event: AlertEvent, done: frozenset[str]) -> None:
        """Deliver the mail to the recipients not in ``done``: those deferred before."""
        # Compared ignoring case: a reload that only recased an address that took
        # the mail must not send it a second copy.
        finished = {address.casefold() for address in done}
        to = [r for r in self.recipients() if r.casefold() not in finished]
        if not to:
            return  # a reload took the deferred recipients out of the config
        message = self.build(event)
        delivery = SmtpDelivery(
            self.options, self._port(), self._envelope_from(), self._where()
        )
        delivery.send(message, to)

    def _domain(self) -> str:
        domain = self._envelope_from().rpartition("@")[2]
        return _MESSAGE_ID_UNSAFE.sub("", domain) or "simplemon.invalid"

    def _outage_id(self, event: AlertEvent) -> str | None:
        """Return the id naming ``event``'s outage (host, monitor, first failure)."""
        if event.failed_at is None:
            return None
        key = f"{event.hostname}\0{event.monitor}\0{event.failed_at.timestamp():.6f}"
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return f"<simplemon.outage.{digest}@{self._domain()}>"

    def _message_id(self, event: AlertEvent) -> str:
        domain = self._domain()
        if event.event_id:
            # Stable across resends, so a retried delivery is recognisably the same.
            local = _MESSAGE_ID_UNSAFE.sub("_", event.event_id)
            return f"<simplemon.{local}@{domain}>"
        return email.utils.make_msgid("simplemon", domain=domain)

    def _envelope_from(self) -> str:
        return email.utils.parseaddr(self.options.sender)[1]

    def _port(self) -> int:
        if self.options.port is not None:
            return self.options.port
        return 465 if self.options.ssl == "yes" else 25

    def _tz(self) -> str:
        # The core may give alerters a time zone; messages use UTC until it does.
        tz = getattr(self.common, "tz", None)
        return tz if isinstance(tz, str) else "UTC"

    def _where(self) -> str:
        return f"alerter {self.name}: SMTP {self._host_port()}"

    def _host_port(self) -> str:
        host = self.options.host
        return f"[{host}]:{self._port()}" if ":" in host else f"{host}:{self._port()}"

    def describe(self) -> str:
        """Summarise where mails go and how."""
        opts = self.options
        to = ";".join(opts.to)
        return f"mailing {to} via {self._host_port()} (ssl={opts.ssl})"
