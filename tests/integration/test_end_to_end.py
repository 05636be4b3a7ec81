"""monitor.py as a subprocess against real loopback servers of every monitor type."""

import socket
import textwrap
from pathlib import Path

import pytest

from tests.integration.conftest import run_monitor
from tests.peers.dns_server import DnsServer
from tests.peers.http_server import HttpPeer, Reply

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(tmp_path: Path, monitors: str) -> Path:
    (tmp_path / "monitors.ini").write_text(textwrap.dedent(monitors).lstrip())
    main = tmp_path / "monitor.ini"
    main.write_text(
        textwrap.dedent("""
        [monitor]
        interval = 1
        [reporting]
        loggers = log
        [log]
        type = logfile
        filename = results.log
        groups = _all
        """).lstrip()
    )
    return main


def lines_for(tmp_path: Path, name: str) -> list[str]:
    text = (tmp_path / "results.log").read_text()
    return [line.split(" ", 1)[1] for line in text.splitlines() if f" {name}: " in line]


@pytest.fixture
def listening():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


def test_every_monitor_type_against_real_servers(tmp_path, listening):
    zone = {
        ("www.site.test.", "A"): ["192.0.2.7"],
        ("site.test.", "MX"): ["10 mail.site.test."],
    }
    with HttpPeer() as web, DnsServer(zone) as dns:
        web.route("/", Reply(200, b"<h1>all systems go</h1>"))
        web.route("/broken", Reply(503, b"down"))
        main = write_config(
            tmp_path,
            f"""
            [web]
            type = http
            url = {web.url("/")}
            regexp = systems go
            [web-broken]
            type = http
            url = {web.url("/broken")}
            [web-child]
            type = http
            url = {web.url("/")}
            depend = web-broken
            [port-open]
            type = tcp
            host = 127.0.0.1
            port = {listening}
            [port-closed]
            type = tcp
            host = 127.0.0.1
            port = {free_port()}
            [dns-a]
            type = dns
            record = www.site.test
            server = 127.0.0.1
            port = {dns.port}
            desired_val = 192.0.2.7
            [dns-mx]
            type = dns
            record = site.test
            record_type = MX
            server = 127.0.0.1
            port = {dns.port}
            desired_val = 10 mail.site.test.
            [dns-wrong]
            type = dns
            record = www.site.test
            server = 127.0.0.1
            port = {dns.port}
            desired_val = 192.0.2.8
            [dns-nx]
            type = dns
            record = nope.site.test
            server = 127.0.0.1
            port = {dns.port}
            desired_val = nxdomain
            [ping-local]
            type = ping
            host = 127.0.0.1
            count = 2
            timeout = 2
            """,
        )
        result = run_monitor("--loops", "2", "-f", str(main), timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for name in ("web", "port-open", "dns-a", "dns-mx", "dns-nx", "ping-local"):
        assert [x.split(" (")[0] for x in lines_for(tmp_path, name)] == [
            f"{name}: ok",
            f"{name}: ok",
        ], (name, lines_for(tmp_path, name))
    broken = lines_for(tmp_path, "web-broken")
    assert "VFC=1" in broken[0]
    assert "VFC=2" in broken[1]
    assert "503" in broken[0]
    assert all(
        "skipped (depends on web-broken, which is failed)" in x
        for x in lines_for(tmp_path, "web-child")
    )
    assert "refused" in lines_for(tmp_path, "port-closed")[0]
    assert "192.0.2.7" in lines_for(tmp_path, "dns-wrong")[0]
    assert "192.0.2.8" in lines_for(tmp_path, "dns-wrong")[0]
    assert sorted(set(dns.transports())) == ["udp"]


def test_one_shot_fails_while_a_service_is_down_and_passes_once_it_is_back(tmp_path):
    port = free_port()
    main = write_config(
        tmp_path,
        f"""
        [svc]
        type = tcp
        host = 127.0.0.1
        port = {port}
        timeout = 2
        """,
    )
    down = run_monitor("-1", "-f", str(main))
    assert down.returncode == 1
    assert "svc: failed since" in (tmp_path / "results.log").read_text()
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen(4)
        up = run_monitor("-1", "-f", str(main))
    assert up.returncode == 0, up.stderr
    assert (
        (tmp_path / "results.log")
        .read_text()
        .splitlines()[-1]
        .split(" ", 1)[1]
        .startswith("svc: ok (")
    )


def test_sustained_run_keeps_the_period(tmp_path):
    with HttpPeer() as web:
        web.route("/", Reply(200, b"ok"))
        main = write_config(tmp_path, f"[web]\ntype = http\nurl = {web.url('/')}\n")
        result = run_monitor("--loops", "4", "-f", str(main), timeout=60)
        assert result.returncode == 0, result.stderr
        assert len(web.requests) == 4
    stamps = [
        int(x.split()[0])
        for x in (tmp_path / "results.log").read_text().splitlines()
        if " web: ok" in x
    ]
    assert len(stamps) == 4
    assert stamps[-1] - stamps[0] in (
        2,
        3,
        4,
    )  # 3 intervals of 1 s, whole-second stamps
