"""Lazy loggers: a quiet run never imports logging; any line that is written is
formatted (credentials masked) from the first one, ours or a library's.

Whether ``logging`` is imported is process-wide and pytest has imported it, so the
deferred cases run in a fresh interpreter (``python -c``); the rest in-process.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from simplemon import lazy_logging
from simplemon.lazy_logging import get_logger

REPO = Path(__file__).resolve().parents[2]

# A fresh interpreter set up as `monitor.py --no-timestamps -q` (or as ARGS says).
PRELUDE = """
import sys
sys.path.insert(0, {repo!r})
from simplemon import lazy_logging
from simplemon.cli_args import parse_args
from simplemon.console import setup_logging
from simplemon.lazy_logging import get_logger
setup_logging(parse_args(["--no-timestamps", "--no-colour", *{args!r}]))
def imported():
    return "logging" in sys.modules
"""


def run(body: str, *args: str) -> subprocess.CompletedProcess[str]:
    code = PRELUDE.format(repo=str(REPO), args=list(args)) + textwrap.dedent(body)
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_lines_below_the_level_neither_print_nor_import_logging():
    bare = subprocess.run(
        [sys.executable, "-c", "import sys; print('logging' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    if bare.stdout.strip() == "True":  # e.g. a site-wide .pth file imports it
        pytest.skip("this interpreter imports logging at start")
    done = run(
        """
        log = get_logger("simplemon.x")
        log.debug("d"); log.info("i"); log.warning("w")
        log.log(lazy_logging.WARNING, "w2")
        print(imported(), log.isEnabledFor(lazy_logging.WARNING))
        """,
        "-q",
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "False False\n", "")


def test_the_first_line_written_goes_through_the_console_formatter():
    # Without the deferred set-up the first line would reach logging's last-resort
    # handler: bare message, no level or name, the password in clear.
    done = run(
        """
        log = get_logger("simplemon.x")
        log.warning("not shown")
        log.error("GET http://u:hunter2@127.0.0.1/ failed")
        log.error("again, token=abc")
        print(imported())
        """,
        "-q",
    )
    assert done.returncode == 0
    assert done.stdout == "True\n"
    assert done.stderr.splitlines() == [
        "ERROR simplemon.x: GET http://***@127.0.0.1/ failed",
        "ERROR simplemon.x: again, token=***",
    ]


def test_a_library_that_imports_logging_gets_the_set_up_before_its_first_line():
    # settle() is what the CLI calls after loading plugins (requests, dnspython,
    # syslog's logging.handlers) and at the worker pool's first use.
    done = run(
        """
        import logging
        lazy_logging.settle()
        logging.getLogger("urllib3.connectionpool").warning(
            "Retrying http://admin:s3cret@127.0.0.1:8/"
        )
        """,
    )
    assert done.returncode == 0
    assert done.stderr == (
        "WARNING urllib3.connectionpool: Retrying http://***@127.0.0.1:8/\n"
    )


def test_a_second_threads_first_line_waits_for_the_set_up():
    # The set-up made slow: a line logged meanwhile on another thread must not
    # reach the root logger before its handler (logging's bare last resort).
    done = run(
        """
        import threading, time
        FORMAT = "%(levelname)s %(name)s: %(message)s"
        def slow_install():
            from simplemon import console_format  # imports logging
            time.sleep(0.3)
            console_format.install(lazy_logging.ERROR, FORMAT, False)
        lazy_logging.configure(lazy_logging.ERROR, slow_install)
        first = threading.Thread(target=get_logger("simplemon.a").error, args=("a",))
        first.start()
        time.sleep(0.1)
        get_logger("simplemon.b").error("b")
        first.join()
        print(imported())
        """,
    )
    assert (done.returncode, done.stdout) == (0, "True\n"), done.stderr
    assert sorted(done.stderr.splitlines()) == [
        "ERROR simplemon.a: a",
        "ERROR simplemon.b: b",
    ]


def test_debug_lines_are_written_when_asked_for():
    done = run(
        """
        get_logger("simplemon.x").debug("step %d", 3)
        """,
        "-d",
    )
    assert done.stderr == "DEBUG simplemon.x: step 3\n"


def test_with_logging_already_imported_the_set_up_is_done_at_once():
    root = logging.getLogger()
    handlers, before = root.handlers[:], root.level
    installed: list[int] = []
    try:
        lazy_logging.configure(lazy_logging.ERROR, lambda: installed.append(1))
        assert installed == [1]
        lazy_logging.settle()  # nothing pending: not run again
        assert installed == [1]
    finally:
        root.handlers[:], root.level = handlers, before


def _caller(log: lazy_logging.LazyLogger) -> None:
    log.warning("w %s", "a")
    log.log(lazy_logging.ERROR, "l")
    log.info("i")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("e")


def test_records_name_the_calling_function_and_carry_the_exception(caplog):
    log = get_logger("simplemon.lazytest")
    with caplog.at_level(logging.DEBUG, logger="simplemon.lazytest"):
        _caller(log)
    records = [r for r in caplog.records if r.name == "simplemon.lazytest"]
    assert [(r.levelname, r.getMessage()) for r in records] == [
        ("WARNING", "w a"),
        ("ERROR", "l"),
        ("INFO", "i"),
        ("ERROR", "e"),
    ]
    assert {r.funcName for r in records} == {"_caller"}
    assert {r.pathname for r in records} == {__file__}
    assert records[-1].exc_info is not None
    assert records[-1].exc_info[0] is ValueError


@pytest.mark.parametrize("level", [10, 20, 30, 40, 50])
def test_levels_follow_the_real_logger_once_logging_is_imported(caplog, level):
    log = get_logger("simplemon.lazylevels")
    with caplog.at_level(level, logger="simplemon.lazylevels"):
        assert [log.isEnabledFor(n) for n in (10, 20, 30, 40, 50)] == [
            n >= level for n in (10, 20, 30, 40, 50)
        ]
