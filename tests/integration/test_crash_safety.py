"""Crash and restart safety of alerts, through real ``monitor.py`` processes.

A seeded, bounded soak: a loopback HTTP target is flipped up and down; after each
flip the daemon is killed (SIGKILL), stopped (SIGTERM) or reloaded (SIGHUP) at a
random moment, restarted on the same state file, until the flip is committed.
Two alerters deliver every event: an execute alerter whose command appends one line
to a file, and an email alerter through a STARTTLS+AUTH SMTP server. At the end
each alerter must have received every failure and recovery exactly once, in order.

The only duplicates allowed are the documented ones (delivery is at least once): an
event that a process had started sending (its command ran, or the server got the
mail) but was still pending in the state file when that process died. Every copy
says which process generation sent it (the command's environment, the mail's From),
so each extra copy is checked against the outbox as it was left by that generation.
No timing is asserted; the seed fixes the sequence of actions and kill delays.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.peers.http_server import HttpPeer, Recorded, Reply
from tests.peers.monitor_process import REPO, MonitorProcess
from tests.peers.smtp_server import SmtpPeer, smtp_server

pytestmark = pytest.mark.integration

SEED = int(os.environ.get("SIMPLEMON_CRASH_SEED", "20261122"))
FLIPS = int(os.environ.get("SIMPLEMON_CRASH_FLIPS", "12"))
ALERTERS = ("pager", "mail")

#: The execute alerter's command: waits a moment (so that kills land inside it),
#: then appends one JSON line naming the event and the generation that ran it.
RECORDER = """\
import json, os, sys, time
entry = {
    "id": os.environ["SIMPLEMON_EVENT_ID"],
    "kind": os.environ["SIMPLEMON_EVENT"],
    "name": os.environ["SIMPLEMON_NAME"],
    "gen": int(os.environ["CRASH_GENERATION"]),
}
line = json.dumps(entry) + "\\n"
with open(sys.argv[1] + ".begun", "a", encoding="utf-8") as out:
    out.write(line)
time.sleep(float(sys.argv[2]))
with open(sys.argv[1], "a", encoding="utf-8") as out:
    out.write(line)
"""


def write_config(folder: Path, url: str, smtp: SmtpPeer, generation: int) -> Path:
    (folder / "recorder.py").write_text(RECORDER, encoding="utf-8")
    (folder / "monitors.ini").write_text(
        f"[web]\ntype = http\nurl = {url}\ntimeout = 2\n", encoding="utf-8"
    )
    ini = folder / "monitor.ini"
    ini.write_text(
        textwrap.dedent(
            f"""
            [monitor]
            interval = 1
            [reporting]
            alerters = {", ".join(ALERTERS)}
            [pager]
            type = execute
            fail_command = {sys.executable} recorder.py pager.jsonl 0.3
            success_command = {sys.executable} recorder.py pager.jsonl 0.3
            timeout = 10
            [mail]
            type = email
            host = {smtp.host}
            port = {smtp.port}
            from = gen{generation}@example.test
            to = ops@example.test
            ssl = starttls
            ca_file = {smtp.ca_file}
            username = monitor
            password = pw
            timeout = 10
            """
        ).lstrip(),
        encoding="utf-8",
    )
    return ini


def query(state_file: Path, sql: str) -> list[tuple[Any, ...]]:
    """Read the state file as an outsider would (empty while it is being created)."""
    if not state_file.exists():
        return []
    db = sqlite3.connect(f"file:{state_file}?mode=ro", uri=True, timeout=5)
    try:
        return db.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()


def committed_status(state_file: Path) -> str | None:
    rows = query(state_file, "SELECT status FROM monitor_state WHERE monitor='web'")
    return rows[0][0] if rows else None


def is_committed(state_file: Path, status: str) -> bool:
    return committed_status(state_file) == status


def pending(state_file: Path) -> set[tuple[str, str]]:
    """(alerter, event id) of every outbox row still to be delivered."""
    rows = query(
        state_file, "SELECT alerter, event_id FROM outbox WHERE status='pending'"
    )
    return {(a, e) for a, e in rows}


def deliveries(folder: Path, smtp: SmtpPeer) -> list[dict[str, Any]]:
    """Every copy delivered so far: alerter, event id, kind, sending generation."""
    copies = []
    pager = folder / "pager.jsonl"
    if pager.exists():
        for line in pager.read_text(encoding="utf-8").splitlines():
            copies.append({"alerter": "pager", **json.loads(line)})
    for received in list(smtp.messages):
        message = received.message
        event_id = str(message["Message-ID"]).split(".", 1)[1].split("@")[0]
        sender = str(message["From"])
        copies.append(
            {
                "alerter": "mail",
                "id": event_id,
                "kind": str(message["Subject"]),
                "gen": int(sender.removeprefix("gen").split("@")[0]),
            }
        )
    return copies


class Trigger:
    """When to act: ``delay`` seconds after the flip, or after a send began."""

    def __init__(self, soak: Soak, delay: float, on_send: bool) -> None:
        self.delay = delay
        self.sends = soak.sends_begun() if on_send else None
        self.at = None if on_send else time.monotonic() + delay

    def fires(self, soak: Soak) -> bool:
        if self.at is None and soak.sends_begun() > (self.sends or 0):
            self.at = time.monotonic() + self.delay
        return self.at is not None and time.monotonic() >= self.at


class Soak:
    """One target, one state file, a succession of monitor.py generations."""

    def __init__(self, folder: Path, web: HttpPeer, smtp: SmtpPeer) -> None:
        self.folder, self.web, self.smtp = folder, web, smtp
        self.generation = 0
        self.proc = self._start()
        #: generation -> outbox rows still pending when that generation had died
        self.left_pending: dict[int, set[tuple[str, str]]] = {}
        self.counts: Counter[str] = Counter()

    @property
    def state_file(self) -> Path:
        return self.folder / "simplemon-state.db"

    def _start(self) -> MonitorProcess:
        ini = write_config(self.folder, self.web.url("/"), self.smtp, self.generation)
        env = {**os.environ, "CRASH_GENERATION": str(self.generation)}
        return MonitorProcess(ini, env=env)

    def restart_if_dead(self) -> None:
        if self.proc.proc.poll() is None:
            return
        # -SIGTERM: stopped before its handlers were installed (during start-up).
        expected = (0, -signal.SIGKILL, -signal.SIGTERM)
        assert self.proc.proc.returncode in expected, self.proc.log()
        self.left_pending[self.generation] = pending(self.state_file)
        self.generation += 1
        self.counts["starts"] += 1
        self.proc = self._start()

    def act(self, action: str) -> None:
        self.counts[action] += 1
        if action == "kill":
            self.proc.kill()
        elif action == "term":
            self.proc.signal(signal.SIGTERM)
            try:
                self.proc.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise AssertionError("SIGTERM did not stop the daemon") from None
        elif action == "hup":
            # Only once it took the state file's lock: before the interpreter
            # reaches simplemon's code (~0.1 s), SIGHUP's default action applies.
            lock = self.folder / "simplemon-state.db.lock"
            pid = f"{self.proc.proc.pid}\n"
            self.proc.wait_for(lambda: lock.read_text(encoding="ascii") == pid)
            self.proc.signal(signal.SIGHUP)
        elif action == "double":  # two restarts in quick succession
            self.proc.kill()
            self.restart_if_dead()
            time.sleep(self.rng_delay)
            self.proc.kill()
        self.restart_if_dead()

    rng_delay = 0.0

    def sends_begun(self) -> int:
        """How many sends have begun (commands started, mails begun)."""
        begun = self.folder / "pager.jsonl.begun"
        commands = len(begun.read_text().splitlines()) if begun.exists() else 0
        return commands + self.smtp.transactions

    def until(
        self, done: Callable[[], bool], trigger: Trigger | None, action: str
    ) -> None:
        """Act when ``trigger`` fires, restart what died, until ``done``."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if trigger is not None and trigger.fires(self):
                self.act(action)
                trigger = None
            self.restart_if_dead()
            if trigger is None and done():
                return
            time.sleep(0.01)
        raise AssertionError(f"timed out; log:\n{self.proc.log()}")


@pytest.mark.timeout(120)
def test_kills_and_restarts_neither_lose_nor_duplicate_alerts(tmp_path):
    rng = random.Random(SEED)
    up = [True]

    def target(request: Recorded) -> Reply:
        return Reply(200, b"up") if up[0] else Reply(503, b"down")

    with HttpPeer() as web, smtp_server(tmp_path, users={"monitor": "pw"}) as smtp:
        web.route("/", target)
        smtp.reply_delay = 0.2
        soak = Soak(tmp_path, web, smtp)
        try:
            soak.until(lambda: committed_status(soak.state_file) == "ok", None, "")
            expected: list[str] = []
            for _ in range(FLIPS):
                up[0] = not up[0]
                expected.append("recovery" if up[0] else "failure")
                want = "ok" if up[0] else "failed"
                action = rng.choice(["kill"] * 4 + ["term", "hup", "double"])
                soak.rng_delay = rng.uniform(0.0, 0.6)
                if rng.random() < 0.5:  # at any moment of the check-save-send cycle
                    trigger = Trigger(soak, rng.uniform(0.0, 2.5), on_send=False)
                else:  # while the alerters are sending
                    soak.counts["during a send"] += 1
                    trigger = Trigger(soak, rng.uniform(0.0, 0.4), on_send=True)
                committed = partial(is_committed, soak.state_file, want)
                soak.until(committed, trigger, action)
            # Let everything queued go out, then stop cleanly.
            soak.until(lambda: not pending(soak.state_file), None, "")
            soak.proc.wait_rounds(1)
            assert soak.proc.stop() == 0, soak.proc.log()
        finally:
            soak.proc.kill()
        soak.left_pending[soak.generation] = pending(soak.state_file)
        copies = deliveries(tmp_path, smtp)

    unexplained = []
    for alerter in ALERTERS:
        mine = [c for c in copies if c["alerter"] == alerter]
        firsts: dict[str, dict[str, Any]] = {}
        for copy in mine:
            firsts.setdefault(copy["id"], copy)
        for event_id in firsts:
            # Sorted by generation: an orphaned command may finish after the
            # next generation sent the event again.
            gens = sorted(c["gen"] for c in mine if c["id"] == event_id)
            for earlier, later in itertools.pairwise(gens):
                # A repeat is allowed only from a later generation, when the
                # one that sent the earlier copy died with the event pending.
                left = soak.left_pending.get(earlier, set())
                if not (later > earlier and (alerter, event_id) in left):
                    unexplained.append((alerter, event_id, earlier, later))
        kinds = [c["kind"] for c in firsts.values()]
        if alerter == "mail":
            kinds = [
                "recovery" if k.endswith(" succeeded") else "failure" for k in kinds
            ]
        assert kinds == expected, (alerter, kinds, soak.counts)
    assert not unexplained, unexplained
    repeats = Counter(c["alerter"] for c in copies) - Counter(
        alerter for alerter, _ in {(c["alerter"], c["id"]) for c in copies}
    )
    print(
        f"seed {SEED}: {FLIPS} flips, {dict(soak.counts)}, {len(copies)} copies, "
        f"repeats in the documented window: {dict(repeats)}"
    )


# --- signals during start-up -----------------------------------------------------

#: Holds a write transaction on argv[1] for argv[2] seconds; prints "locked" first.
LOCKER = """\
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=5, isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
"""


def test_a_sighup_during_start_up_does_not_kill_the_daemon(tmp_path):
    """A reload (``systemctl reload``, logrotate's ``kill -HUP``) that came while
    the daemon was still starting killed it: SIGHUP's default action ran until the
    daemon installed its handler. Start-up is held here on a locked state file."""
    (tmp_path / "monitors.ini").write_text("[a]\ntype = null\n", encoding="utf-8")
    ini = tmp_path / "monitor.ini"
    ini.write_text("[monitor]\ninterval = 1\n", encoding="utf-8")
    first = subprocess.run(
        [sys.executable, str(REPO / "monitor.py"), "-f", str(ini), "-1"],
        cwd=tmp_path,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert first.returncode == 0, first.stderr
    state = tmp_path / "simplemon-state.db"
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(state), "3"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert locker.stdout is not None
        assert locker.stdout.readline().strip() == "locked"
        with MonitorProcess(ini) as proc:
            lock = tmp_path / "simplemon-state.db.lock"
            pid = f"{proc.proc.pid}\n"
            proc.wait_for(lambda: lock.read_text(encoding="ascii") == pid)
            proc.signal(signal.SIGHUP)  # start-up now waits for the locker
            proc.wait_rounds(2)
            assert "configuration reloaded" in proc.log()
    finally:
        locker.wait(30)
        assert locker.stdout is not None
        locker.stdout.close()


# --- restarts with a changed configuration ---------------------------------------

#: Records its event in argv[1] unless the file argv[2] exists (then exits 1).
FLAKY = """\
import json, os, sys
if os.path.exists(sys.argv[2]):
    sys.exit(1)
with open(sys.argv[1], "a", encoding="utf-8") as out:
    out.write(os.environ["SIMPLEMON_EVENT"] + "\\n")
"""


def test_an_alerter_removed_and_configured_again_gets_the_recovery_too(tmp_path):
    """A failure waits in the outbox (its command fails); the alerter is taken out
    of the configuration, the monitor recovers, the alerter is put back. The
    waiting failure went out and its recovery never did: the pager said "down"
    for good. Records of an alerter with messages waiting are now kept."""
    up = [False]
    (tmp_path / "flaky.py").write_text(FLAKY, encoding="utf-8")
    broken = tmp_path / "broken"
    broken.touch()
    command = f"{sys.executable} flaky.py pager.txt broken"

    def config(alerters: str) -> Path:
        ini = tmp_path / "monitor.ini"
        ini.write_text(
            textwrap.dedent(
                f"""
                [monitor]
                interval = 1
                [reporting]
                alerters = {alerters}
                [pager]
                type = execute
                fail_command = {command}
                success_command = {command}
                [other]
                type = execute
                fail_command = {sys.executable} flaky.py other.txt never
                success_command = {sys.executable} flaky.py other.txt never
                """
            ).lstrip(),
            encoding="utf-8",
        )
        return ini

    def target(request: Recorded) -> Reply:
        return Reply(200) if up[0] else Reply(503)

    with HttpPeer() as web:
        web.route("/", target)
        (tmp_path / "monitors.ini").write_text(
            f"[web]\ntype = http\nurl = {web.url('/')}\ntimeout = 2\n",
            encoding="utf-8",
        )
        with MonitorProcess(config("pager, other")) as proc:
            proc.wait_for(lambda: "could not send failure" in proc.log())
        with MonitorProcess(config("other")) as proc:
            up[0] = True
            state = proc.state_file
            proc.wait_for(lambda: committed_status(state) == "ok")
            proc.wait_rounds(1)
            assert "alerter pager: messages are waiting" in proc.log()
        broken.unlink()
        with MonitorProcess(config("pager, other")) as proc:
            # The recovery is queued by the first round: until then the outbox may
            # be empty already, the waiting failure delivered.
            proc.wait_rounds(1)
            proc.wait_for(lambda: not pending(proc.state_file))
    assert (tmp_path / "other.txt").read_text().split() == ["failure", "recovery"]
    assert (tmp_path / "pager.txt").read_text().split() == ["failure", "recovery"]
