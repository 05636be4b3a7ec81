import os
import shutil
import signal
import sys
import textwrap
from pathlib import Path

import pytest

from simplemon.config import load_config
from tests.integration.conftest import REPO, run_monitor, wait_for

pytestmark = pytest.mark.integration


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def config(tmp_path: Path, monitors: str, interval: int = 1, extra: str = "") -> Path:
    write(tmp_path / "monitors.ini", monitors)
    return write(
        tmp_path / "monitor.ini",
        f"""
        [monitor]
        interval = {interval}
        {extra}
        [reporting]
        loggers = log
        [log]
        type = logfile
        filename = results.log
        groups = _all
        buffered = no
        """,
    )


def log_lines(tmp_path: Path) -> list[str]:
    path = tmp_path / "results.log"
    return path.read_text().splitlines() if path.exists() else []


def test_test_mode_validates_without_side_effects(tmp_path):
    main = config(tmp_path, "[a]\ntype = null\n", extra="pidfile = run.pid")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_monitor("-t", "-f", str(main))
    assert result.returncode == 0, result.stderr
    assert "configuration OK: 1 monitor, 1 logger, 0 alerters" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_test_mode_creates_no_database_page_or_json(tmp_path):
    write(tmp_path / "monitors.ini", "[a]\ntype = null\n")
    main = write(
        tmp_path / "monitor.ini",
        """
        [monitor]
        interval = 1
        [reporting]
        loggers = results, status, page, twin
        [results]
        type = db
        db_path = data/results.db
        [status]
        type = dbstatus
        db_path = status.db
        [page]
        type = html
        folder = www
        history = history/page.db
        [twin]
        type = json
        filename = out/status.json
        """,
    )
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    result = run_monitor("-t", "-f", str(main))
    assert result.returncode == 0, result.stderr
    assert "configuration OK: 1 monitor, 4 loggers, 0 alerters" in result.stdout
    after = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert after == before
    assert "cannot write" not in result.stderr  # missing folders are created later
    # The same configuration without -t does write all of them.
    assert run_monitor("-1", "-f", str(main)).returncode == 0
    for made in ("data/results.db", "status.db", "www/index.html", "history/page.db"):
        assert (tmp_path / made).is_file(), made
    assert (tmp_path / "out" / "status.json").is_file()


def test_test_mode_warns_about_logger_files_that_cannot_be_written(tmp_path):
    write(tmp_path / "monitors.ini", "[a]\ntype = null\n")
    (tmp_path / "blocker").write_text("a file, where a folder should be\n")
    (tmp_path / "adir").mkdir()
    main = write(
        tmp_path / "monitor.ini",
        """
        [monitor]
        interval = 1
        [reporting]
        loggers = log, results, page, dirlog, fine
        [log]
        type = logfile
        filename = blocker/results.log
        [results]
        type = db
        db_path = blocker/deeper/results.db
        [page]
        type = html
        folder = blocker
        [dirlog]
        type = logfile
        filename = adir
        [fine]
        type = json
        filename = out/status.json
        """,
    )
    result = run_monitor("-t", "-f", str(main))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    warned = [line for line in result.stderr.splitlines() if "cannot write" in line]
    blocker = tmp_path / "blocker"
    assert len(warned) == 4, result.stderr
    assert f"[log] {blocker} is not a folder: this logger cannot write" in warned[0]
    assert (
        f"[results] folder {blocker}/deeper cannot be created: {blocker} is not a "
        "folder" in warned[1]
    )
    assert f"[page] {blocker} is not a folder" in warned[2]
    assert f"[dirlog] {tmp_path / 'adir'} is a folder; expected a file" in warned[3]
    # The run itself reports the same loggers failing, and the good one still writes.
    assert run_monitor("-1", "-f", str(main)).returncode == 0
    assert (tmp_path / "out" / "status.json").is_file()


def test_broken_config_lists_every_error_exits_2_without_traceback(tmp_path):
    main = config(
        tmp_path,
        """
        [web]
        type = htpp
        [db]
        type = fail
        interval = often
        tolerence = 1
        """,
    )
    result = run_monitor("-t", "-f", str(main))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 3
    assert "[web] type = 'htpp': unknown type 'htpp'" in result.stderr
    assert "[db] interval = 'often': expected a whole number" in result.stderr
    assert "did you mean 'tolerance'?" in result.stderr
    assert not (tmp_path / "results.log").exists()
    # without -t the same config also refuses to start
    assert run_monitor("-1", "-f", str(main)).returncode == 2


def test_missing_config_file_is_a_config_error(tmp_path):
    result = run_monitor("-f", str(tmp_path / "absent.ini"))
    assert result.returncode == 2
    assert "absent.ini: cannot read file" in result.stderr
    assert "Traceback" not in result.stderr


def test_one_shot_exits_1_when_any_check_failed_even_within_tolerance(tmp_path):
    main = config(
        tmp_path,
        """
        [ok]
        type = null
        [flaky]
        type = fail
        tolerance = 5
        [child]
        type = null
        depend = flaky
        """,
    )
    result = run_monitor("-1", "-f", str(main))
    assert result.returncode == 1, result.stderr
    lines = log_lines(tmp_path)
    assert lines[0].endswith("simplemon starting")
    assert any(" ok: ok (" in line for line in lines)
    assert any(
        " flaky: failing, 1 of 5 tolerated (This monitor always fails.)" in line
        for line in lines
    )
    assert any(
        " child: skipped (depends on flaky, which is failing)" in line for line in lines
    )


def test_a_relative_config_path_keeps_every_file_next_to_monitor_ini(tmp_path):
    """`-f cfg/monitor.ini` put the state file in cfg/cfg/ (joined twice), a folder
    it created, while `-t` had checked cfg/simplemon-state.db."""
    folder = tmp_path / "cfg"
    folder.mkdir()
    config(folder, "[a]\ntype = null\n")
    result = run_monitor("-1", "-f", "cfg/monitor.ini", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (folder / "simplemon-state.db").exists()
    assert (folder / "results.log").exists()
    assert not (folder / "cfg").exists()


def test_one_shot_exits_0_when_all_pass(tmp_path):
    main = config(tmp_path, "[a]\ntype = null\n[b]\ntype = null\ndepend = a\n")
    result = run_monitor("-1", "-f", str(main))
    assert result.returncode == 0, result.stderr
    assert len([x for x in log_lines(tmp_path) if ": ok (" in x]) == 2


def test_loops_runs_that_many_rounds_on_the_interval(tmp_path):
    main = config(tmp_path, "[a]\ntype = fail\ninterval = 9\n")
    result = run_monitor("--loops", "3", "-f", str(main), timeout=30)
    assert result.returncode == 0, result.stderr
    fails = [x for x in log_lines(tmp_path) if " a: failed since " in x]
    assert [x.split("VFC=")[1][0] for x in fails] == ["1", "2", "3"]
    assert result.stderr.count("round ") == 3


def test_sigterm_stops_cleanly_and_removes_pidfile(tmp_path, daemon):
    main = config(tmp_path, "[a]\ntype = null\n", interval=30)
    pidfile = tmp_path / "monitor.pid"
    proc = daemon("-f", str(main), "-p", str(pidfile))
    assert wait_for(lambda: pidfile.exists() and len(log_lines(tmp_path)) >= 2)
    assert pidfile.read_text().strip() == str(proc.pid)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    assert not pidfile.exists()


def test_sighup_reloads_keeping_state_and_reopens_rotated_log(tmp_path, daemon):
    main = config(tmp_path, "[a]\ntype = fail\ninterval = 50\n")
    proc = daemon("-f", str(main))
    assert wait_for(lambda: any("VFC=2" in x for x in log_lines(tmp_path)))
    (tmp_path / "results.log").rename(tmp_path / "results.log.1")
    write(
        tmp_path / "monitors.ini", "[a]\ntype = fail\ninterval = 50\n[b]\ntype = null\n"
    )
    proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: any(" b: ok" in x for x in log_lines(tmp_path)))
    lines = log_lines(tmp_path)
    vfcs = [int(x.split("VFC=")[1].split()[0]) for x in lines if " a: failed" in x]
    assert vfcs
    assert vfcs[0] >= 3  # state carried over the reload, no restart from 1
    assert proc.poll() is None


def test_broken_reload_keeps_running_the_old_config(tmp_path, daemon):
    main = config(tmp_path, "[a]\ntype = null\n")
    proc = daemon("-f", str(main))
    assert wait_for(lambda: any(" a: ok" in x for x in log_lines(tmp_path)))
    write(tmp_path / "monitors.ini", "[a]\ntype = nul\n")
    proc.send_signal(signal.SIGHUP)
    stderr = tmp_path / "stderr-0.txt"
    assert wait_for(lambda: "still running the previous one" in stderr.read_text())
    count = len(log_lines(tmp_path))
    assert wait_for(lambda: len(log_lines(tmp_path)) > count + 1)
    assert "unknown type 'nul'" in stderr.read_text()
    assert "Traceback" not in stderr.read_text()
    assert proc.poll() is None


def test_hup_file_touch_triggers_reload(tmp_path, daemon):
    hup = tmp_path / "reload.me"
    hup.write_text("")
    main = config(tmp_path, "[a]\ntype = null\n", extra=f"hup_file = {hup.name}")
    daemon("-f", str(main))
    assert wait_for(lambda: any(" a: ok" in x for x in log_lines(tmp_path)))
    write(tmp_path / "monitors.ini", "[a]\ntype = null\n[c]\ntype = null\n")
    hup.write_text("x")
    os.utime(hup, (hup.stat().st_atime + 5, hup.stat().st_mtime + 5))
    assert wait_for(lambda: any(" c: ok" in x for x in log_lines(tmp_path)))


def test_dump_known_resources_and_version():
    result = run_monitor("--dump-known-resources")
    assert result.returncode == 0
    assert "monitors:" in result.stdout
    assert "  fail " in result.stdout
    assert "  logfile " in result.stdout
    version = run_monitor("--version")
    assert version.stdout.startswith("simplemon ")


def test_shipped_example_configs_load_and_run_anywhere(tmp_path):
    config_obj = load_config(REPO / "monitor.ini")
    assert config_obj.monitors
    for name in ("monitor.ini", "monitors.ini"):
        shutil.copy(REPO / name, tmp_path / name)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert run_monitor("-t", "-f", str(tmp_path / "monitor.ini")).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # -t: no side effects
    result = run_monitor("-1", "-f", str(tmp_path / "monitor.ini"), timeout=90)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr


def test_logfile_heartbeat_logs_only_monitors_whose_check_ran(tmp_path):
    # SimpleMonitor's heartbeat (its #923): log only monitors executed this loop.
    write(
        tmp_path / "monitors.ini",
        "[slow]\ntype = null\ngap = 3600\n[down]\ntype = fail\n"
        "[child]\ntype = null\ndepend = down\n",
    )
    main = write(
        tmp_path / "monitor.ini",
        """
        [monitor]
        interval = 1
        [reporting]
        loggers = plain, beat
        [plain]
        type = logfile
        filename = plain.log
        groups = _all
        [beat]
        type = logfile
        filename = beat.log
        groups = _all
        heartbeat = yes
        """,
    )
    assert run_monitor("--loops", "2", "-f", str(main)).returncode == 0
    plain = (tmp_path / "plain.log").read_text()
    beat = (tmp_path / "beat.log").read_text()
    assert plain.count(" slow: ok") == beat.count(" slow: ok") == 1
    assert plain.count(" down: ") == beat.count(" down: ") == 2
    assert plain.count(" child: skipped") == 2
    assert " child: " not in beat


def test_recover_and_recovered_commands_run_without_a_shell(tmp_path):
    script = tmp_path / "note.py"
    script.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text() + repr(sys.argv[2:]) + '\\n' if p.exists() "
        "else repr(sys.argv[2:]) + '\\n')\n"
    )
    out = tmp_path / "commands.txt"
    py = sys.executable
    main = config(
        tmp_path,
        f"""
        [flappy]
        type = fail
        interval = 2
        recover_command = {py} {script} {out} 'try fix; $(reboot)'
        recovered_command = {py} {script} {out} recovered
        """,
    )
    result = run_monitor("--loops", "3", "-f", str(main), timeout=30)
    assert result.returncode == 0, result.stderr
    assert wait_for(lambda: out.exists() and len(out.read_text().splitlines()) == 2)
    assert out.read_text().splitlines() == ["['try fix; $(reboot)']", "['recovered']"]


@pytest.mark.parametrize(
    ("flags", "present", "absent"),
    [
        ((), ["round 1: 1 checked"], ["monitor a: ok"]),
        (("-q",), [], ["round 1", "monitor a"]),
        (("-d",), ["monitor a: ok"], []),
        (("-l", "warning"), [], ["round 1"]),
        (("-H",), [], ["round 1"]),
    ],
)
def test_output_controls(tmp_path, flags, present, absent):
    main = config(tmp_path, "[a]\ntype = null\n")
    result = run_monitor("--loops", "1", "-f", str(main), *flags)
    assert result.returncode == 0
    for text in present:
        assert text in result.stderr
    for text in absent:
        assert text not in result.stderr


def test_no_timestamps_and_no_colour(tmp_path):
    main = config(tmp_path, "[a]\ntype = null\n")
    stamped = run_monitor("--loops", "1", "-f", str(main)).stderr.splitlines()
    plain = run_monitor("--loops", "1", "-f", str(main), "--no-timestamps", "-C")
    assert stamped[0][:2] == "20"
    assert plain.stderr.splitlines()[0].startswith("INFO ")
    assert "\033[" not in plain.stderr


def test_unusable_state_file_is_a_clear_error_not_a_traceback(tmp_path):
    (tmp_path / "not-a-db").write_text("some other file\n" * 100)
    main = config(tmp_path, "[a]\ntype = null\n", extra="state_file = not-a-db")
    result = run_monitor("-1", "-f", str(main))
    assert result.returncode == 3  # nothing ran: not a failed check (1)
    assert "cannot use state file" in result.stderr
    assert "not-a-db" in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "not-a-db").read_text() == "some other file\n" * 100


def test_messages_left_for_an_alerter_no_longer_configured_are_reported(tmp_path):
    from datetime import UTC, datetime

    from simplemon.model import AlertEvent, EventKind
    from simplemon.state_store import StateStore

    store = StateStore(tmp_path / "simplemon-state.db")
    now = datetime.now(UTC)
    event = AlertEvent(
        EventKind.FAILURE, "a", "pager", now, "h", now, 1, 0, "down", "", event_id="e1"
    )
    store.save_round({}, {}, [event])
    store.close()
    main = config(tmp_path, "[a]\ntype = null\n")
    result = run_monitor("-1", "-f", str(main))
    assert result.returncode == 0, result.stderr
    assert "alerter pager: messages are waiting" in result.stderr
