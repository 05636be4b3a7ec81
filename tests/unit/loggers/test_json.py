import json
import re
from datetime import UTC, datetime

from loggers.html import HtmlLogger, HtmlOptions
from loggers.json import JsonLogger, JsonOptions
from tests.peers.demo import HOSTILE, demo_round


def test_json_has_simplemonitor_fields_and_the_page_states(tmp_path):
    path = tmp_path / "out" / "status.json"
    JsonLogger("json", JsonOptions(filename=path)).write(demo_round())
    doc = json.loads(path.read_text())
    assert doc["overall"] == "failed"
    assert doc["counts"]["failed"] == 2
    api = doc["monitors"]["api"]
    assert api["status"] == "Fail"
    assert api["state"] == "failed"
    assert api["virtual_fail_count"] == 1
    assert api["result"] == "HTTP 503 Service Unavailable"
    assert api["last_run_duration"] == 1.21
    assert api["availability"] == {"24h": 0.0, "7d": 0.0, "30d": 0.0}
    assert doc["monitors"]["queue"]["status"] == "OK"  # within tolerance, as SM
    assert doc["monitors"]["api-worker"]["status"] == "Skipped"
    assert doc["monitors"]["api-worker"]["dependencies"] == ["api"]
    assert any(HOSTILE in name for name in doc["monitors"])  # data, not markup


def test_json_and_html_agree_on_states_and_figures(tmp_path):
    snap = demo_round()
    JsonLogger("j", JsonOptions(filename=tmp_path / "s.json")).write(snap)
    HtmlLogger("h", HtmlOptions(folder=tmp_path)).write(snap)
    doc = json.loads((tmp_path / "s.json").read_text())
    page = (tmp_path / "index.html").read_text()
    page_states = re.findall(r'data-state="(\w+)"', page)
    assert page_states == [m["state"] for m in doc["monitors"].values()]
    assert doc["summary"] in page


def test_json_file_is_replaced_atomically(tmp_path):
    path = tmp_path / "s.json"
    logger = JsonLogger("j", JsonOptions(filename=path))
    logger.write(demo_round())
    inode = path.stat().st_ino
    logger.write(demo_round())
    assert path.stat().st_ino != inode
    assert not list(tmp_path.glob(".s.json.*"))  # no temp file left behind


def test_first_failure_time_is_the_first_failed_check_and_zero_durations_show(tmp_path):
    from datetime import timedelta

    from simplemon.record import replace

    snap = demo_round()
    api = next(m for m in snap.monitors if m.name == "api")
    first = snap.taken_at - timedelta(minutes=5)
    counted = snap.taken_at - timedelta(minutes=4)
    state = replace(
        api.state, first_failure_at=first, failed_at=counted, last_duration=0.0
    )
    snap = replace(
        snap,
        monitors=tuple(
            replace(m, state=state) if m.name == "api" else m for m in snap.monitors
        ),
    )
    path = tmp_path / "s.json"
    JsonLogger("json", JsonOptions(filename=path)).write(snap)
    doc = json.loads(path.read_text())["monitors"]["api"]
    assert doc["first_failure_time"] == first.isoformat(timespec="seconds")
    assert doc["last_run_duration"] == 0.0


def test_a_final_stop_adds_stopped_at_to_the_last_round_s_file(tmp_path):
    target = tmp_path / "status.json"
    logger = JsonLogger("j", JsonOptions(filename=target))
    logger.write(demo_round())
    before = json.loads(target.read_text())
    assert "stopped_at" not in before
    logger.stopped(datetime(2026, 1, 5, 12, 0, 7, tzinfo=UTC))
    logger.close()
    after = json.loads(target.read_text())
    assert after.pop("stopped_at") == "2026-01-05T12:00:07+00:00"
    assert after == before  # the last round's states, unchanged
    assert list(json.loads(target.read_text()))[:2] == ["generated", "stopped_at"]


def test_a_json_logger_stopped_before_its_first_round_writes_no_file(tmp_path):
    logger = JsonLogger("j", JsonOptions(filename=tmp_path / "status.json"))
    logger.stopped(datetime(2026, 1, 5, 12, 0, 7, tzinfo=UTC))
    logger.close()
    assert not (tmp_path / "status.json").exists()
