# mypy: allow-untyped-defs, allow-incomplete-defs, allow-untyped-calls
"""monitor.py as a subprocess with a real SMTP server on loopback that requires
STARTTLS and AUTH (tests.peers.smtp_server): outages of the mail server, hung mail
servers, restarts and kill -9."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import trustme

from tests.peers.monitor_process import MonitorProcess, outbox, wait_for
from tests.peers.smtp_server import free_port, hanging_server, smtp_server

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
USERS = {"monitor": "s3cret pass"}


def write_config(
    tmp: Path, port: int, monitor_type: str = "fail", smtp_timeout: int = 5
) -> Path:
    extra = "interval = 1000\n" if monitor_type == "fail" else ""
    (tmp / "monitors.ini").write_text(
        f"[web]\ntype = {monitor_type}\n{extra}", encoding="utf-8"
    )
    (tmp / "monitor.ini").write_text(
        textwrap.dedent(
            f"""\
            [monitor]
            interval = 1
            [reporting]
            loggers = logfile
            alerters = mail
            [logfile]
            type = logfile
            filename = monitor.log
            groups = _all
            [mail]
            type = email
            host = 127.0.0.1
            port = {port}
            from = monitor@example.test
            to = ops@example.test
            ssl = starttls
            ca_file = smtp-ca.pem
            username = monitor
            password = s3cret pass
            timeout = {smtp_timeout}
            """
        ),
        encoding="utf-8",
    )
    return tmp / "monitor.ini"


def log_lines(tmp: Path) -> int:
    path = tmp / "monitor.log"
    return len(path.read_text().splitlines()) if path.exists() else 0


def statuses(tmp: Path) -> list[str]:
    return [row["status"] for row in outbox(tmp / "simplemon-state.db")]


def subjects(peer) -> list[str]:
    return [str(m.message["Subject"]) for m in peer.messages]


def is_connected(port: int) -> bool:
    """Whether a TCP connection to 127.0.0.1:port is established (Linux /proc)."""
    wanted = f"0100007F:{port:04X}"
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return any(line.split()[2] == wanted and line.split()[3] == "01" for line in lines)


def test_failure_is_mailed_over_tls_with_auth_once_and_restart_sends_no_duplicate(
    tmp_path,
):
    with smtp_server(tmp_path, users=USERS) as peer:
        ini = write_config(tmp_path, peer.port)
        with MonitorProcess(ini, "-H"):
            wait_for(lambda: peer.messages)
            wait_for(lambda: log_lines(tmp_path) >= 3)
        (mail,) = peer.messages
        assert mail.tls
        assert mail.login == "monitor"
        assert mail.rcpt_tos == ("ops@example.test",)
        (subject,) = subjects(peer)
        assert subject.startswith("Monitor web on ")
        assert subject.endswith(" failed")

        with MonitorProcess(ini, "-H"):  # still down after the restart
            before = log_lines(tmp_path)
            wait_for(lambda: log_lines(tmp_path) >= before + 3)
        assert len(peer.messages) == 1
        assert statuses(tmp_path) == ["delivered"]


def test_monitor_recovered_while_process_was_down_gets_its_recovery(tmp_path):
    with smtp_server(tmp_path, users=USERS) as peer:
        ini = write_config(tmp_path, peer.port)
        with MonitorProcess(ini, "-H"):
            wait_for(lambda: peer.messages)
        write_config(tmp_path, peer.port, monitor_type="null")  # now it succeeds
        with MonitorProcess(ini, "-H"):
            wait_for(lambda: len(peer.messages) == 2)
    failed, succeeded = subjects(peer)
    assert failed.endswith(" failed")
    assert succeeded.endswith(" succeeded")
    assert "web" in peer.messages[1].message.get_content()


def test_alert_queued_while_mail_server_is_down_arrives_when_it_is_back(tmp_path):
    port = free_port()
    ini = write_config(tmp_path, port)
    # Any CA will do until the server is up: the connection is refused before TLS.
    trustme.CA().cert_pem.write_to_path(str(tmp_path / "smtp-ca.pem"))
    with MonitorProcess(ini, "-H") as proc:
        # the first attempt fails (connection refused) and is scheduled for a retry
        proc.wait_for(
            lambda: (
                outbox(proc.state_file)[:1]
                and outbox(proc.state_file)[0]["attempts"] >= 1
            )
        )
        assert statuses(tmp_path) == ["pending"]
        assert "Connection refused" in outbox(proc.state_file)[0]["last_error"]
        with smtp_server(tmp_path, users=USERS, port=port) as peer:
            proc.wait_for(lambda: peer.messages, timeout=30)
            proc.stop()
    assert len(peer.messages) == 1
    assert peer.messages[0].login == "monitor"
    assert statuses(tmp_path) == ["delivered"]


def test_hung_mail_server_does_not_delay_checks(tmp_path):
    with hanging_server() as (_, port):
        ini = write_config(tmp_path, port, smtp_timeout=60)
        trustme.CA().cert_pem.write_to_path(str(tmp_path / "smtp-ca.pem"))
        with MonitorProcess(ini, "-H") as proc:
            proc.wait_for(lambda: is_connected(port))  # stuck waiting for a greeting
            first = log_lines(tmp_path)
            proc.wait_for(lambda: log_lines(tmp_path) >= first + 5, timeout=30)
            # five rounds of a 1 s interval went by while the SMTP exchange hung
            (row,) = outbox(proc.state_file)
            assert (row["status"], row["attempts"]) == ("pending", 0)
        assert proc.proc.returncode == 0


def test_kill_9_mid_delivery_then_restart_delivers(tmp_path):
    with hanging_server() as (_, port):
        ini = write_config(tmp_path, port, smtp_timeout=60)
        trustme.CA().cert_pem.write_to_path(str(tmp_path / "smtp-ca.pem"))
        proc = MonitorProcess(ini, "-H")
        try:
            proc.wait_for(lambda: is_connected(port))  # being delivered right now
        finally:
            proc.kill()  # SIGKILL: no cleanup at all
    (row,) = outbox(tmp_path / "simplemon-state.db")
    assert row["status"] == "pending"
    with (
        smtp_server(tmp_path, users=USERS, port=port) as peer,
        MonitorProcess(ini, "-H") as proc,
    ):
        proc.wait_for(lambda: peer.messages, timeout=30)
        proc.wait_for(lambda: statuses(tmp_path) == ["delivered"])
    assert len(peer.messages) == 1
    assert row["event_id"] in str(peer.messages[0].message["Message-ID"])
