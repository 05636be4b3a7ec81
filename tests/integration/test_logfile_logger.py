"""The logfile logger in a running monitor.py: logrotate's copytruncate."""

from __future__ import annotations

import shutil
import textwrap

import pytest

from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration


def test_copytruncate_rotation_goes_on_at_the_start_of_the_emptied_file(
    tmp_path, daemon
):
    # logrotate's copytruncate copies the file, then truncates it in place, with no
    # signal: the next lines must start the emptied file (no hole of NUL bytes left
    # where the old end was) and none may go missing from both files.
    (tmp_path / "monitors.ini").write_text("[web]\ntype = null\n")
    (tmp_path / "monitor.ini").write_text(
        textwrap.dedent(
            """
            [monitor]
            interval = 1
            monitors = monitors.ini
            [reporting]
            loggers = log
            [log]
            type = logfile
            filename = results.log
            """
        )
    )
    log = tmp_path / "results.log"
    daemon("-f", str(tmp_path / "monitor.ini"))

    def lines(path):
        return path.read_bytes().splitlines() if path.exists() else []

    assert wait_for(lambda: len(lines(log)) >= 3)
    copy = tmp_path / "results.log.1"
    with log.open("r+b") as live, copy.open("wb") as out:  # what copytruncate does
        shutil.copyfileobj(live, out)
        live.truncate(0)
    assert wait_for(lambda: len(lines(log)) >= 2)
    new = lines(log)
    assert b"\0" not in log.read_bytes()
    assert all(b" web: ok (" in line for line in new)
    before = [int(x.split()[0]) for x in lines(copy)]
    after = [int(x.split()[0]) for x in new]
    assert after[0] >= before[-1]
