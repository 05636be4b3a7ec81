"""A daemon's long life in fast motion: many reloads and rounds in-process, with
every logger kind and local alerters, must leave no descriptor, thread or object
behind. (Hours-long soaks of a real daemon are run by hand; see the QA report.)"""

from __future__ import annotations

import collections
import gc
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simplemon.cli import load, start_alerting, stop_alerting
from simplemon.scheduler import Scheduler

pytestmark = pytest.mark.integration


def write_config(folder: Path, syslog: Path, variant: int) -> Path:
    """Odd variants add an alerter, a logger and monitors; even ones remove them."""
    extra = variant % 2 == 1
    monitors = "[keep]\ntype = null\n[down]\ntype = fail\n"
    if extra:
        monitors += "[extra_ok]\ntype = null\n[extra_down]\ntype = fail\n"
    (folder / "monitors.ini").write_text(monitors, encoding="utf-8")
    ini = folder / "monitor.ini"
    ini.write_text(
        f"""
[monitor]
interval = 1

[reporting]
loggers = logfile, db, dbstatus, html{", json" if extra else ""}
alerters = run, log{", run2" if extra else ""}

[logfile]
type = logfile
filename = monitor.log
groups = _all

[db]
type = db
db_path = results.db
groups = _all

[dbstatus]
type = dbstatus
db_path = results.db
groups = _all

[html]
type = html
folder = html
groups = _all

[json]
type = json
filename = html/status.json
groups = _all

[run]
type = execute
fail_command = /bin/true {{name}}
success_command = /bin/true
groups = _all

[run2]
type = execute
fail_command = /bin/false
groups = _all

[log]
type = syslog
address = {syslog}
groups = _all
""",
        encoding="utf-8",
    )
    return ini


@pytest.fixture
def syslog(tmp_path: Path) -> Iterator[Path]:
    """A syslog socket that is read, as syslogd reads it.

    Unread, its queue (net.unix.max_dgram_qlen, 10 datagrams by default) filled
    within the run; the alerter's sends then timed out and its retries held a
    descriptor at the moment the test counted them.
    """
    path = tmp_path / "log.sock"
    stop = threading.Event()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        server.settimeout(0.1)

        def drain() -> None:
            while not stop.is_set():
                try:
                    server.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return

        reader = threading.Thread(target=drain, name="test-syslogd", daemon=True)
        reader.start()
        try:
            yield path
        finally:
            stop.set()
            reader.join(5)


def settle(scheduler: Scheduler) -> None:
    """Let loggers finish writing and closing (they do it beside the rounds)."""
    assert scheduler.wait_for_loggers(10)
    gc.collect()


def descriptors() -> int:
    """Count open descriptors, each SQLite database file once.

    SQLite keeps the descriptor of a connection closed while another connection
    of this process holds a lock on the same file (in WAL mode, for as long as it
    is open), and reuses it at the next open: at most one per file, not a leak.
    A leaked connection still shows, by its own -wal descriptor.
    """
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            targets.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:  # the one listdir used, closed meanwhile
            continue
    databases = [t for t in targets if t.endswith(".db")]
    return len(targets) - len(databases) + len(set(databases))


def threads() -> list[str]:
    """Return the names of the threads but the check pool's (it grows to -j)."""
    return [t.name for t in threading.enumerate() if not t.name.startswith("check-")]


def back_to(fds: int, count: int) -> tuple[int, int]:
    """Return (descriptors, threads) once both are at most these, or after 10 s.

    A delivery in progress holds a descriptor for a moment, and the worker of an
    alerter a reload removed ends within a second.
    """
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if descriptors() <= fds and len(threads()) <= count:
            break
        time.sleep(0.05)
    return descriptors(), len(threads())


def test_reloads_and_rounds_leave_nothing_behind(tmp_path, syslog):
    config = load(str(write_config(tmp_path, syslog, 0)))
    assert config is not None
    store, notifier = start_alerting(config)
    scheduler = Scheduler(config, observers=[notifier], states=notifier.states)

    def cycles(count: int, start: int) -> None:
        for variant in range(start, start + count):
            new = load(str(write_config(tmp_path, syslog, variant)))
            assert new is not None
            scheduler.reload(new)
            notifier.reload(new)
            scheduler.reopen_loggers()
            scheduler.run_once()

    # pytest keeps every log record: they would count as objects left behind.
    logging.disable(logging.CRITICAL)
    try:
        cycles(10, 1)  # warm-up: every logger and alerter has opened what it keeps
        settle(scheduler)
        fds, count = descriptors(), len(threads())
        objects = collections.Counter(type(o).__name__ for o in gc.get_objects())
        cycles(40, 11)
        settle(scheduler)
        fds_after, count_after = back_to(fds, count)
        gc.collect()
        grown = collections.Counter(type(o).__name__ for o in gc.get_objects())
        grown.subtract(objects)
        assert fds_after <= fds
        assert count_after <= count, threads()
        assert sum(grown.values()) < 200, grown.most_common(5)  # not per cycle
    finally:
        logging.disable(logging.NOTSET)
        scheduler.close_loggers()
        stop_alerting(store, notifier)
