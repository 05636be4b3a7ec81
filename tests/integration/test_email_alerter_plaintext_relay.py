# mypy: allow-untyped-defs, allow-incomplete-defs, allow-untyped-calls
"""A SimpleMonitor config mailing a plaintext relay, as a migrating user meets it:
no ``ssl`` key, so simplemon requires STARTTLS, and the error must say ``ssl = no``.

Real ``monitor.py`` processes and a real plaintext SMTP server (aiosmtpd) on
127.0.0.1; every wait is bounded.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.peers.monitor_process import MonitorProcess, outbox
from tests.peers.smtp_server import smtp_server

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def write_config(folder: Path, port: int, extra: str = "") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "monitors.ini").write_text(
        "[a]\ntype = fail\ninterval = 1000\n", encoding="utf-8"
    )
    ini = folder / "monitor.ini"
    ini.write_text(
        "[monitor]\ninterval = 1\n[reporting]\nalerters = mail\n"
        "[mail]\ntype = email\nhost = 127.0.0.1\n"
        f"port = {port}\nfrom = monitor@example.test\nto = ops@example.test\n{extra}",
        encoding="utf-8",
    )
    return ini


def test_a_plaintext_relay_without_ssl_key_is_told_to_set_ssl_no(tmp_path):
    """The alert waits (no GAVE UP) until the hint is followed and the config
    reloaded; then the same alert goes out, once, to the same relay."""
    with smtp_server(tmp_path, tls="none") as peer:
        ini = write_config(tmp_path / "as-migrated", peer.port)
        with MonitorProcess(ini) as proc:
            proc.wait_for(lambda: "could not send failure for monitor a" in proc.log())
            line = next(
                line
                for line in proc.log().splitlines()
                if "could not send failure for monitor a" in line
            )
            assert not peer.messages
            # Following the hint: the same relay takes the waiting mail.
            write_config(tmp_path / "as-migrated", peer.port, "ssl = no\n")
            proc.signal(signal.SIGHUP)
            message = peer.wait_for_message()
            proc.wait_for(lambda: "alerter mail: sent failure" in proc.log())
        log = proc.log()
    assert "server does not offer STARTTLS; refusing to send in plaintext" in line
    assert "set ssl = no for a plaintext relay" in line
    assert "ssl = yes with a port that speaks TLS at once (465)" in line
    assert "ssl = yes for implicit TLS?" not in line
    assert "GAVE UP" not in log
    assert [row["status"] for row in outbox(ini.parent / "simplemon-state.db")] == [
        "delivered"
    ]
    assert len(peer.messages) == 1
    assert not message.tls
    assert message.rcpt_tos == ("ops@example.test",)
