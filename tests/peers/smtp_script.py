"""A scripted SMTP server on 127.0.0.1 for dialect tests: odd servers on demand.

aiosmtpd (tests/peers/smtp_server.py) is a well-behaved server; this one answers
what a test tells it to, to play old, strict or broken servers::

    script = Script(extensions=["AUTH CRAM-MD5"], users={"mon": "pw"})
    with scripted_server(script) as peer:
        ...  # ssl = no, host = peer.host, port = peer.port
    assert peer.messages[0].startswith(b"From:")

``Script.replies`` overrides the reply to a command: keys ``MAIL``, ``RCPT``,
``RCPT <address>``, ``DATA`` (the reply to the DATA command) and ``DOT`` (the
reply after the message). ``extensions=None`` plays a HELO-only server (EHLO gets
502). ``starttls`` (an ssl context) offers STARTTLS; AUTH is then offered only
after it. ``close_in_data`` hangs up after the first line of the message.
``greeting_delay`` waits before the 220. ``trickle`` plays a server that never
finishes while every read still gets data in time: keys ``GREETING`` or ``DOT``
(the reply after the message) name a reply that is preceded by that many
continuation lines (``220-``/``250-``), each sent ``trickle_interval`` seconds after
the last; ``trickle_connections`` limits it to the first connections (later ones are
healthy). Every socket operation has a timeout;
the server handles connections one after another and stops with the block.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from alerters.email import EmailAlerter, EmailOptions

HOST = "127.0.0.1"
IO_TIMEOUT = 10.0


@dataclass
class Script:
    """How the server behaves."""

    greeting: str = "220 script.test ESMTP"
    greeting_delay: float = 0.0
    #: EHLO keywords offered, e.g. ["8BITMIME", "AUTH PLAIN"]; None: HELO only
    extensions: list[str] | None = field(default_factory=lambda: ["8BITMIME"])
    starttls: ssl.SSLContext | None = None
    users: dict[str, str] = field(default_factory=dict)
    replies: dict[str, str] = field(default_factory=dict)
    close_in_data: bool = False
    #: reply key (GREETING, DOT) -> continuation lines sent slowly before it
    trickle: dict[str, int] = field(default_factory=dict)
    trickle_interval: float = 0.2
    #: how many connections trickle (None: all)
    trickle_connections: int | None = None


@dataclass
class ScriptPeer:
    """Where the server listens and what it saw."""

    host: str
    port: int
    commands: list[str] = field(default_factory=list)
    messages: list[bytes] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    connections: int = 0


class _Session:
    def __init__(self, sock: socket.socket, script: Script, peer: ScriptPeer) -> None:
        self.sock: socket.socket | ssl.SSLSocket = sock
        self.file = sock.makefile("rb")
        self.script = script
        self.peer = peer
        self.tls = False
        self.greeted = False
        limit = script.trickle_connections
        self.trickling = limit is None or peer.connections <= limit

    def say(self, line: str) -> None:
        self.sock.sendall(line.encode() + b"\r\n")

    def slow_say(self, key: str, line: str) -> None:
        """Say ``line``, first trickling the continuation lines the script asks for."""
        lines = self.script.trickle.get(key, 0) if self.trickling else 0
        for i in range(lines):
            time.sleep(self.script.trickle_interval)
            self.say(f"{line[:3]}-still working {i + 1}")
        self.say(line)

    def line(self) -> bytes:
        data = self.file.readline(65536)
        if not data:
            raise EOFError
        return data

    def reply(self, key: str, default: str) -> str:
        return self.script.replies.get(key, default)

    def run(self) -> None:
        script = self.script
        if script.greeting_delay:
            time.sleep(script.greeting_delay)
        self.slow_say("GREETING", script.greeting)
        if not script.greeting.startswith("220"):
            return
        handlers = {
            "EHLO": self.ehlo,
            "HELO": self.helo,
            "STARTTLS": self.starttls,
            "AUTH": self.auth,
            "MAIL": lambda arg: self.say(self.reply("MAIL", "250 sender ok")),
            "RCPT": self.rcpt,
            "DATA": self.data,
            "RSET": lambda arg: self.say("250 reset"),
        }
        while True:
            raw = self.line().rstrip(b"\r\n").decode("utf-8", "replace")
            self.peer.commands.append(raw)
            verb, _, arg = raw.partition(" ")
            verb = verb.upper()
            if verb == "QUIT":
                self.say("221 bye")
                return
            if verb in ("MAIL", "AUTH", "STARTTLS") and not self.greeted:
                self.say("503 5.5.1 say HELO first")
            elif verb in handlers:
                handlers[verb](arg)
            else:
                self.say("502 command not implemented")

    def helo(self, arg: str) -> None:
        self.greeted = True
        self.say("250 script.test")

    def starttls(self, arg: str) -> None:
        if not self.script.starttls or self.tls:
            self.say("502 command not implemented")
            return
        self.say("220 go ahead")
        assert isinstance(self.sock, socket.socket)
        self.sock = self.script.starttls.wrap_socket(self.sock, server_side=True)
        self.file = self.sock.makefile("rb")
        self.tls = True
        self.greeted = False

    def rcpt(self, arg: str) -> None:
        address = arg.partition("<")[2].partition(">")[0]
        default = self.reply("RCPT", "250 recipient ok")
        self.say(self.reply(f"RCPT {address}", default))

    def ehlo(self, arg: str) -> None:
        offered = self.script.extensions
        if offered is None:
            self.say("502 EHLO not implemented")
            return
        self.greeted = True
        lines = ["script.test", *offered]
        if self.script.starttls and not self.tls:
            lines.append("STARTTLS")
            lines = [x for x in lines if not x.startswith("AUTH")]
        for x in lines[:-1]:
            self.say("250-" + x)
        self.say("250 " + lines[-1])

    def auth(self, arg: str) -> None:
        mechanism, _, initial = arg.partition(" ")
        mechanism = mechanism.upper()
        offered = " ".join(self.script.extensions or []).upper()
        if mechanism not in offered.partition("AUTH ")[2].split():
            self.say("504 mechanism not supported")
            return
        if mechanism == "PLAIN":
            if not initial:
                self.say("334 ")
                initial = self.line().strip().decode()
            _, user, password = base64.b64decode(initial).decode().split("\0")
            ok = self.script.users.get(user) == password
        elif mechanism == "LOGIN":
            if not initial:
                self.say("334 " + base64.b64encode(b"Username:").decode())
                initial = self.line().strip().decode()
            user = base64.b64decode(initial).decode()
            self.say("334 " + base64.b64encode(b"Password:").decode())
            password = base64.b64decode(self.line().strip()).decode()
            ok = self.script.users.get(user) == password
        else:  # CRAM-MD5
            challenge = b"<1.2@script.test>"
            self.say("334 " + base64.b64encode(challenge).decode())
            user, _, digest = (
                base64.b64decode(self.line().strip()).decode().rpartition(" ")
            )
            secret = self.script.users.get(user, "").encode()
            expected = hmac.new(secret, challenge, hashlib.md5).hexdigest()
            ok = user in self.script.users and hmac.compare_digest(expected, digest)
        if ok:
            self.peer.logins.append(f"{mechanism} {user}")
            self.say("235 authenticated")
        else:
            self.say(self.reply("AUTH", "535 5.7.8 authentication failed"))

    def data(self, arg: str) -> None:
        answer = self.reply("DATA", "354 end with .")
        self.say(answer)
        if not answer.startswith("354"):
            return
        lines: list[bytes] = []
        while True:
            data = self.line()
            if self.script.close_in_data:
                raise EOFError
            if data == b".\r\n":
                break
            lines.append(data[1:] if data.startswith(b".") else data)
        answer = self.reply("DOT", "250 queued")
        if answer.startswith("250"):
            self.peer.messages.append(b"".join(lines))
        self.slow_say("DOT", answer)


@contextmanager
def scripted_server(script: Script) -> Iterator[ScriptPeer]:
    """Serve ``script`` on 127.0.0.1 until the block ends."""
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen(8)
    listener.settimeout(0.2)
    peer = ScriptPeer(HOST, listener.getsockname()[1])
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            peer.connections += 1
            conn.settimeout(IO_TIMEOUT)
            session = _Session(conn, script, peer)
            with conn, suppress(EOFError, OSError, ValueError):
                try:
                    session.run()
                finally:
                    session.file.close()
                    session.sock.close()  # the TLS socket, once STARTTLS wrapped it

    thread = threading.Thread(target=serve, name="smtp-script", daemon=True)
    thread.start()
    try:
        yield peer
    finally:
        stop.set()
        thread.join(IO_TIMEOUT + 5)
        listener.close()


def plain_mailer(peer: Any, **overrides: Any) -> EmailAlerter:
    """An email alerter for ``peer`` (anything with ``host`` and ``port``), no TLS."""
    values: dict[str, Any] = {
        "host": peer.host,
        "port": peer.port,
        "to": ("ops@example.test",),
        "sender": "mon@example.test",
        "ssl": "no",
        "timeout": timedelta(seconds=5),
    } | overrides
    return EmailAlerter("mail", EmailOptions(**values))
