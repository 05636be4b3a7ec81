import logging
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from simplemon import fanout
from simplemon.common import LoggerCommon
from simplemon.errors import DeliveryError
from simplemon.model import MonitorSnapshot, MonitorState, Snapshot, Status
from simplemon.record import replace

T = datetime(2026, 1, 1, tzinfo=UTC)
SNAP = Snapshot(
    T,
    1,
    "h",
    30.0,
    (
        MonitorSnapshot("web", "http", "", MonitorState(), True, group="web"),
        MonitorSnapshot("db", "tcp", "", MonitorState(), True),
    ),
)


class Plugin:
    def __init__(self, error: Exception | None = None):
        self.error = error
        self.seen: list[list[str]] = []

    def write(self, snapshot: Snapshot) -> None:
        if self.error:
            raise self.error
        self.seen.append([m.name for m in snapshot.monitors])


def logger(name: str, plugin: Plugin, **common: Any) -> Any:
    return SimpleNamespace(
        name=name, plugin=plugin, common=LoggerCommon(type="x", **common)
    )


def test_each_logger_sees_its_groups_and_failures_are_contained(caplog):
    broken = Plugin(DeliveryError("disk full"))
    buggy = Plugin(ZeroDivisionError("oops"))
    web, everything = Plugin(), Plugin()
    loggers = [
        logger("broken", broken),
        logger("buggy", buggy),
        logger("web", web, groups=("web",)),
        logger("all", everything, groups=("_all",)),
    ]
    with caplog.at_level(logging.ERROR):
        fanout.write_all(loggers, SNAP, {"web": Status.OK, "db": Status.OK})
    assert web.seen == [["web"]]
    assert everything.seen == [["web", "db"]]
    assert "logger broken: write failed: disk full" in caplog.text
    assert "logger buggy: internal error in write" in caplog.text
    assert caplog.text.count("Traceback") == 1  # only for the unexpected error


def test_disabled_and_dependency_down_loggers_are_skipped():
    off, waiting = Plugin(), Plugin()
    loggers = [
        logger("off", off, enabled=False, groups=("_all",)),
        logger("waiting", waiting, depend=("db",), groups=("_all",)),
    ]
    fanout.write_all(loggers, SNAP, {"web": Status.OK, "db": Status.FAILING})
    assert off.seen == waiting.seen == []


def test_a_monitor_in_several_groups_reaches_a_logger_of_any_of_them():
    snap = replace(SNAP, monitors=(replace(SNAP.monitors[0], group="web,db"),))
    db = Plugin()
    fanout.write_all([logger("db", db, groups=("db",))], snap, {"web": Status.OK})
    assert db.seen == [["web"]]


def test_a_lasting_logger_problem_is_logged_when_it_starts_changes_and_ends(caplog):
    plugin = Plugin(DeliveryError("folder is read-only"))
    loggers = [logger("page", plugin)]
    problems = fanout.Problems()
    statuses = {"web": Status.OK, "db": Status.OK}

    def round_messages() -> list[str]:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            fanout.write_all(loggers, SNAP, statuses, problems)
        return [r.getMessage() for r in caplog.records]

    assert round_messages() == ["logger page: write failed: folder is read-only"]
    assert round_messages() == []  # the same problem next round: not again
    assert round_messages() == []
    plugin.error = DeliveryError("disk full")
    assert round_messages() == ["logger page: write failed: disk full"]
    plugin.error = None
    assert round_messages() == [
        "logger page: writing again (the problem lasted 1 round)"
    ]
    assert round_messages() == []
