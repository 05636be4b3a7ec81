"""`monitor.py -1` with more slow http checks than worker threads: each check's
timeout counts from its start, not from the round's (issue 5's bench found 400
one-second checks on 32 threads failed as "did not finish within 5s", unstarted)."""

from __future__ import annotations

import pytest

from tests.peers.http_server import HttpPeer, Reply
from tests.peers.monitor_process import run_monitor_once

pytestmark = pytest.mark.integration


def test_checks_queued_for_a_thread_get_their_whole_timeout(tmp_path):
    with HttpPeer() as peer:
        peer.route("/", Reply(200, b"ok", delay=0.6))
        sections = "".join(
            f"[web{i:02d}]\ntype = http\nurl = {peer.url('/')}\ntimeout = 1\n\n"
            for i in range(12)
        )
        (tmp_path / "monitors.ini").write_text(sections)
        ini = tmp_path / "monitor.ini"
        ini.write_text("[monitor]\ninterval = 60\n")
        # Two threads: six waves of 0.6 s, the last starting ~3 s after the round,
        # past every check's 1 s timeout and 2 s grace counted from the round.
        done = run_monitor_once(ini, "-1", "--threads", "2")
        served = len(peer.requests)
    assert done.returncode == 0, done.stderr
    assert "did not" not in done.stderr
    assert served == 12
