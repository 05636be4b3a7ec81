"""Loopback targets for the benchmark: nginx (fast, slow and hanging URLs), a fast
DNS responder, a silent DNS port and a refused TCP port. Everything binds 127.0.0.1.

Run alone to keep the targets up by hand: ``python bench/targets.py`` (Ctrl-C stops).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
NGINX_ECHO = Path("/usr/lib/nginx/modules/ngx_http_echo_module.so")

NGINX_CONF = """\
{load_echo}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/nginx-error.log warn;
events {{ worker_connections 16384; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path {prefix}/tmp;
    proxy_temp_path {prefix}/tmp;
    fastcgi_temp_path {prefix}/tmp;
    uwsgi_temp_path {prefix}/tmp;
    scgi_temp_path {prefix}/tmp;
    server {{
        listen 127.0.0.1:{port} backlog=8192;
        location = / {{ default_type text/plain; return 200 "ok\\n"; }}
        {slow}
    }}
}}
"""
# The echo module (nginx-light) gives slow and hanging URLs without a Python server.
ECHO_LOCATIONS = """
        location = /slow { default_type text/plain; echo_sleep 1; echo "slow ok"; }
        location = /hang { default_type text/plain; echo_sleep 3600; echo late; }
"""


@dataclass(frozen=True)
class Targets:
    """Where everything listens (all 127.0.0.1)."""

    http_port: int
    dns_port: int
    silent_dns_port: int
    refused_port: int
    slow_http_port: int  # same as http_port when nginx has the echo module
    hung_smtp_port: int = 0  # accepts connections and never says a word

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/"

    @property
    def slow_url(self) -> str:
        return f"http://127.0.0.1:{self.slow_http_port}/slow"

    @property
    def hang_url(self) -> str:
        return f"http://127.0.0.1:{self.slow_http_port}/hang"


def free_port() -> int:
    """Return a loopback TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_tcp(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), timeout=1),
        ):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def _start_nginx(prefix: Path, port: int) -> subprocess.Popen[bytes]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise RuntimeError("nginx is not installed: apt-get install nginx-light")
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "tmp").mkdir(exist_ok=True)
    echo = NGINX_ECHO.exists()
    conf = NGINX_CONF.format(
        load_echo=f"load_module {NGINX_ECHO};" if echo else "",
        prefix=prefix,
        port=port,
        slow=ECHO_LOCATIONS if echo else "",
    )
    (prefix / "nginx.conf").write_text(conf)
    proc = subprocess.Popen(
        [
            nginx,
            "-p",
            str(prefix),
            "-c",
            str(prefix / "nginx.conf"),
            "-e",
            str(prefix / "nginx-error.log"),
            "-g",
            "daemon off;",
        ],
        stdin=subprocess.DEVNULL,
    )
    _wait_tcp(port)
    return proc


def _hold_connections(server: socket.socket) -> None:
    """Accept connections and never answer (a hung SMTP server); ends on close."""
    held: list[socket.socket] = []
    with contextlib.suppress(OSError):
        while len(held) < 10_000:
            held.append(server.accept()[0])
    for conn in held:
        conn.close()


@contextlib.contextmanager
def running(workdir: Path) -> Iterator[Targets]:
    """Start every target, yield their ports, stop them all afterwards."""
    procs: list[subprocess.Popen[bytes]] = []
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))  # bound, never read: queries time out
    smtp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    smtp.bind(("127.0.0.1", 0))
    smtp.listen(128)
    threading.Thread(target=_hold_connections, args=(smtp,), daemon=True).start()
    try:
        http_port = free_port()
        procs.append(_start_nginx(workdir / "nginx", http_port))
        dns = subprocess.Popen(
            [sys.executable, str(HERE / "dns_server.py")],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        procs.append(dns)
        assert dns.stdout is not None
        dns_port = int(dns.stdout.readline())
        slow_port = http_port
        if not NGINX_ECHO.exists():
            raise RuntimeError("nginx echo module missing: apt-get install nginx-light")
        yield Targets(
            http_port=http_port,
            dns_port=dns_port,
            silent_dns_port=int(silent.getsockname()[1]),
            refused_port=free_port(),
            slow_http_port=slow_port,
            hung_smtp_port=int(smtp.getsockname()[1]),
        )
    finally:
        silent.close()
        with contextlib.suppress(OSError):
            smtp.shutdown(socket.SHUT_RDWR)  # wakes the accept() above
        smtp.close()
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    with running(HERE / "out") as t:
        print(json.dumps(asdict(t)), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
