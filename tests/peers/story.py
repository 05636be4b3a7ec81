# mypy: allow-untyped-defs, allow-incomplete-defs, allow-untyped-calls
"""Loopback peers for the "one outage, every output" scenario test.

``Switchable`` is a TCP service that can be taken down and brought back on the same
port; ``SyslogSink`` is a datagram socket that keeps what a syslog alerter sends;
``env_recorder_command`` is an execute alerter command that keeps its whole argv and
``SIMPLEMON_*`` environment.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import sys
import threading
from pathlib import Path
from typing import Any

_ENV_RECORDER = """\
import json, os, sys
entry = {
    "argv": sys.argv[2:],
    "env": {k: v for k, v in os.environ.items() if k.startswith("SIMPLEMON_")},
}
with open(sys.argv[1], "a", encoding="utf-8") as out:
    out.write(json.dumps(entry) + "\\n")
"""


def env_recorder_command(out: Path, *placeholders: str) -> str:
    """Return a command line recording argv (after ``out``) and SIMPLEMON_* vars."""
    script = out.parent / "record_env.py"
    script.write_text(_ENV_RECORDER, encoding="utf-8")
    words = [shlex.quote(w) for w in (sys.executable, str(script), str(out))]
    return " ".join(words + ["{" + p + "}" for p in placeholders])


def env_recorded(path: Path) -> list[dict[str, Any]]:
    """Return what the recorder wrote so far (none if nothing)."""
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text("utf-8").splitlines() if x]


class Switchable:
    """A TCP listener on 127.0.0.1 that accepts and closes; ``down()``/``up()``."""

    def __init__(self) -> None:
        self.port = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.up()

    def up(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(16)
        sock.settimeout(0.1)
        self.port = sock.getsockname()[1]
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
        self._thread.start()

    def _serve(self, sock: socket.socket) -> None:
        while self._sock is sock:
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.close()

    def down(self) -> None:
        sock, self._sock = self._sock, None
        if self._thread is not None:
            self._thread.join(timeout=5)
        if sock is not None:
            sock.close()

    def close(self) -> None:
        self.down()


class SyslogSink:
    """A unix datagram socket at ``path``; ``lines`` holds every datagram decoded."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[str] = []
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(path))
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            self.lines.append(data.decode("utf-8", errors="replace"))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()
        if os.path.exists(self.path):
            os.unlink(self.path)
