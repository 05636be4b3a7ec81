"""Command line: parse arguments, set up logging, load the config and run the loop.

Exit codes: 0 OK, 1 a check failed (with --one-shot) or a runtime failure, 2 the
configuration is invalid. A configuration problem never prints a traceback.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence, Sized
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from simplemon import lazy_logging, startup
from simplemon.cli_args import dump_known_resources, parse_args
from simplemon.config import Config, load_config
from simplemon.console import setup_logging
from simplemon.errors import ConfigErrors, StateFileError
from simplemon.lazy_logging import get_logger
from simplemon.paths import write_problem
from simplemon.processes import hide_from_children

if TYPE_CHECKING:
    from simplemon.notifier import Notifier
    from simplemon.state_store import StateStore

log = get_logger("simplemon")


#: Seconds --one-shot waits for queued alerts to be delivered before exiting.
ONE_SHOT_DRAIN_SECONDS = 15.0
#: Seconds a stopping process waits for alerts being delivered right now.
STOP_DRAIN_SECONDS = 5.0
#: Exit status when nothing could run (the state file is in use or cannot be
#: opened): apart from 1, so cron can tell "simplemon is broken" from "a check
#: failed".
CANNOT_START = 3


def load(path: str) -> Config | None:
    """Load the config, printing every error (no traceback) on failure."""
    try:
        config = load_config(Path(path))
    except ConfigErrors as e:
        for error in e.errors:
            print(f"error: {error}", file=sys.stderr)
        print(
            f"{len(e.errors)} configuration error(s); nothing was started",
            file=sys.stderr,
        )
        return None
    lazy_logging.settle()  # a plugin's library may have imported logging
    for warning in config.warnings:
        log.warning("%s", warning)
    hide_from_children(config.secret_env)
    return config


def reload_config(path: str) -> Config | None:
    """Load the config for a running daemon (SIGHUP); errors go to the log.

    Unlike at start nothing stops: each error is one log line (file, section,
    key), then one line saying the previous configuration keeps running.
    """
    try:
        config = load_config(Path(path))
    except ConfigErrors as e:
        for error in e.errors:
            log.error("reload: %s", error)
        log.error(
            "configuration reload failed (%d error(s)); still running the previous one",
            len(e.errors),
        )
        return None
    lazy_logging.settle()  # a plugin new to this config may have imported logging
    for warning in config.warnings:
        log.warning("%s", warning)
    hide_from_children(config.secret_env)  # a secret the new config reads
    return config


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code (130 after Ctrl-C).

    Ctrl-C outside the daemon's own handling (at start, during ``-1``) stops with
    one line: nothing unsaved matters, as an unfinished round was never stored.
    """
    if gc.get_freeze_count():  # an earlier main() of this process froze its run
        gc.unfreeze()  # let that run's objects be freed (tests, embedding)
        gc.collect()
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `--dump-known-resources | head`: the reader is done
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def exit_now(code: int) -> NoReturn:
    """Exit with ``code`` as the interpreter would, minus its final teardown.

    For ``monitor.py`` once :func:`main` has returned: everything it opened is
    closed by then. What a normal exit does that matters still happens here:
    exit handlers run (``logging.shutdown``, anything registered with
    ``atexit``) and standard output and error are flushed, failing with status
    120 as Python's own exit does. Skipped is only the freeing of every module
    and object one by one, ~10 ms of a 1,000-monitor ``-1`` (issue 5). While any
    other thread is alive this is an ordinary exit, which waits for it.
    """
    import atexit  # noqa: PLC0415
    import os  # noqa: PLC0415
    import threading  # noqa: PLC0415

    if threading.active_count() > 1:
        raise SystemExit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            code = 120  # e.g. a closed pipe: as Py_Exit does, whatever main() said
    os._exit(code)


def _main(argv: Sequence[str] | None) -> int:
    args = parse_args(argv)
    if not (args.one_shot or args.test or args.dump_known_resources):
        _defer_sighups()
    setup_logging(args)
    if args.dump_known_resources:
        dump_known_resources()
        return 0
    config = load(args.config)
    if config is None:
        return 2
    if args.test or args.one_shot:
        _skip_collecting_the_config()
    if args.test:
        _warn_about_pidfile(args, config)
        counts = (
            _count(config.monitors, "monitor"),
            _count(config.loggers, "logger"),
            _count(config.alerters, "alerter"),
        )
        print("configuration OK: " + ", ".join(counts))
        gc.freeze()  # see _skip_collecting_the_config
        return 0
    return run(args, config)


def _skip_collecting_the_config() -> None:
    """For ``-t`` and ``-1``: keep the garbage collector off what lives to the end.

    A one-shot process keeps its modules and its config until it exits, yet every
    full collection walks them again, and so does the collection at interpreter
    exit: about 30 ms of CPU of a 1,000-monitor ``-1``. ``gc.freeze()`` moves what
    exists now out of the collector's sight; objects made later (a round's
    results) are collected as usual. A ``-1`` freezes once more after it has
    closed its loggers, state file and sockets, so exiting does not walk the
    round either; exit handlers still run (see docs/performance.md). The daemon
    does not freeze: a reload must be able to free the config it replaces.
    """
    gc.freeze()


def _warn_about_pidfile(args: Any, config: Config) -> None:
    """For ``-t``: warn, as for the state file, if the pid file cannot be written."""
    pidfile = Path(args.pidfile) if args.pidfile else config.main.pidfile
    if pidfile is None:
        return
    problem = write_problem(pidfile, needs_folder=True)
    if problem:
        log.warning("pid file %s: %s: simplemon will run without one", pidfile, problem)


#: SIGHUPs that came before the daemon installed its own handler.
_early_hups: list[int] = []


def _defer_sighups() -> None:
    """Until the daemon handles SIGHUP, note one instead of dying of it.

    Its default action ends the process: a ``systemctl reload`` or a logrotate
    ``kill -HUP`` during start-up (which may wait on a busy state file) killed the
    daemon. A noted one makes the daemon reload after its first round.
    """
    import signal  # noqa: PLC0415 - daemon mode only

    signal.signal(signal.SIGHUP, lambda signum, frame: _early_hups.append(signum))


def _count(items: Sized, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def run(args: Any, config: Config) -> int:
    """Run rounds (one with --one-shot, else as a daemon); return the exit code.

    The engine is imported here, not at the top: ``-t`` never needs it, and its
    imports (SQLite, hashing, threads) are a large part of the start-up time.
    """
    import _socket  # noqa: PLC0415 - see the docstring; not socket.py (see tcp.py)

    from simplemon.commands import CommandRunner  # noqa: PLC0415
    from simplemon.scheduler import Scheduler  # noqa: PLC0415

    try:
        store, notifier = start_alerting(config)
    except StateFileError as e:
        log.error("%s", e)
        return CANNOT_START
    scheduler = Scheduler(
        config,
        hostname=_socket.gethostname(),
        max_workers=max(1, args.threads),
        observers=[notifier],
        states=notifier.states,
    )
    scheduler.observers.append(CommandRunner(lambda: scheduler.config))
    if args.one_shot:
        report = scheduler.run_once()
        scheduler.close_loggers()
        if not notifier.dispatcher.drain(ONE_SHOT_DRAIN_SECONDS):
            log.warning("alerts still queued; they will be sent by the next run")
        stop_alerting(store, notifier)
        scheduler.close_probes()
        gc.freeze()  # everything is closed: see _skip_collecting_the_config
        return 1 if report.failed else 0
    from simplemon.daemon import Daemon  # noqa: PLC0415

    startup.restore()  # a long-lived process: Python's own collector settings
    return Daemon(
        args,
        scheduler,
        notifier,
        load=reload_config,
        shutdown=lambda: stop_alerting(store, notifier),
        hup_before_start=lambda: bool(_early_hups),
    ).run()


def start_alerting(config: Config) -> tuple[StateStore, Notifier]:
    """Open the state file, restore states and records, start delivery workers."""
    from simplemon.dispatch import Dispatcher  # noqa: PLC0415
    from simplemon.notifier import Notifier  # noqa: PLC0415
    from simplemon.outbox import KEEP_FINISHED  # noqa: PLC0415
    from simplemon.state_store import StateStore  # noqa: PLC0415
    from simplemon.timefmt import utc_now  # noqa: PLC0415

    # Already anchored to monitor.ini's folder when parsed (as `-t` checked it).
    store = StateStore(config.main.state_file)
    now = utc_now()
    store.prune(now - KEEP_FINISHED)
    dispatcher = Dispatcher(store, config.alerters)
    notifier = Notifier(
        store,
        dispatcher,
        config,
        states=store.load_states(),
        records=store.load_records(),
        pruned_at=now,
    )
    dispatcher.start()
    return store, notifier


def stop_alerting(store: StateStore, notifier: Notifier) -> None:
    """Let in-flight deliveries finish briefly, then close the state file.

    Anything not delivered stays pending in the outbox for the next start.
    """
    notifier.dispatcher.stop(STOP_DRAIN_SECONDS)
    store.close()
