import sqlite3
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from loggers import _sqlite
from loggers._history import History
from loggers._redact import redact, repair_simplemonitor_params
from loggers.db import DbLogger, DbOptions
from loggers.dbstatus import DbstatusLogger, DbstatusOptions
from simplemon.common import LoggerCommon
from simplemon.errors import DeliveryError
from simplemon.model import Status
from tests.peers.smdb import create_v1, create_with_simplemonitor, sm_params
from tests.peers.snapshots import T0, later, monitor, snapshot

REPO = Path(__file__).resolve().parents[3]
SECRET = "hunter2"  # noqa: S105 - a fake credential that must never be stored


def rows(path, sql, params=()):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def columns(path, table):
    return [r[1] for r in rows(path, f"PRAGMA table_info({table})")]


def test_db_logger_creates_simplemonitor_tables_with_extra_columns(tmp_path):
    path = tmp_path / "m.db"
    DbLogger("db", DbOptions(db_path=path)).write(snapshot(monitor("web")))
    assert columns(path, "results")[:8] == [
        "result_id",
        "monitor_host",
        "monitor_name",
        "monitor_type",
        "monitor_params",
        "monitor_result",
        "timestamp",
        "monitor_info",
    ]
    assert {"duration_ms", "state", "virtual_fail_count"} <= set(
        columns(path, "results")
    )
    assert rows(path, "SELECT v FROM monitor_schema") == [
        (str(_sqlite.SCHEMA_VERSION),)
    ]
    assert rows(path, "PRAGMA journal_mode") == [("wal",)]


def test_db_logger_stores_result_text_state_and_duration(tmp_path):
    path = tmp_path / "m.db"
    logger = DbLogger("db", DbOptions(db_path=path))
    logger.write(
        snapshot(
            monitor("web", Status.OK, duration=0.25),
            monitor("api", Status.FAILED, message="HTTP 503", duration=1.5),
            monitor("queue", Status.FAILING, message="refused"),
            monitor("worker", Status.SKIPPED, message="skipped: api failed"),
            monitor("idle", Status.OK, ran=False),
        )
    )
    logger.close()
    got = rows(
        path,
        "SELECT monitor_host, monitor_name, monitor_result, monitor_info, "
        "duration_ms, state, virtual_fail_count, timestamp FROM results "
        "ORDER BY result_id",
    )
    ts = int(T0.timestamp())
    assert got == [
        ("mon1", "web", 1, "ok", 250.0, "ok", 0, ts),
        ("mon1", "api", 0, "HTTP 503", 1500.0, "failed", 1, ts),
        ("mon1", "queue", 0, "refused", 12.0, "failing", 0, ts),
        ("mon1", "worker", None, "skipped: api failed", None, "skipped", 0, ts),
    ]


def test_db_logger_heartbeat_stores_only_monitors_whose_check_ran(tmp_path):
    # SimpleMonitor's heartbeat: only monitors executed this round, no skips.
    path = tmp_path / "m.db"
    logger = DbLogger(
        "db", DbOptions(db_path=path), LoggerCommon(type="db", heartbeat=True)
    )
    logger.write(
        snapshot(
            monitor("web"),
            monitor("idle", ran=False),
            monitor("child", Status.SKIPPED),
            monitor("off", Status.DISABLED),
        )
    )
    logger.close()
    assert rows(path, "SELECT monitor_name FROM results") == [("web",)]


def test_db_logger_never_stores_credentials(tmp_path):
    path = tmp_path / "m.db"
    url = f"https://admin:{SECRET}@127.0.0.1:8443/?token={SECRET}&page=2"
    DbLogger("db", DbOptions(db_path=path)).write(
        snapshot(monitor("web", description=f"GET {url}", message=f"503 from {url}"))
    )
    (params, info) = rows(path, "SELECT monitor_params, monitor_info FROM results")[0]
    assert params == "GET https://***@127.0.0.1:8443/?token=***&page=2"
    assert SECRET not in info
    assert SECRET not in path.read_bytes().decode("latin-1")


def test_db_logger_prunes_rows_older_than_retention(tmp_path):
    path = tmp_path / "m.db"
    logger = DbLogger("db", DbOptions(db_path=path, retention=timedelta(days=1)))
    first = monitor("web")
    logger.write(snapshot(first))
    logger.write(snapshot(later(first, 3600), at=T0 + timedelta(hours=1)))
    assert len(rows(path, "SELECT * FROM results")) == 2
    day_later = later(first, 86400 + 60)
    logger.write(snapshot(day_later, at=T0 + timedelta(days=1, minutes=1)))
    stamps = rows(path, "SELECT timestamp FROM results ORDER BY timestamp")
    assert stamps == [(int(T0.timestamp()) + 3600,), (int(T0.timestamp()) + 86460,)]


def test_db_logger_retention_zero_keeps_everything(tmp_path):
    path = tmp_path / "m.db"
    logger = DbLogger("db", DbOptions(db_path=path, retention=timedelta(0)))
    logger.write(snapshot(monitor("web")))
    logger.write(snapshot(later(monitor("web"), 9e6), at=T0 + timedelta(days=200)))
    assert len(rows(path, "SELECT * FROM results")) == 2


def test_db_logger_refuses_a_database_newer_than_it_understands(tmp_path):
    path = tmp_path / "m.db"
    DbLogger("db", DbOptions(db_path=path)).write(snapshot(monitor("web")))
    conn = sqlite3.connect(path)
    conn.execute("UPDATE monitor_schema SET v = '99'")
    conn.commit()
    conn.close()
    with pytest.raises(DeliveryError, match="newer") as info:
        DbLogger("db", DbOptions(db_path=path)).write(snapshot(monitor("web")))
    assert info.value.permanent


def test_db_logger_reports_unwritable_path_as_delivery_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DeliveryError, match="cannot open database"):
        DbLogger("db", DbOptions(db_path=blocker / "m.db")).write(snapshot())


def test_dbstatus_keeps_one_row_per_monitor_with_current_state(tmp_path):
    path = tmp_path / "m.db"
    logger = DbstatusLogger("s", DbstatusOptions(db_path=path))
    web = monitor("web")
    logger.write(snapshot(web, monitor("api", Status.FAILED, message="HTTP 500")))
    logger.write(
        snapshot(
            later(web, 60),
            later(monitor("api"), 60, status=Status.OK, last_message="HTTP 200"),
            at=T0 + timedelta(minutes=1),
        )
    )
    got = rows(
        path,
        "SELECT monitor_name, monitor_result, monitor_info, state, updated "
        "FROM status ORDER BY monitor_name",
    )
    ts = int(T0.timestamp()) + 60
    assert got == [("api", 1, "HTTP 200", "ok", ts), ("web", 1, "ok", "ok", ts)]
    with pytest.raises(sqlite3.IntegrityError):
        rows(path, "INSERT INTO status (monitor_host, monitor_name) VALUES (NULL, 'x')")


def test_db_and_dbstatus_can_share_one_file(tmp_path):
    path = tmp_path / "m.db"
    DbLogger("db", DbOptions(db_path=path)).write(snapshot(monitor("web")))
    DbstatusLogger("s", DbstatusOptions(db_path=path)).write(snapshot(monitor("web")))
    assert rows(path, "SELECT count(*) FROM results") == [(1,)]
    assert rows(path, "SELECT count(*) FROM status") == [(1,)]


def test_migration_upgrades_a_simplemonitor_v1_database_in_place(tmp_path):
    path = tmp_path / "sm.db"
    create_v1(path)
    logger = DbLogger("db", DbOptions(db_path=path, retention=timedelta(0)))
    logger.write(snapshot(monitor("web")))
    logger.close()
    old = rows(
        path,
        "SELECT monitor_name, monitor_params, monitor_result, state FROM results "
        "WHERE monitor_host = 'oldhost' ORDER BY result_id",
    )
    assert old == [
        ("web", "('http://***@127.0.0.1:8080/health', None, [200])", 1, None),
        ("web", "('http://***@127.0.0.1:8080/health', None, [200])", 0, None),
        ("db", "('127.0.0.1', 5432)", 1, None),
    ]
    assert rows(path, "SELECT count(*) FROM results WHERE monitor_host='mon1'") == [
        (1,)
    ]
    status = rows(path, "SELECT monitor_name, monitor_result FROM status ORDER BY 1")
    assert status == [("db", 1), ("web", 0)]  # duplicates collapsed, last one kept
    indexes = {r[0] for r in rows(path, "SELECT name FROM sqlite_master")}
    assert {"results_by_monitor_time", "results_by_time"} <= indexes
    assert SECRET not in path.read_bytes().decode("latin-1")


def test_migration_upgrades_a_database_written_by_simplemonitor_itself(tmp_path):
    path = tmp_path / "sm.db"
    if not create_with_simplemonitor(path):
        pytest.skip("SimpleMonitor is not installed in /opt/smvenv")
    assert rows(path, "SELECT v FROM monitor_schema") == [("1",)]
    DbstatusLogger("s", DbstatusOptions(db_path=path)).write(snapshot(monitor("api")))
    (params,) = rows(path, "SELECT monitor_params FROM results")[0]
    assert params == "('http://***@127.0.0.1:9/x', '', [200])"
    names = rows(path, "SELECT monitor_name FROM status ORDER BY 1")
    assert names == [("api",), ("web",)]
    assert SECRET not in path.read_bytes().decode("latin-1")


def test_repair_leaves_values_not_in_simplemonitor_shape_alone():
    assert repair_simplemonitor_params(sm_params(("a", 1))) == "('a', 1)"
    assert repair_simplemonitor_params("plain text") == "plain text"
    assert repair_simplemonitor_params(None) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://u:p@h/x", "http://***@h/x"),
        ("https://user@h", "https://***@h"),
        ("x?password=abc&b=1", "x?password=***&b=1"),
        ("api_key=zzz", "api_key=***"),
        ("Authorization=Bearer", "Authorization=***"),
        (
            "mailto user@example and 127.0.0.1:80",
            "mailto user@example and 127.0.0.1:80",
        ),
    ],
)
def test_redact_masks_credentials_only(text, expected):
    assert redact(text) == expected


def test_reader_holding_a_transaction_does_not_block_writes(tmp_path):
    path = tmp_path / "m.db"
    logger = DbLogger("db", DbOptions(db_path=path))
    logger.write(snapshot(monitor("web")))
    reader = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM results").fetchone() == (1,)
    for i in range(1, 4):  # the reader's open transaction must not block these
        logger.write(snapshot(later(monitor("web"), 60 * i)))
    assert reader.execute("SELECT count(*) FROM results").fetchone() == (1,)
    reader.execute("COMMIT")
    assert reader.execute("SELECT count(*) FROM results").fetchone() == (4,)
    reader.close()


def test_docs_example_queries_run_against_a_logged_database(tmp_path):
    import re
    from datetime import UTC, datetime

    path = tmp_path / "m.db"
    logger = DbLogger("db", DbOptions(db_path=path))
    now = datetime.now(UTC).replace(microsecond=0)
    base = monitor("web", at=now - timedelta(minutes=10))
    for i, status in enumerate([Status.OK, Status.FAILING, Status.FAILED, Status.OK]):
        logger.write(snapshot(later(base, 60 * i, status=status), at=now))
    logger.close()
    doc = (REPO / "docs" / "loggers" / "db.md").read_text()
    queries = re.findall(r"```sql\n(.*?)```", doc, re.S)
    conn = sqlite3.connect(path)
    availability = conn.execute(queries[0]).fetchall()
    outage = conn.execute(queries[1]).fetchall()
    conn.close()
    assert availability == [("50.000%", 4)]
    assert outage[0][2] == 2  # minutes from the first failure to the recovery


def test_db_logger_stores_no_rows_for_disabled_monitors(tmp_path):
    # A disabled monitor was not checked: SimpleMonitor does not even load it.
    path = tmp_path / "m.db"
    logger = DbLogger("db", DbOptions(db_path=path))
    logger.write(snapshot(monitor("web"), monitor("off", Status.DISABLED)))
    logger.close()
    assert rows(path, "SELECT monitor_name FROM results") == [("web",)]


def test_rows_held_while_another_program_has_the_write_lock_are_written_later(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(_sqlite, "BUSY_TIMEOUT_SECONDS", 0.05)
    path = tmp_path / "m.db"
    db = DbLogger("db", DbOptions(db_path=path))
    db.write(snapshot(monitor("web")))
    shell = sqlite3.connect(path, isolation_level=None)
    shell.execute("BEGIN IMMEDIATE")
    for round_number in (2, 3):
        with pytest.raises(DeliveryError, match="holds its write lock"):
            db.write(snapshot(later(monitor("web"), 60 * round_number)))
    shell.execute("COMMIT")
    db.write(snapshot(later(monitor("web"), 240)))
    assert rows(path, "SELECT count(*) FROM results") == [(4,)]
    shell.execute("BEGIN IMMEDIATE")
    with pytest.raises(DeliveryError):
        db.write(snapshot(later(monitor("web"), 300)))
    shell.execute("COMMIT")
    shell.close()
    db.close()  # the last held round is written at the stop
    assert rows(path, "SELECT count(*) FROM results") == [(5,)]


def _remove_database(path):
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_db_logger_writes_a_new_file_after_the_database_was_deleted_or_replaced(
    tmp_path, how, caplog
):
    path = tmp_path / "m.db"
    db = DbLogger("db", DbOptions(db_path=path))
    status = DbstatusLogger("status", DbstatusOptions(db_path=path))
    first = snapshot(monitor("web"))
    db.write(first)
    status.write(first)
    _remove_database(path)  # a clean-up script, or a restore of an old copy
    if how == "replaced":
        create_v1(path)
    second = snapshot(later(monitor("web"), 60))
    db.write(second)
    status.write(second)
    db.close()
    status.close()
    mine = ("mon1",)
    count = "SELECT count(*) FROM results WHERE monitor_host = ?"
    assert rows(path, count, mine) == [(1,)]  # not lost in the deleted file
    count = "SELECT count(*) FROM status WHERE monitor_host = ?"
    assert rows(path, count, mine) == [(1,)]
    assert f"{path} was deleted or replaced" in caplog.text


def test_history_follows_its_file_when_it_is_deleted(tmp_path):
    path = tmp_path / "h.db"
    history = History(path)
    history.record(snapshot(monitor("web")))
    _remove_database(path)
    history.record(snapshot(later(monitor("web"), 60)))
    history.close()
    assert rows(path, "SELECT count(*) FROM history_recent") == [(1,)]


def test_db_logger_dates_a_skip_row_to_the_round_that_skipped_it(tmp_path):
    # The child was last checked at T0; its parent then went down for two rounds.
    path = tmp_path / "m.db"
    logger = DbLogger("db", DbOptions(db_path=path))
    child = monitor(
        "child", Status.SKIPPED, message="depends on parent, which is failed"
    )
    for minutes in (10, 11):
        logger.write(snapshot(child, at=T0 + timedelta(minutes=minutes)))
    logger.close()
    got = rows(path, "SELECT timestamp, duration_ms, state FROM results")
    # Not T0 and the last check's 12 ms: no check ran in these rounds.
    assert got == [
        (int((T0 + timedelta(minutes=10)).timestamp()), None, "skipped"),
        (int((T0 + timedelta(minutes=11)).timestamp()), None, "skipped"),
    ]


def test_two_loggers_opening_one_new_database_at_once_both_succeed(
    tmp_path, monkeypatch
):
    # Each logger writes on a thread of its own: on the first start a db and a
    # dbstatus logger sharing a file create it at once. SQLite refused the second
    # connection's switch to WAL while the first was preparing the new file
    # ("database is locked", at once, without the busy timeout), which was logged
    # as another program holding the write lock. The first one is held while it
    # prepares the file, so the second comes exactly then.
    path = tmp_path / "m.db"
    preparing, second_done = threading.Event(), threading.Event()
    real_connect = sqlite3.connect

    def first_holds_the_new_file(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)
        if not preparing.is_set():
            conn.execute("BEGIN IMMEDIATE")  # what preparing a new file holds
            preparing.set()
            second_done.wait(timeout=1.0)  # the fix makes the second one wait
            conn.execute("ROLLBACK")
        return conn

    monkeypatch.setattr(sqlite3, "connect", first_holds_the_new_file)
    errors: list[str] = []

    def open_and_write(name: str) -> None:
        try:
            conn = _sqlite.connect(path)
            try:
                with _sqlite.transaction(conn):
                    conn.execute(
                        "INSERT INTO status (monitor_host, monitor_name) VALUES (?, ?)",
                        ("h", name),
                    )
            finally:
                conn.close()
        except DeliveryError as e:
            errors.append(str(e))
        finally:
            second_done.set()

    first = threading.Thread(target=open_and_write, args=("db",))
    first.start()
    assert preparing.wait(timeout=10)
    open_and_write("status")
    first.join(timeout=10)
    assert not first.is_alive()
    assert errors == []
    assert rows(path, "SELECT monitor_name FROM status ORDER BY 1") == [
        ("db",),
        ("status",),
    ]


def test_loggers_sharing_a_file_wait_for_each_other_not_for_the_busy_timeout(
    tmp_path, monkeypatch
):
    # db, dbstatus and an html page's history in one file, each writing on a
    # thread of its own at every round's hand-off: at 10,000 monitors a round's
    # transaction takes longer than the busy timeout, and a sibling's write failed
    # as "another program holds its write lock". The busy timeout is shrunk here
    # so that a few hundred monitors show it.
    monkeypatch.setattr(_sqlite, "BUSY_TIMEOUT_SECONDS", 0.001)
    path = tmp_path / "m.db"
    db = DbLogger("db", DbOptions(db_path=path))
    status = DbstatusLogger("status", DbstatusOptions(db_path=path))
    history = History(path)
    writers = [db.write, status.write, history.record]
    monitors = [monitor(f"m{i}") for i in range(300)]
    errors: list[str] = []
    for number in range(1, 6):
        round_ = snapshot(
            *[later(m, 60 * number) for m in monitors],
            at=T0 + timedelta(seconds=60 * number),
            number=number,
        )
        together = threading.Barrier(len(writers), timeout=10)

        def write(writer: Any, round_: Any = round_, together: Any = together) -> None:
            together.wait()
            try:
                writer(round_)
            except DeliveryError as e:
                errors.append(str(e))

        threads = [threading.Thread(target=write, args=(w,)) for w in writers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in threads)
    db.close()
    status.close()
    history.close()
    assert errors == []
    assert rows(path, "SELECT COUNT(*) FROM results") == [(5 * 300,)]
