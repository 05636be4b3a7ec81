import argparse
import gc
import logging
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from simplemon import cli, cli_args, daemon
from simplemon.cli_args import build_parser
from simplemon.console import setup_logging
from simplemon.state_store import StateStore

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("given", "level"),
    [
        ("warn", "warning"),  # SimpleMonitor's own default and help text
        ("WARNING", "warning"),
        ("Info", "info"),
        ("debug", "debug"),
        ("fatal", "critical"),
    ],
)
def test_log_level_accepts_simplemonitor_names_in_any_case(given, level):
    assert build_parser().parse_args(["-l", given]).log_level == level


def test_unknown_log_level_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["-l", "loud"])
    assert info.value.code == 2
    assert "expected one of debug, info, warning, error, critical" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("argv", "loops"),
    [
        ([], None),
        (["--loops", "3"], 3),
        (["--loops", "0"], None),
        (["--loops=-1"], None),
    ],
)
def test_loops_zero_or_negative_means_no_limit_as_in_simplemonitor(argv, loops):
    assert build_parser().parse_args(argv).loops == loops


@pytest.mark.parametrize(
    ("argv", "level"),
    [
        ([], logging.INFO),
        (["-l", "warn"], logging.WARNING),
        (["-l", "debug", "-q"], logging.ERROR),  # as in SimpleMonitor: -q wins
        (["-l", "error", "-v"], logging.INFO),
        (["-q", "-l", "critical", "-d"], logging.DEBUG),
    ],
)
def test_quiet_verbose_and_debug_win_over_log_level_as_in_simplemonitor(argv, level):
    root = logging.getLogger()
    handlers, before = root.handlers[:], root.level
    try:
        setup_logging(build_parser().parse_args(argv))
        assert root.level == level
    finally:
        root.handlers[:], root.level = handlers, before


def test_a_daemon_that_cannot_start_its_signal_thread_says_so_and_stops(
    write_ini, monkeypatch, capsys
):
    # Under a thread or pids limit the daemon died with a traceback, its state
    # file and delivery threads left to the interpreter's exit.
    def no_thread(act):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(daemon, "_start_relay", no_thread)
    main = write_ini("monitor.ini", "[monitor]\ninterval = 60\n")
    write_ini("monitors.ini", "[up]\ntype = null\n")
    root = logging.getLogger()
    handlers, before = root.handlers[:], root.level
    on_hup = signal.getsignal(signal.SIGHUP)
    try:
        assert cli.main(["-f", str(main), "-q"]) == 1
    finally:  # main() sets up the process's logging and SIGHUP: restore the tests'
        root.handlers[:], root.level = handlers, before
        signal.signal(signal.SIGHUP, on_hup)
    err = capsys.readouterr().err
    assert "cannot start the signal-handling thread: can't start new thread" in err
    assert "Traceback" not in err
    StateStore(main.parent / "simplemon-state.db").close()  # its lock was let go


@pytest.mark.parametrize("columns", [None, "50", "200", "abc", "-3", "0"])
def test_help_is_wrapped_as_argparse_would_wrap_it(monkeypatch, columns):
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert cli_args.terminal_columns() == shutil.get_terminal_size().columns
    ours = cli_args.build_parser()
    theirs = cli_args.build_parser()
    theirs.formatter_class = argparse.HelpFormatter
    assert ours.format_help() == theirs.format_help()


def test_a_second_main_in_one_process_lets_the_first_runs_objects_go(write_ini):
    # -t and -1 freeze what they load, so that exiting does not walk it; a later
    # main() in the same process (tests, embedding) must not keep it for ever.
    main = write_ini("monitor.ini", "[monitor]\ninterval = 60\n")
    write_ini("monitors.ini", "[up]\ntype = null\n")
    root = logging.getLogger()
    handlers, before = root.handlers[:], root.level
    try:
        assert cli.main(["-f", str(main), "-t", "-q"]) == 0
        frozen = gc.get_freeze_count()
        cycles: list[list[object]] = [[] for _ in range(frozen + 1000)]
        for cycle in cycles:
            cycle.append(cycle)  # only the collector frees a cycle
        gc.freeze()  # as if that run had made them, then dropped them
        del cycles, cycle
        assert cli.main(["-f", str(main), "-t", "-q"]) == 0
        assert gc.get_freeze_count() < frozen + 1000
    finally:
        gc.unfreeze()
        root.handlers[:], root.level = handlers, before


PLAIN_COMMAND_LINES = [
    [],
    ["-1"],
    ["-f", "x.ini", "-1", "-q"],
    ["--config", "a b.ini", "--one-shot", "--verbose"],
    ["-t", "-f", "monitor.ini"],
    ["-l", "WARN", "-C", "--no-timestamps", "-H"],
    ["--no-color", "-d", "-N"],
    ["--loops", "3", "-j", "4", "-p", "/run/x.pid"],
    ["--loops", "0", "--log-level", "fatal"],
    ["-f", "a.ini", "-f", "b.ini"],  # the last one wins
    ["--dump-known-resources"],
]


@pytest.mark.parametrize("argv", PLAIN_COMMAND_LINES)
def test_plain_command_lines_are_read_exactly_as_argparse_reads_them(argv):
    quick = cli_args._quick_parse(argv)
    assert quick is not None
    assert vars(quick) == vars(build_parser().parse_args(argv))


@pytest.mark.parametrize(
    "argv",
    [
        ["-h"],
        ["--version"],
        ["-1q"],  # combined short options
        ["--config=x.ini"],
        ["-fx.ini"],
        ["--conf", "x.ini"],  # an abbreviation
        ["-f"],  # value missing
        ["--loops", "-1"],  # a dash-word after an option: argparse decides
        ["-l", "loud"],  # a mistake: argparse words the message
        ["-j", "many"],
        ["--loops", "x"],
        ["monitor.ini"],  # a positional argument
    ],
)
def test_anything_else_is_left_to_argparse(argv):
    assert cli_args._quick_parse(argv) is None


def test_a_one_shot_does_not_load_argparse(write_ini):
    main = write_ini("monitor.ini", "[monitor]\ninterval = 60\n")
    write_ini("monitors.ini", "[up]\ntype = null\n")
    probe = (
        "import sys\n"
        "from simplemon.cli import main\n"
        "code = main(['-f', sys.argv[1], '-1', '-q'])\n"
        "print(code, 'argparse' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(main)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == ["0", "False"]


def test_a_mistake_still_gets_argparse_usage_message(capsys):
    with pytest.raises(SystemExit) as info:
        cli_args.parse_args(["-1", "--loops", "x"])
    assert info.value.code == 2
    assert (
        "argument --loops: expected a whole number, e.g. 10" in capsys.readouterr().err
    )
