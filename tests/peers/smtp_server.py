"""Real SMTP servers on 127.0.0.1 for tests (aiosmtpd + a trustme certificate).

Usage::

    from tests.peers.smtp_server import smtp_server

    def test_mail_arrives(tmp_path):
        with smtp_server(tmp_path, users={"mon": "pw"}) as peer:
            ...  # point an email alerter at peer.host / peer.port, ca_file=peer.ca_file
            message = peer.wait_for_message()
            assert message.tls and message.login == "mon"

Modes: ``tls="starttls"`` (default; STARTTLS offered and required before anything
else), ``tls="implicit"`` (TLS from the first byte, like port 465) or ``tls="none"``
(plain, no STARTTLS offered). With ``users`` AUTH is required, and only over TLS.
``peer.refuse[address] = "550 5.1.1 no such user"`` makes RCPT refuse an address.
``peer.reply_delay = 0.5`` waits that long before answering each RCPT, and keeps each
message, then waits that long before its 250; ``peer.transactions`` counts MAIL FROMs.
``peer.ca_file`` is the PEM of the CA that signed the server's certificate (for
127.0.0.1 and localhost); ``peer.other_ca_file`` is a CA that did not.
``hanging_server()`` accepts TCP connections and never says a word.
Every message is parsed (``email.message_from_bytes``) and kept in ``peer.messages``.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """Return a TCP port on ``host`` that was free a moment ago.

    aiosmtpd 1.4.6 cannot be given port 0 (its readiness probe connects to port 0).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as the server received it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    tls: bool  # whether the session was encrypted when DATA arrived
    login: str | None  # the authenticated user, if any

    @property
    def message(self) -> EmailMessage:
        """Return the parsed message (modern email API)."""
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpPeer:
    """A running server: where it listens, whom it trusts, what it received."""

    host: str
    port: int
    ca_file: Path
    other_ca_file: Path
    #: recipient address -> SMTP reply that refuses it, e.g. "550 5.1.1 no such user"
    refuse: dict[str, str] = field(default_factory=dict)
    #: seconds a slow server waits before answering RCPT, and after keeping a
    #: message before answering DATA
    reply_delay: float = 0.0
    #: how many transactions began (MAIL FROM), kept or not
    transactions: int = 0
    messages: list[ReceivedMessage] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def wait_for_message(self, timeout: float = 10) -> ReceivedMessage:
        """Return the first message, waiting up to ``timeout`` seconds for it."""
        assert self.arrived.wait(timeout), "no message arrived"
        return self.messages[0]


class _Handler:
    def __init__(self, peer: SmtpPeer) -> None:
        self.peer = peer

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        self.peer.transactions += 1
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.peer.reply_delay:
            await asyncio.sleep(self.peer.reply_delay)
        if address in self.peer.refuse:
            return self.peer.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        auth = session.auth_data if session.authenticated else None
        login = getattr(auth, "login", None)
        self.peer.messages.append(
            ReceivedMessage(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                raw=content if isinstance(content, bytes) else content.encode(),
                tls=_is_encrypted(server, session),
                login=login.decode() if isinstance(login, bytes) else login,
            )
        )
        self.peer.arrived.set()
        if self.peer.reply_delay:
            await asyncio.sleep(self.peer.reply_delay)
        return "250 Message accepted"


def _is_encrypted(server: SMTP, session: Session) -> bool:
    # session.ssl is only set by STARTTLS; implicit TLS shows on the transport.
    transport = server.transport
    implicit = transport is not None and transport.get_extra_info("ssl_object")
    return session.ssl is not None or bool(implicit)


class _ImplicitTlsController(Controller):
    """A Controller whose sessions are TLS from the start and may AUTH at once."""

    def factory(self) -> SMTP:
        smtp = super().factory()
        # aiosmtpd only counts STARTTLS as TLS for auth_require_tls; here every byte
        # is encrypted already. Passing auth_require_tls=False instead would warn.
        smtp._auth_require_tls = False
        return smtp


def _authenticator(users: dict[str, str]) -> Any:
    def check(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        ok = users.get(user) == password
        return AuthResult(success=ok, handled=False, auth_data=data)

    return check


def _certificates(
    tmp_path: Path, names: tuple[str, ...]
) -> tuple[trustme.LeafCert, Path, Path]:
    ca, other = trustme.CA(), trustme.CA()
    cert = ca.issue_cert(*names)
    ca_file, other_file = tmp_path / "smtp-ca.pem", tmp_path / "other-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    other.cert_pem.write_to_path(str(other_file))
    return cert, ca_file, other_file


@contextmanager
def smtp_server(
    tmp_path: Path,
    *,
    tls: Literal["starttls", "implicit", "none"] = "starttls",
    users: dict[str, str] | None = None,
    cert_names: tuple[str, ...] = ("localhost", HOST),
    port: int | None = None,
    host: str = HOST,
) -> Iterator[SmtpPeer]:
    """Run an aiosmtpd server on ``host`` for the duration of the ``with`` block.

    ``cert_names`` are the names the server certificate is issued for; ``port``
    (default: a free one) lets a test start the server where a client already looks;
    ``host="::1"`` serves IPv6 (give ``cert_names=("::1",)`` too).
    """
    cert, ca_file, other_file = _certificates(tmp_path, cert_names)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    peer = SmtpPeer(host, port or free_port(host), ca_file, other_file)
    kwargs: dict[str, Any] = {
        "auth_require_tls": True,
        "auth_required": bool(users),
        "authenticator": _authenticator(users or {}),
        "timeout": 10,
    }
    if tls == "starttls":
        kwargs.update(tls_context=context, require_starttls=True)
    elif tls == "implicit":
        kwargs.update(ssl_context=context)
    kind = _ImplicitTlsController if tls == "implicit" else Controller
    controller = kind(_Handler(peer), hostname=host, port=peer.port, **kwargs)
    controller.start()
    try:
        yield peer
    finally:
        controller.stop()


@contextmanager
def hanging_server() -> Iterator[tuple[str, int]]:
    """Listen on 127.0.0.1 and never accept: connections open, no byte ever comes."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        s.listen(8)
        yield HOST, s.getsockname()[1]
