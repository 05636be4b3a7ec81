"""SMTP for the email alerter: addresses, connections and refusals.

Addresses and hosts as configured, connections under a total deadline, and a
server's refusals in plain words.

Kept apart from email.py (what a mail says and when it is sent) so that each part
stays small; nothing here decides whether to alert.
"""

from __future__ import annotations

import email.utils
import ipaddress
import smtplib
import socket
import ssl
import time
from pathlib import Path
from typing import Any

from alerters._message import one_line
from simplemon.deadline import Watch
from simplemon.errors import DeliveryError
from simplemon.parsers import ParseContext


def address(text: str, ctx: ParseContext) -> str:
    """Accept one mail address, optionally with a display name."""
    value = text.strip()
    _, addr = email.utils.parseaddr(value)
    # parseaddr reads only the first of "a@x, b@x"; the rest would be lost.
    several = len(email.utils.getaddresses([value])) != 1
    if one_line(value) != value or "@" not in addr or " " in addr or several:
        raise ValueError("expected a mail address, e.g. monitor@example.com")
    return value


def address_list(text: str, ctx: ParseContext) -> tuple[str, ...]:
    """Accept mail addresses separated by ``;`` (SimpleMonitor's separator)."""
    items = [item.strip() for item in text.split(";")]
    if not any(items):
        return ()
    try:
        return tuple(address(item, ctx) for item in items if item)
    except ValueError:
        raise ValueError(
            "expected mail addresses separated by ';', e.g. a@example.com;b@example.com"
        ) from None


def smtp_host(text: str, ctx: ParseContext) -> str:
    """Accept a host name or an IP address; an IPv6 one may be in brackets (``[::1]``).

    A port written into the host (``127.0.0.1:2525``) is refused: smtplib would look
    the whole text up as a name.
    """
    value = text.strip()
    inner = value[1:-1] if value.startswith("[") and value.endswith("]") else value
    if ":" in inner:
        try:
            return str(ipaddress.IPv6Address(inner))
        except ValueError:
            pass
    if ":" in value:
        raise ValueError(
            "expected a host name or address without a port (put it in the port "
            "option), e.g. mail.example.com, 127.0.0.1 or ::1"
        )
    if not value or "[" in value or "]" in value:
        raise ValueError("expected a host name or address, e.g. 127.0.0.1 or ::1")
    return value


def existing_file(text: str, ctx: ParseContext) -> Path:
    """Accept an existing file (relative to the INI file's folder)."""
    path = ctx.base_dir / Path(text.strip()).expanduser()
    if not path.is_file():
        raise ValueError(f"no such file: {path}; expected a PEM file of CAs")
    return path


class WatchedSMTP(smtplib.SMTP):
    """SMTP whose socket joins the delivery's Watch as soon as it is connected."""

    def __init__(self, watch: Watch, deadline: float, *args: Any, **kwargs: Any):
        self._watch = watch
        self._deadline = deadline  # connecting is not watched: bound it instead
        super().__init__(*args, **kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = connect_watched(self._watch, self._deadline, host, port, timeout)
        return sock


class WatchedSMTPSSL(smtplib.SMTP_SSL):
    """SMTP_SSL whose socket is watched before and after the TLS handshake."""

    def __init__(self, watch: Watch, deadline: float, *args: Any, **kwargs: Any):
        self._watch = watch
        self._deadline = deadline
        super().__init__(*args, **kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        raw = connect_watched(self._watch, self._deadline, host, port, timeout)
        # Wrapping detaches the raw socket: watch the TLS one before the handshake.
        sock = self.context.wrap_socket(
            raw, server_hostname=host, do_handshake_on_connect=False
        )
        self._watch.add(sock)
        try:
            sock.do_handshake()
        except BaseException:
            sock.close()  # as wrap_socket does when its own handshake fails
            raise
        return sock


def connect_watched(
    watch: Watch, deadline: float, host: str, port: int, timeout: float
) -> socket.socket:
    # What smtplib's _get_socket does (no source address is ever set), with each
    # connection attempt also bounded by the time left, and the socket watched.
    remaining = max(deadline - time.monotonic(), 0.001)
    sock = socket.create_connection((host, port), min(timeout, remaining))
    sock.settimeout(timeout)
    watch.add(sock)
    return sock


# OpenSSL's X509_V_ERR_* codes for a certificate that a new CA would not fix.
OUT_OF_DATE = {9, 10}  # not yet valid, expired


WRONG_NAME = {62, 64}  # host name mismatch, IP address mismatch


def certificate_problem(e: ssl.SSLCertVerificationError) -> str:
    reason = one_line(str(e.verify_message)) or one_line(str(e))
    if e.verify_code in OUT_OF_DATE:
        return (
            f"TLS certificate rejected ({reason}); it must be renewed on the "
            "server (or this machine's clock is wrong)"
        )
    if e.verify_code in WRONG_NAME:
        return (
            f"TLS certificate rejected ({reason}); set host to a name the "
            "certificate is issued for"
        )
    return (
        f"TLS certificate not trusted ({reason}); "
        "set ca_file to the CA that signed the server's certificate"
    )


def quit_quietly(smtp: smtplib.SMTP) -> None:
    # The message was accepted: a failing QUIT must not turn it into a retry.
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def response_error(where: str, e: smtplib.SMTPResponseException) -> DeliveryError:
    reply = e.smtp_error
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    code = e.smtp_code
    if isinstance(e, smtplib.SMTPAuthenticationError):
        what = "authentication refused"
    elif isinstance(e, smtplib.SMTPSenderRefused):
        what = "sender refused"
    else:
        what = "server said"
    return DeliveryError(
        f"{where}: {what}: {code} {one_line(text)}", permanent=500 <= code < 600
    )


def refused_text(refused: dict[str, tuple[int, bytes]]) -> str:
    parts = [
        f"{addr} ({code} {one_line(reply.decode('utf-8', 'replace'))})"
        for addr, (code, reply) in refused.items()
    ]
    return one_line("; ".join(parts))


def refusal(
    where: str, tried: list[str], refused: dict[str, tuple[int, bytes]]
) -> DeliveryError:
    """Return the error for recipients refused at RCPT, out of those ``tried``.

    Transient while any was deferred (``4xx``, e.g. greylisting), so that it is
    retried; its ``done`` (those that took the message, and those refused for good
    with ``5xx``) keeps the retry from sending anyone a second copy.
    """
    deferred = {a for a, (code, _) in refused.items() if code < 500}
    done = frozenset(a for a in tried if a not in deferred)
    some = "some" if len(refused) < len(tried) else "all"
    text = f"{where}: {some} recipients refused: {refused_text(refused)}"
    if deferred:
        text += f"; trying again for {', '.join(sorted(deferred))} only"
    return DeliveryError(text, permanent=not deferred, done=done)
