# mypy: allow-untyped-defs, allow-incomplete-defs, allow-untyped-calls
"""monitor.py as a subprocess with a real STARTTLS SMTP server on loopback:
outages of the mail server, hung mail servers, restarts and kill -9."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.peers.alerting_smtp import SilentServer, TlsSmtp, free_port

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def write_config(
    tmp: Path, port: int, monitor_type: str = "fail", smtp_timeout: int = 5
):
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
            from = monitor@example.com
            to = ops@example.com
            ssl = starttls
            ca_file = smtp-ca.pem
            timeout = {smtp_timeout}
            """
        ),
        encoding="utf-8",
    )
    return tmp / "monitor.ini"


def start(ini: Path) -> subprocess.Popen[str]:
    with open(ini.parent / "stderr.log", "a") as err:
        return subprocess.Popen(
            [sys.executable, str(REPO / "monitor.py"), "-f", str(ini), "-H"],
            cwd=ini.parent,
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
        )


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def wait_for(predicate: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")


def log_lines(tmp: Path) -> int:
    path = tmp / "monitor.log"
    return len(path.read_text().splitlines()) if path.exists() else 0


def outbox(tmp: Path) -> list[tuple[str, str, int]]:
    path = tmp / "simplemon-state.db"
    if not path.exists():
        return []
    db = sqlite3.connect(str(path), timeout=5)
    try:
        rows = db.execute("SELECT event_id, status, attempts FROM outbox ORDER BY id")
        return [tuple(r) for r in rows.fetchall()]
    except sqlite3.OperationalError:  # the schema is being created right now
        return []
    finally:
        db.close()


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


@pytest.fixture
def smtp(tmp_path) -> Iterator[TlsSmtp]:
    server = TlsSmtp(tmp_path).start()
    yield server
    server.stop()


def test_failure_is_mailed_over_tls_once_and_restart_sends_no_duplicate(
    tmp_path, smtp, processes
):
    ini = write_config(tmp_path, smtp.port)
    processes.append(proc := start(ini))
    wait_for(smtp.recorder.subjects)
    wait_for(lambda: log_lines(tmp_path) >= 3)
    stop(proc)
    assert smtp.recorder.tls == [True]
    (subject,) = smtp.recorder.subjects()
    assert subject.startswith("Monitor web on ")
    assert subject.endswith(" failed")

    processes.append(proc := start(ini))  # still down after the restart
    before = log_lines(tmp_path)
    wait_for(lambda: log_lines(tmp_path) >= before + 3)
    stop(proc)
    assert len(smtp.recorder.subjects()) == 1
    assert [status for _, status, _ in outbox(tmp_path)] == ["delivered"]


def test_monitor_recovered_while_process_was_down_gets_its_recovery(
    tmp_path, smtp, processes
):
    ini = write_config(tmp_path, smtp.port)
    processes.append(proc := start(ini))
    wait_for(smtp.recorder.subjects)
    stop(proc)
    write_config(tmp_path, smtp.port, monitor_type="null")  # now it succeeds
    processes.append(proc := start(ini))
    wait_for(lambda: len(smtp.recorder.subjects()) == 2)
    stop(proc)
    subjects = smtp.recorder.subjects()
    assert subjects[0].endswith(" failed")
    assert subjects[1].endswith(" succeeded")
    body = smtp.recorder.messages[1].get_payload()
    assert "web" in str(body)


def test_alert_queued_while_mail_server_is_down_arrives_when_it_is_back(
    tmp_path, processes
):
    port = free_port()
    ini = write_config(tmp_path, port)
    server = TlsSmtp(tmp_path, port=port)  # not started: the mail server is down
    processes.append(proc := start(ini))
    # the first attempt fails (connection refused) and is scheduled for a retry
    wait_for(lambda: outbox(tmp_path) and outbox(tmp_path)[0][2] >= 1)
    assert outbox(tmp_path)[0][1] == "pending"
    server.start()
    try:
        wait_for(server.recorder.subjects, timeout=30)
        stop(proc)
        assert len(server.recorder.subjects()) == 1
        assert outbox(tmp_path)[0][1] == "delivered"
    finally:
        server.stop()


def test_hung_mail_server_does_not_delay_checks(tmp_path, processes):
    silent = SilentServer()
    try:
        ini = write_config(tmp_path, silent.port, smtp_timeout=60)
        TlsSmtp(tmp_path)  # writes the CA file the config names
        processes.append(proc := start(ini))
        wait_for(lambda: silent.accepted)  # delivery is now stuck in the greeting
        first = log_lines(tmp_path)
        started = time.monotonic()
        wait_for(lambda: log_lines(tmp_path) >= first + 5, timeout=30)
        # five rounds of a 1 s interval went by while the SMTP exchange hung
        assert time.monotonic() - started < 30
        assert outbox(tmp_path)[0][1] == "pending"
        stop(proc)
        assert proc.returncode == 0
    finally:
        silent.stop()


def test_kill_9_mid_delivery_then_restart_delivers(tmp_path, processes):
    silent = SilentServer()
    port = silent.port
    ini = write_config(tmp_path, port, smtp_timeout=60)
    TlsSmtp(tmp_path)  # writes the CA file the config names
    try:
        processes.append(proc := start(ini))
        wait_for(lambda: silent.accepted)  # the alert is being delivered right now
        proc.kill()  # SIGKILL: no cleanup at all
        proc.wait(10)
    finally:
        silent.stop()
    ((event_id, status, _),) = outbox(tmp_path)
    assert status == "pending"
    server = TlsSmtp(tmp_path, port=port).start()
    try:
        processes.append(proc := start(ini))
        wait_for(server.recorder.subjects, timeout=30)
        wait_for(lambda: outbox(tmp_path)[0][1] == "delivered")
        stop(proc)
        assert len(server.recorder.subjects()) == 1
        assert event_id in str(server.recorder.messages[0]["Message-ID"])
    finally:
        server.stop()
