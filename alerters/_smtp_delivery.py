"""One mail's trip to the SMTP server: connect, TLS, login, send, under a deadline.

The email alerter builds the message and picks its recipients; this module
delivers it and turns every way a delivery can fail (refused connection, wrong
``ssl`` mode, certificate, STARTTLS missing, refusals, a server trickling replies
past the total deadline) into one DeliveryError, permanent where a retry cannot
help even once the configuration is fixed. Kept apart from email.py so the
plugin module is its options and message.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import time
from email.message import EmailMessage
from typing import TYPE_CHECKING

from alerters._message import one_line
from alerters._smtp import (
    WatchedSMTP,
    WatchedSMTPSSL,
    certificate_problem,
    quit_quietly,
    refusal,
    response_error,
)
from simplemon.deadline import Watch
from simplemon.errors import DeliveryError
from simplemon.pool import NoThreadError

if TYPE_CHECKING:
    from alerters.email import EmailOptions

#: One delivery (connect to QUIT) may take this many ``timeout``s in all: room for
#: two exchanges that each take nearly ``timeout`` (a greeting delay, a content scan
#: after the message) on top of the many quick ones.
TOTAL_TIMEOUTS = 3


class SmtpDelivery:
    """Deliver mails with one email alerter's options; raise DeliveryError."""

    def __init__(
        self, options: EmailOptions, port: int, envelope_from: str, where: str
    ) -> None:
        self.options = options
        self.port = port
        self.envelope_from = envelope_from
        self.where = where  # "alerter NAME: SMTP HOST:PORT", every message's start

    def send(self, message: EmailMessage, to: list[str]) -> None:
        """Deliver ``message`` to ``to`` under one total deadline.

        Raises DeliveryError, permanent for refused logins and recipients; a server
        that keeps the delivery going past the deadline fails it as transient.
        """
        total = TOTAL_TIMEOUTS * self.options.timeout.total_seconds()
        watch = Watch(total)
        try:
            with watch:
                refused = self._send_watched(message, to, watch)
        except NoThreadError as e:  # no deadline could be kept: never send unguarded
            raise DeliveryError(
                f"{self.where}: cannot start a thread for the delivery deadline: {e}"
            ) from e
        except DeliveryError as e:
            if not watch.expired:
                raise
            raise DeliveryError(
                f"{self.where}: timed out: SMTP server did not finish within "
                f"{total:g}s ({TOTAL_TIMEOUTS} x timeout)"
            ) from e
        if refused:  # others got the mail: a retry goes to the deferred only
            raise refusal(self.where, to, refused)

    def _send_watched(
        self, message: EmailMessage, to: list[str], watch: Watch
    ) -> dict[str, tuple[int, bytes]]:
        # Returns the recipients refused while others got the mail.
        try:
            return self._deliver(message, to, watch)
        except DeliveryError:
            raise
        # A certificate, or STARTTLS or AUTH not offered, is how this server is set
        # up, not this message: every alert would fail the same way until someone
        # fixes the server or the configuration, so they wait and are retried
        # (within retry_for) instead of being given up on; a reload sends them.
        except ssl.SSLCertVerificationError as e:
            raise DeliveryError(f"{self.where}: {certificate_problem(e)}") from e
        except smtplib.SMTPNotSupportedError as e:
            raise DeliveryError(f"{self.where}: {one_line(str(e))}") from e
        except smtplib.SMTPResponseException as e:
            raise response_error(self.where, e) from e
        except smtplib.SMTPRecipientsRefused as e:
            raise refusal(self.where, to, e.recipients) from e
        except (smtplib.SMTPException, OSError) as e:
            # Connection refused, timeouts, resets, name lookups, TLS handshakes.
            text = one_line(str(e)) or type(e).__name__
            raise DeliveryError(f"{self.where}: {text}") from e

    def _deliver(
        self, message: EmailMessage, to: list[str], watch: Watch
    ) -> dict[str, tuple[int, bytes]]:
        opts = self.options
        timeout = opts.timeout.total_seconds()
        try:
            context = ssl.create_default_context(
                cafile=str(opts.ca_file) if opts.ca_file else None
            )
        except OSError as e:  # missing, unreadable or not PEM (ssl.SSLError)
            raise DeliveryError(
                f"{self.where}: cannot load ca_file {opts.ca_file}: "
                f"{one_line(e.strerror or str(e))}"
            ) from e
        # local_hostname is given so smtplib never calls getfqdn() (a DNS lookup).
        helo = socket.gethostname() or "localhost"
        smtp = self._connect(helo, timeout, context, watch)
        try:
            # EHLO, or HELO for an old relay that answers EHLO with an error.
            smtp.ehlo_or_helo_if_needed()
            if opts.ssl == "starttls":
                if not smtp.has_extn("starttls"):
                    raise DeliveryError(
                        f"{self.where}: server does not offer STARTTLS; refusing "
                        "to send in plaintext: set ssl = no for a plaintext relay "
                        "(e.g. a local one), or ssl = yes with a port that speaks "
                        "TLS at once (465)"
                    )
                smtp.starttls(context=context)
                if smtp.sock is not None:  # smtplib replaced it by the TLS socket
                    watch.add(smtp.sock)
                smtp.ehlo_or_helo_if_needed()
            if opts.username is not None and opts.password is not None:
                smtp.login(opts.username, opts.password)
            refused = smtp.send_message(
                message, from_addr=self.envelope_from, to_addrs=to
            )
        except BaseException:
            smtp.close()
            raise
        quit_quietly(smtp)
        return refused

    def _connect(
        self, helo: str, timeout: float, context: ssl.SSLContext, watch: Watch
    ) -> smtplib.SMTP:
        # Connect and read the greeting, telling a wrong ssl mode from a dead server.
        opts = self.options
        deadline = time.monotonic() + watch.seconds
        try:
            if opts.ssl == "yes":
                return WatchedSMTPSSL(
                    watch,
                    deadline,
                    opts.host,
                    self.port,
                    helo,
                    timeout=timeout,
                    context=context,
                )
            return WatchedSMTP(
                watch, deadline, opts.host, self.port, helo, timeout=timeout
            )
        except ssl.SSLCertVerificationError:
            raise
        except ssl.SSLError as e:  # only ssl = yes handshakes here
            raise DeliveryError(
                f"{self.where}: the server did not answer in TLS "
                f"({one_line(str(e))}); if this port starts in plaintext (25, 587), "
                "set ssl = starttls"
            ) from e
        except smtplib.SMTPServerDisconnected as e:
            if opts.ssl == "yes" or not isinstance(e.__context__, TimeoutError):
                raise
            raise DeliveryError(
                f"{self.where}: timed out: no SMTP greeting within {timeout:g}s; if "
                "this port speaks TLS at once (465), set ssl = yes"
            ) from e
