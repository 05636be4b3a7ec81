"""Security review by use: a real ``monitor.py`` with credentials in its INI files.

Each test runs the program as a subprocess against loopback servers and then reads
everything it produced (console, files, alert commands' argv and environment, state
file) for the secrets or hostile text it must never pass on.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import run_monitor
from tests.peers.http_server import HttpPeer, Reply

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]

#: Records argv and the whole environment of each run, one JSON line per event.
_RECORD = """\
import json, os, sys
with open(sys.argv[1], "a", encoding="utf-8") as out:
    out.write(json.dumps({"argv": sys.argv[2:], "env": dict(os.environ)}) + "\\n")
"""


def recorded(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def write_config(tmp_path: Path, monitors: str, *, extra: str = "") -> Path:
    (tmp_path / "record.py").write_text(_RECORD, encoding="utf-8")
    (tmp_path / "monitors.ini").write_text(monitors, encoding="utf-8")
    ini = tmp_path / "monitor.ini"
    ini.write_text(
        f"""\
[monitor]
interval = 1
monitors = monitors.ini
state_file = state.db

[reporting]
loggers = results, page
alerters = note

[results]
type = logfile
filename = results.log

[page]
type = json
filename = status.json

[note]
type = execute
fail_command = {sys.executable} record.py alerts.jsonl {{name}} {{info}} {{description}}
{extra}
""",
        encoding="utf-8",
    )
    return ini


def run(ini: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_monitor("-f", str(ini), "-C", *args, cwd=ini.parent)


def everything_written(folder: Path, proc: subprocess.CompletedProcess[str]) -> str:
    """Return the console output plus every file simplemon created, as text."""
    texts = [proc.stdout, proc.stderr]
    for path in sorted(folder.rglob("*")):
        ours = path.suffix == ".py" or path.name in ("monitor.ini", "monitors.ini")
        if path.is_file() and not ours:
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(texts)


def test_a_token_in_a_monitored_url_reaches_no_alert_log_or_file(tmp_path):
    with HttpPeer() as peer:
        peer.route("/health", Reply(500, b"down"))
        ini = write_config(
            tmp_path,
            f"[web]\ntype = http\nurl = {peer.url('/health')}?token=T0KENq&v=1\n",
        )
        proc = run(ini, "-1", "-d")
    assert proc.returncode == 1, proc.stderr
    alerts = recorded(tmp_path / "alerts.jsonl")
    assert len(alerts) == 1
    assert "token=***" in alerts[0]["argv"][2]  # the description, still useful
    assert "T0KENq" not in json.dumps(alerts)  # neither argv nor environment
    db = sqlite3.connect(tmp_path / "state.db")
    try:
        rows = db.execute("SELECT data FROM outbox").fetchall()
    finally:
        db.close()
    assert rows
    assert "T0KENq" not in repr(rows)
    assert "T0KENq" not in everything_written(tmp_path, proc)


def test_the_smtp_password_is_not_in_the_environment_of_alert_commands(tmp_path):
    with HttpPeer() as peer:
        peer.route("/", Reply(500, b"down"))
        ini = write_config(
            tmp_path,
            f"[web]\ntype = http\nurl = {peer.url('/')}\n",
            extra="[mail]\ntype = email\nenabled = no\nhost = 127.0.0.1\n"
            "to = a@localhost\nfrom = b@localhost\nusername = mon\n"
            "password = SMTPpw9\n",
        )
        proc = run(ini, "-1")
    assert proc.returncode == 1, proc.stderr
    alerts = recorded(tmp_path / "alerts.jsonl")
    assert alerts
    assert alerts[0]["env"]["SIMPLEMON_NAME"] == "web"
    assert "SMTPpw9" not in json.dumps(alerts)
    assert "SMTPpw9" not in everything_written(tmp_path, proc)


def test_a_crashing_plugin_traceback_shows_no_url_credentials(tmp_path):
    # A check whose own code raises with the URL in the message (a plugin bug):
    # the logged traceback and the recorded result must not carry the password.
    plugin = tmp_path / "buggy_mon.py"
    plugin.write_text(
        "from simplemon.monitors.null import NullMonitor\n"
        "class BuggyMonitor(NullMonitor):\n"
        "    type_name = 'buggy'\n"
        "    def check(self):\n"
        "        url = 'http://u:S3CRETpw@127.0.0.1/'\n"
        "        raise RuntimeError(f'failed {url} key=K3Yval')\n",
        encoding="utf-8",
    )
    ini = write_config(tmp_path, "[bug]\ntype = null\n")
    launcher = tmp_path / "launch.py"
    launcher.write_text(
        f"import sys\nsys.path[:0] = [{str(tmp_path)!r}, {str(REPO)!r}]\n"
        "from simplemon import registry\n"
        "import buggy_mon\n"
        "registry.MONITORS['null'] = 'buggy_mon:BuggyMonitor'\n"
        "from simplemon.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, str(launcher), "-f", str(ini), "-C", "-1"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert "Traceback" in proc.stderr, proc.stderr
    assert "RuntimeError" in proc.stderr
    written = everything_written(tmp_path, proc)
    assert "S3CRETpw" not in written
    assert "K3Yval" not in written


class RawHttp:
    """Answer every connection on 127.0.0.1 with one fixed raw HTTP response."""

    def __init__(self, response: bytes) -> None:
        self.response = response
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> RawHttp:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                with contextlib.suppress(OSError):
                    conn.recv(65536)
                    conn.sendall(self.response)


def test_hostile_reason_phrases_reach_the_console_log_as_plain_bounded_text(
    tmp_path,
):
    reason = (
        b"Oops \x1b[2J\x1b]0;pwned\x07 \xc2\x9b31m \xe2\x80\xaeevil " + b"A" * 20000
    )
    head = b"HTTP/1.1 500 " + reason + b"\r\nContent-Length: 0\r\n"
    with RawHttp(head + b"Connection: close\r\n\r\n") as server:
        url = f"http://127.0.0.1:{server.port}/"
        ini = write_config(tmp_path, f"[web]\ntype = http\nurl = {url}\n")
        proc = run(ini, "-1")
    assert proc.returncode == 1, proc.stderr
    failed = [line for line in proc.stderr.splitlines() if "monitor web:" in line]
    assert failed, proc.stderr
    assert "Oops" in failed[0]
    assert "\x1b" not in proc.stderr
    assert "\x07" not in proc.stderr
    assert "\x9b" not in proc.stderr
    assert "\u202e" not in proc.stderr  # a bidi override would flip the line
    assert max(len(line) for line in proc.stderr.splitlines()) < 2000
    alerts = recorded(tmp_path / "alerts.jsonl")
    assert "\x1b" not in alerts[0]["argv"][1]
    assert len(alerts[0]["argv"][1]) < 2000


def test_a_pid_file_symlink_planted_in_a_shared_folder_is_not_followed(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    (shared / "simplemon.pid").symlink_to(victim)
    ini = write_config(tmp_path, "[ok]\ntype = null\n")
    proc = run(ini, "--loops", "1", "-p", str(shared / "simplemon.pid"))
    assert proc.returncode == 0, proc.stderr
    assert victim.read_text(encoding="utf-8") == "precious\n"


def test_the_pid_file_holds_the_pid_while_running(tmp_path):
    ini = write_config(tmp_path, "[ok]\ntype = null\n")
    pidfile = tmp_path / "run.pid"
    with subprocess.Popen(
        [sys.executable, str(REPO / "monitor.py"), "-f", str(ini), "-C", "-p", pidfile],
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    ) as proc:
        try:
            for line in proc.stderr:  # type: ignore[union-attr]
                if "round 1:" in line:
                    break
            assert pidfile.read_text(encoding="ascii") == f"{proc.pid}\n"
            assert not pidfile.is_symlink()
        finally:
            proc.terminate()
            proc.communicate(timeout=30)
    assert not pidfile.exists()
    leftovers = [p.name for p in tmp_path.iterdir() if "run.pid" in p.name]
    assert leftovers == []


def test_files_simplemon_creates_follow_the_umask(tmp_path):
    ini = write_config(tmp_path, "[ok]\ntype = null\n")
    old = os.umask(0o027)
    try:
        proc = run(ini, "--loops", "1")
    finally:
        os.umask(old)
    assert proc.returncode == 0, proc.stderr
    for name in ("state.db", "results.log", "status.json"):
        mode = (tmp_path / name).stat().st_mode & 0o777
        assert mode & 0o007 == 0, f"{name} is {oct(mode)}"


def test_configuration_errors_do_not_quote_secrets(tmp_path):
    ini = write_config(
        tmp_path,
        "[a]\ntype = http\nurl = http://u:USERINFOpw@127.0.0.1:99999/?token=T0KENq\n"
        "[b]\ntype = http\nurl = http://127.0.0.1/\n"
        'headers = {"Authorization": "Bearer HDRsecret"\n'
        "[c]\ntype = http\nurl = http://127.0.0.1/\nmethod = POST\n"
        'json = {"password": "JSONsecret"\n',
    )
    with ini.open("a", encoding="utf-8") as f:
        f.write("[mail]\ntype = email\nhost = h\nto = a@h\nfrom = b@h\n")
        f.write("password SMTPpw9\n")
    proc = run(ini, "-t")
    assert proc.returncode == 2
    assert "line 27: expected [section] or key = value" in proc.stderr
    assert "SMTPpw9" not in proc.stderr
    ini.write_text(ini.read_text("utf-8").replace("password SMTPpw9", ""), "utf-8")
    proc = run(ini, "-t")
    assert proc.returncode == 2
    assert "[a] url = 'http://***@127.0.0.1:99999/?token=***'" in proc.stderr
    assert "[b] headers: expected a JSON object" in proc.stderr
    assert "[c] json: expected JSON" in proc.stderr
    for secret in ("USERINFOpw", "T0KENq", "HDRsecret", "JSONsecret", "SMTPpw9"):
        assert secret not in proc.stderr


def test_a_recover_command_that_hangs_is_killed_with_its_children(tmp_path):
    from simplemon.commands import run_command

    child = tmp_path / "child.pid"
    script = f"sleep 30 & echo $! > {child}; wait"
    started = time.monotonic()
    code = run_command("web", "recover_command", f"sh -c {shlex.quote(script)}", 1.0)
    assert code is None
    assert time.monotonic() - started < 10
    pid = int(child.read_text(encoding="ascii"))
    deadline = time.monotonic() + 5
    try:
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid), "the command's child outlived its timeout"
    finally:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def test_a_recover_command_leaving_a_daemon_behind_is_not_a_timeout(tmp_path):
    from simplemon.commands import run_command

    child = tmp_path / "child.pid"
    # Like an init script: starts a daemon that keeps stdout/stderr, then exits 0.
    script = f"sleep 30 & echo $! > {child}"
    started = time.monotonic()
    try:
        code = run_command("web", "recover_command", f"sh -c {shlex.quote(script)}", 5)
        assert code == 0
        assert time.monotonic() - started < 4
    finally:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(child.read_text(encoding="ascii")), signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_a_state_lock_symlink_planted_in_a_shared_folder_is_not_followed(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    (shared / "state.db.lock").symlink_to(victim)
    ini = write_config(tmp_path, "[ok]\ntype = null\n")
    text = ini.read_text(encoding="utf-8")
    ini.write_text(text.replace("state.db", str(shared / "state.db")), "utf-8")
    proc = run(ini, "-1")
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert proc.returncode != 0
    assert "cannot use state file" in proc.stderr
