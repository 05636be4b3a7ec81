"""Files another local user plants in a shared folder (/tmp) before simplemon runs.

simplemon often runs as root. When its log file, database or state file sits in a
folder everyone may write to, another user can put a symlink there pointing at a
file of root's (or a file of their own) first. The kernel's protected_symlinks and
protected_regular settings stop this on many systems, but not on all (containers,
older kernels), so simplemon must not rely on them.

These tests need root: they hand the planted symlink to ``nobody`` with lchown.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from tests.integration.conftest import run_monitor

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to plant as another user"),
]

NOBODY = 65534


def shared_folder(tmp_path: Path) -> Path:
    """Return a folder like /tmp: world-writable with the sticky bit."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    return shared


def plant_link(link: Path, target: Path, uid: int = NOBODY) -> None:
    link.symlink_to(target)
    os.lchown(link, uid, uid)


def write_config(tmp_path: Path, shared: Path) -> Path:
    (tmp_path / "monitors.ini").write_text("[ok]\ntype = null\n", encoding="utf-8")
    ini = tmp_path / "monitor.ini"
    ini.write_text(
        f"""\
[monitor]
interval = 1
monitors = monitors.ini
state_file = {shared / "state.db"}

[reporting]
loggers = results, db

[results]
type = logfile
filename = {shared / "results.log"}

[db]
type = db
path = {shared / "results.sqlite"}
""",
        encoding="utf-8",
    )
    return ini


def run(ini: Path, *args: str) -> tuple[int, str]:
    proc = run_monitor("-f", str(ini), "-C", *args, cwd=ini.parent)
    return proc.returncode, proc.stderr


def test_a_log_file_symlink_planted_by_another_user_is_not_followed(tmp_path):
    shared = shared_folder(tmp_path)
    victim = tmp_path / "passwd"
    victim.write_text("root:x:0:0::/root:/bin/sh\n", encoding="utf-8")
    plant_link(shared / "results.log", victim)
    code, stderr = run(write_config(tmp_path, shared), "--loops", "1")
    assert victim.read_text(encoding="utf-8") == "root:x:0:0::/root:/bin/sh\n"
    assert code == 0, stderr  # the monitor runs on; that logger reports its error
    assert "results.log" in stderr
    assert "symlink" in stderr


@pytest.mark.parametrize(
    ("planted", "starts", "said"),
    [
        ("results.sqlite", True, "results.sqlite"),  # the db logger reports it
        ("state.db", False, "cannot use state file"),  # no start on a forged state
    ],
)
def test_a_database_symlink_planted_by_another_user_creates_no_file(
    tmp_path, planted, starts, said
):
    shared = shared_folder(tmp_path)
    root_only = tmp_path / "etc"
    root_only.mkdir()
    plant_link(shared / planted, root_only / "target")
    code, stderr = run(write_config(tmp_path, shared), "--loops", "1")
    assert list(root_only.iterdir()) == []
    assert (code == 0) is starts, stderr
    assert said in stderr


def test_a_state_file_another_user_created_in_a_shared_folder_is_refused(tmp_path):
    # Its owner could rewrite the queued alerts (and what commands receive) at will.
    shared = shared_folder(tmp_path)
    forged = shared / "state.db"
    sqlite3.connect(forged).close()
    os.chown(forged, NOBODY, NOBODY)
    code, stderr = run(write_config(tmp_path, shared), "--loops", "1")
    assert code != 0
    assert "belongs to user 65534" in stderr


def test_files_in_a_shared_folder_that_simplemon_owns_are_used_as_usual(tmp_path):
    shared = shared_folder(tmp_path)
    ini = write_config(tmp_path, shared)
    for _ in range(2):  # created, then opened again
        code, stderr = run(ini, "--loops", "1")
        assert code == 0, stderr
        assert "ERROR" not in stderr
    assert (shared / "results.log").read_text("utf-8").count("ok: ok") == 2


def test_a_symlink_in_a_folder_another_user_made_first_is_not_followed(tmp_path):
    # /tmp/simplemon created by someone else before simplemon's first start.
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    os.chown(theirs, NOBODY, NOBODY)
    victim = tmp_path / "passwd"
    victim.write_text("root:x:0:0::/root:/bin/sh\n", encoding="utf-8")
    plant_link(theirs / "results.log", victim)
    code, stderr = run(write_config(tmp_path, theirs), "--loops", "1")
    assert victim.read_text(encoding="utf-8") == "root:x:0:0::/root:/bin/sh\n"
    assert code == 0, stderr
    assert "results.log: [Errno 1] not used: a symlink that belongs to user" in stderr


def test_a_symlink_root_made_in_a_shared_folder_is_followed(tmp_path):
    # A symlink of root's own is the admin's doing.
    shared = shared_folder(tmp_path)
    logs = tmp_path / "logs"
    logs.mkdir()
    plant_link(shared / "results.log", logs / "results.log", uid=0)
    code, stderr = run(write_config(tmp_path, shared), "--loops", "1")
    assert code == 0, stderr
    assert "ok: ok" in (logs / "results.log").read_text("utf-8")


def test_symlinks_in_a_private_folder_are_followed_as_before(tmp_path):
    private = tmp_path / "private"
    private.mkdir()
    logs = tmp_path / "logs"
    logs.mkdir()
    plant_link(private / "results.log", logs / "results.log")
    plant_link(private / "results.sqlite", logs / "results.sqlite")
    code, stderr = run(write_config(tmp_path, private), "--loops", "1")
    assert code == 0, stderr
    assert "ok: ok" in (logs / "results.log").read_text("utf-8")
    assert (logs / "results.sqlite").stat().st_size > 0
