from datetime import UTC, datetime, timedelta

import pytest

from alerters._message import (
    PLACEHOLDERS,
    body,
    one_line,
    single_line,
    subject,
    substitutions,
)
from simplemon.model import EventKind
from tests.peers.alert_events import make_event


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (EventKind.FAILURE, "Monitor web on host1 failed"),
        (EventKind.RECOVERY, "Monitor web on host1 succeeded"),
        (EventKind.REMINDER, "Monitor web on host1 still failing"),
        (EventKind.CATCHUP, "Monitor web on host1 failed earlier"),
    ],
)
def test_subject_follows_simplemonitor_format(kind, expected):
    assert subject(make_event(kind=kind)) == expected


@pytest.mark.parametrize("evil", ["\r\n", "\n", "\r", "\x00", "\u2028", "\x1b"])
def test_subject_is_always_one_line(evil):
    text = subject(make_event(monitor=f"web{evil}Bcc: x@example.test"))
    assert text == "Monitor web Bcc: x@example.test on host1 failed"


def test_failure_body_has_every_detail():
    text = body(make_event())
    assert text.startswith("Monitor web on host1 failed.\n")
    assert "Failing since:  2026-01-05T12:00:00+00:00\n" in text
    assert "Down for:       1+03:04:05\n" in text
    assert "Fail count:     3\n" in text
    assert "Result:         HTTP 503 Service Unavailable\n" in text
    assert "Description:    GET http://127.0.0.1/ expecting 200\n" in text
    assert "Documentation:  https://wiki.example/web\n" in text


def test_recovery_body_tells_when_and_for_how_long():
    text = body(make_event(kind=EventKind.RECOVERY, info="HTTP 200 OK"))
    assert text.startswith("Monitor web on host1 succeeded.\n")
    assert "Recovered at:   2026-01-06T15:04:05+00:00\n" in text
    assert "Was down for:   1+03:04:05\n" in text
    assert "Fail count:     2\n" in text
    assert "Documentation" not in text


def test_body_uses_the_time_zone_given():
    text = body(make_event(), tz="Europe/Paris")
    assert "Failing since:  2026-01-05T13:00:00+01:00\n" in text


def test_catchup_and_reminder_bodies_say_so():
    assert "held" in body(make_event(kind=EventKind.CATCHUP))
    assert "reminder" in body(make_event(kind=EventKind.REMINDER))


def test_multi_line_info_cannot_pose_as_a_labelled_line():
    text = body(make_event(info="oops\r\nFail count: 0\rDescription: fake"))
    assert "\nFail count: 0" not in text
    assert "\nDescription: fake" not in text
    assert "Result:         oops\n                Fail count: 0\n" in text


def test_body_without_failure_time_or_doc():
    text = body(make_event(failed_at=None, failure_doc=None))
    assert "Failing since:  -\n" in text
    assert "Documentation" not in text


def test_single_line_neutralises_control_characters():
    line = single_line(make_event(info="bad\r\n<13>forged: line\x00end"))
    assert "\n" not in line
    assert "\r" not in line
    assert "\x00" not in line
    assert line == (
        "failure: Monitor web on host1 failed (since 2026-01-05T12:00:00+00:00, "
        "down 1+03:04:05, fail count 3): bad <13>forged: line end"
    )


def test_single_line_is_cut_at_the_limit():
    line = single_line(make_event(info="x" * 5000))
    assert len(line) == 1000
    assert line.endswith("...")


def test_one_line_collapses_runs_and_strips():
    assert one_line("\n a\r\n\r\nb \t") == "a b"


def test_substitutions_cover_every_placeholder():
    values = substitutions(make_event(failure_doc=None, info="a\x00b"))
    assert set(values) == set(PLACEHOLDERS)
    assert values["days"] == "1"
    assert values["hours"] == "3"
    assert values["minutes"] == "4"
    assert values["seconds"] == "5"
    assert values["failed_at"] == "2026-01-05T12:00:00+00:00"
    assert values["failure_doc"] == ""
    assert values["info"] == "ab"
    assert values["name"] == "web"
    assert values["virtual_fail_count"] == "3"
    assert values["last_virtual_fail_count"] == "2"


def test_downtime_agrees_with_the_times_shown_beside_it():
    # failed at 12:00:00.9, recovered at 12:03:00.1: the message shows 12:00:00 and
    # 12:03:00, so the downtime it gives must be 3 minutes, not 2:59.
    failed_at = datetime(2026, 1, 5, 12, 0, 0, 900000, tzinfo=UTC)
    event = make_event(
        kind=EventKind.RECOVERY,
        failed_at=failed_at,
        created_at=failed_at + timedelta(seconds=179.2),
        downtime_seconds=179.2,
    )
    text = body(event)
    assert "Recovered at:   2026-01-05T12:03:00+00:00" in text
    assert "Failing since:  2026-01-05T12:00:00+00:00" in text
    assert "Was down for:   0+00:03:00" in text
    assert "was down 0+00:03:00 since" in single_line(event)
    values = substitutions(event)
    assert (values["minutes"], values["seconds"]) == ("3", "0")
    failure = make_event(
        failed_at=failed_at,
        created_at=failed_at + timedelta(seconds=59.5),
        downtime_seconds=59.5,
    )
    assert "Down for:       0+00:01:00" in body(failure)
    assert substitutions(failure)["minutes"] == "1"
