from loggers.logfile import LogfileLogger, LogfileOptions
from simplemon.common import LoggerCommon
from simplemon.model import Status
from tests.peers.snapshots import monitor, snapshot


def test_logfile_writes_no_line_for_disabled_monitors(tmp_path):
    # SimpleMonitor never loads a disabled monitor (enabled = no, or runon another
    # host), so its log never mentions one; the scheduler still hands them over.
    path = tmp_path / "out.log"
    logger = LogfileLogger("log", LogfileOptions(filename=path))
    logger.write(
        snapshot(
            monitor("web"),
            monitor("off", Status.DISABLED, message="disabled", duration=None),
        )
    )
    logger.close()
    lines = path.read_text().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == [
        "simplemon starting",
        "web: ok (0.012s)",
    ]


def test_logfile_heartbeat_logs_only_monitors_whose_check_ran(tmp_path):
    # SimpleMonitor's heartbeat (its #923): no line for a skipped monitor either.
    path = tmp_path / "out.log"
    common = LoggerCommon(type="logfile", heartbeat=True)
    logger = LogfileLogger("log", LogfileOptions(filename=path), common)
    logger.write(
        snapshot(
            monitor("web"),
            monitor("idle", ran=False),
            monitor("child", Status.SKIPPED, message="depends on db"),
            monitor("off", Status.DISABLED, message="disabled"),
        )
    )
    logger.close()
    lines = path.read_text().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == [
        "simplemon starting",
        "web: ok (0.012s)",
    ]


def test_logfile_creates_its_missing_folders_like_every_other_logger(tmp_path):
    path = tmp_path / "var" / "log" / "simplemon" / "out.log"
    logger = LogfileLogger("log", LogfileOptions(filename=path))
    assert logger.problems() == []
    logger.write(snapshot(monitor("web")))
    logger.close()
    assert path.read_text().splitlines()[-1].endswith("web: ok (0.012s)")


def test_logfile_follows_a_rotation_done_without_sighup(tmp_path):
    path = tmp_path / "out.log"
    logger = LogfileLogger("log", LogfileOptions(filename=path))
    logger.write(snapshot(monitor("web")))
    path.rename(tmp_path / "out.log.1")  # logrotate, without its postrotate reload
    logger.write(snapshot(monitor("db")))
    logger.close()
    old = (tmp_path / "out.log.1").read_text().splitlines()
    new = path.read_text().splitlines()
    assert [line.split(" ", 1)[1] for line in old] == [
        "simplemon starting",
        "web: ok (0.012s)",
    ]
    assert [line.split(" ", 1)[1] for line in new] == ["db: ok (0.012s)"]


def test_logfile_comes_back_when_its_folder_is_deleted_while_open(tmp_path):
    import shutil

    path = tmp_path / "logs" / "out.log"
    logger = LogfileLogger("log", LogfileOptions(filename=path))
    logger.write(snapshot(monitor("web")))
    shutil.rmtree(tmp_path / "logs")
    logger.write(snapshot(monitor("db")))
    logger.close()
    assert path.read_text().splitlines()[-1].endswith("db: ok (0.012s)")
