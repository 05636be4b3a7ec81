"""The command line as an operator drives it: pid files, flags, stops."""

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.integration.conftest import run_monitor
from tests.peers.monitor_process import (
    REPO,
    MonitorProcess,
    run_monitor_once,
    write_null_config,
)

pytestmark = pytest.mark.integration


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def config(tmp_path: Path, extra: str = "") -> Path:
    write(tmp_path / "monitors.ini", "[ok]\ntype = null\n")
    return write(
        tmp_path / "monitor.ini",
        f"""
        [monitor]
        interval = 1
        {extra}
        """,
    )


@pytest.mark.parametrize("where", ["a-folder", "a-file/monitor.pid"])
def test_unwritable_pidfile_is_one_error_line_not_a_traceback_at_stop(tmp_path, where):
    main = config(tmp_path)
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "a-file").write_text("not a folder\n")
    result = run_monitor("-f", str(main), "-p", str(tmp_path / where), "--loops", "1")
    assert "cannot write pid file" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.returncode == 0
    assert (tmp_path / "a-folder").is_dir()
    assert (tmp_path / "a-file").read_text() == "not a folder\n"


def test_pidfile_folder_is_created_like_the_other_files(tmp_path):
    main = config(tmp_path, extra="pidfile = run/simplemon/monitor.pid")
    pidfile = tmp_path / "run" / "simplemon" / "monitor.pid"
    result = run_monitor("-f", str(main), "--loops", "1")
    assert result.returncode == 0, result.stderr
    assert "cannot write pid file" not in result.stderr
    assert not pidfile.exists()  # written, then removed on the clean stop
    assert pidfile.parent.is_dir()


@pytest.mark.parametrize("how", ["option", "key"])
def test_test_mode_warns_about_a_pidfile_that_cannot_be_written(tmp_path, how):
    (tmp_path / "a-file").write_text("not a folder\n")
    bad = tmp_path / "a-file" / "monitor.pid"
    main = config(tmp_path, extra=f"pidfile = {bad}" if how == "key" else "")
    flags = ("-p", str(bad)) if how == "option" else ()
    result = run_monitor("-t", "-f", str(main), *flags)
    assert result.returncode == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if "pid" in line]
    assert len(warned) == 1, result.stderr
    assert f"{tmp_path / 'a-file'} is not a folder" in warned[0]
    assert (tmp_path / "a-file").read_text() == "not a folder\n"


def test_test_mode_is_quiet_about_a_pidfile_that_can_be_written(tmp_path):
    main = config(tmp_path, extra="pidfile = run/monitor.pid")
    result = run_monitor("-t", "-f", str(main), "-p", str(tmp_path / "other.pid"))
    assert result.returncode == 0, result.stderr
    assert "pid" not in result.stderr
    assert not (tmp_path / "run").exists()


def test_a_state_file_deleted_while_running_keeps_its_lock_file(tmp_path):
    """`rm simplemon-state.db` leaves the `.lock` file, which the daemon still
    holds: it used to take it again, find itself in the way ('in use by another
    simplemon (process <its own id>)') and never write the file again, so a
    restart forgot every state and queued alert."""
    ini = write_null_config(tmp_path, "[monitor]\ninterval = 1\n")
    with MonitorProcess(ini) as proc:
        proc.wait_rounds(1)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{proc.state_file}{suffix}").unlink(missing_ok=True)
        proc.wait_for(lambda: "was deleted" in proc.log())
        proc.wait_rounds(2)
        assert "in use by another" not in proc.log()
        assert proc.state_file.exists()
        second = run_monitor_once(ini, "-1")
        assert second.returncode == 3
        assert f"(process {proc.proc.pid})" in second.stderr
    with sqlite3.connect(proc.state_file) as db:
        assert db.execute("SELECT monitor FROM monitor_state").fetchall() == [("a",)]


@pytest.mark.parametrize("flag", ["--dump-known-resources", "-t"])
def test_output_to_a_closed_pipe_is_no_traceback(tmp_path, flag):
    """`simplemon --dump-known-resources | head -3`: the reader leaves early."""
    main = config(tmp_path)
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody reads: the first write fails with EPIPE
    try:
        result = subprocess.run(
            [sys.executable, str(REPO / "monitor.py"), "-f", str(main), flag],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=30,
            check=False,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in result.stderr
    assert result.stderr == ""
    assert result.returncode == 0
