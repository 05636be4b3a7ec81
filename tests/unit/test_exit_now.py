"""``exit_now``: monitor.py's exit keeps what a normal exit does, minus the teardown."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: Children buffer their standard output, as they do unless told otherwise.
BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def run_child(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "child.py"
    script.write_text(
        "import atexit, sys, threading, time\n"
        "from pathlib import Path\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from simplemon.cli import exit_now\n"
        f"out = Path({str(tmp_path / 'out.txt')!r})\n" + body
    )
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=BUFFERED,
        timeout=30,
        check=False,
    )


def test_exit_code_buffered_output_and_exit_handlers_survive(tmp_path):
    result = run_child(
        tmp_path,
        "atexit.register(lambda: out.write_text('handler ran'))\n"
        "print('last line', end='')\n"  # still in the pipe's buffer
        "sys.stderr.write('to stderr')\n"
        "exit_now(3)\n",
    )
    assert result.returncode == 3
    assert result.stdout == "last line"
    assert result.stderr == "to stderr"
    assert (tmp_path / "out.txt").read_text() == "handler ran"


def test_a_logging_handler_is_flushed_and_closed(tmp_path):
    result = run_child(
        tmp_path,
        "import logging\n"
        "handler = logging.FileHandler(out)\n"
        "logging.getLogger('x').addHandler(handler)\n"
        "logging.getLogger('x').warning('logged just before the exit')\n"
        "exit_now(0)\n",
    )
    assert result.returncode == 0
    assert out_text(tmp_path) == "logged just before the exit\n"


def test_a_thread_still_running_is_waited_for_as_in_a_normal_exit(tmp_path):
    result = run_child(
        tmp_path,
        "def late():\n"
        "    time.sleep(0.3)\n"
        "    out.write_text('thread finished')\n"
        "threading.Thread(target=late).start()\n"
        "exit_now(1)\n",
    )
    assert result.returncode == 1
    assert out_text(tmp_path) == "thread finished"


def test_standard_output_closed_by_the_reader_exits_120_like_python(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from simplemon.cli import exit_now\n"
        "sys.stdout.write('x' * 100)\n"  # buffered: the flush at exit fails
        "print('written', file=sys.stderr, flush=True)\n"
        "sys.stdin.read()\n"  # until the parent has closed its end
        "exit_now(0)\n"
    )
    child = subprocess.Popen(
        [sys.executable, str(script)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=BUFFERED,
    )
    assert child.stdout is not None
    assert child.stdin is not None
    assert child.stderr is not None
    assert child.stderr.readline() == b"written\n"
    child.stdout.close()
    child.stdin.close()
    assert child.wait(timeout=30) == 120
    child.stderr.close()


def out_text(tmp_path: Path) -> str:
    return (tmp_path / "out.txt").read_text()


def test_a_failed_flush_exits_120_even_after_a_failed_check(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(
        "import os, sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from simplemon.cli import exit_now\n"
        "sys.stdout.write('x' * 100)\n"  # buffered
        "os.close(1)\n"  # the flush at exit fails
        "exit_now(1)\n"
    )
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        env=BUFFERED,
        timeout=30,
        check=False,
    )
    assert result.returncode == 120
