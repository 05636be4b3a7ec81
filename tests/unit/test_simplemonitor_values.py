"""Values SimpleMonitor 1.15 users have in their INI files, loaded by simplemon.

Each case was run through SimpleMonitor itself (/opt/smvenv) while writing it: a value
SimpleMonitor refuses must not be silently accepted here with a harmful meaning, and
a value it accepts with a clear meaning must keep that meaning.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from loggers._status import format_moment
from simplemon.alert_hours import is_in_hours
from simplemon.common import AlerterCommon
from simplemon.config import load_config
from simplemon.errors import ConfigErrors
from simplemon.timefmt import format_time

REPO = Path(__file__).resolve().parents[2]

MAIN = """
[monitor]
interval = 30
"""


def errors_of(path) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        load_config(path, environ={})
    return [str(e) for e in info.value.errors]


def test_empty_allowed_codes_is_an_error_not_a_monitor_that_always_fails(write_ini):
    # SimpleMonitor refuses it; accepted, no status would ever count as success.
    main = write_ini("monitor.ini", MAIN)
    write_ini(
        "monitors.ini",
        """
        [web]
        type = http
        url = http://127.0.0.1:8080/
        allowed_codes =
        """,
    )
    (error,) = errors_of(main)
    assert "[web]" in error
    assert "allowed_codes" in error


def test_empty_days_is_an_error_not_an_alerter_that_never_alerts(write_ini):
    # SimpleMonitor refuses it; accepted, the alerter would be out of hours forever.
    main = write_ini(
        "monitor.ini",
        """
        [monitor]
        interval = 30

        [reporting]
        alerters = page

        [page]
        type = execute
        fail_command = /bin/true
        days =
        """,
    )
    write_ini("monitors.ini", "[m]\ntype = null\n")
    (error,) = errors_of(main)
    assert "[page]" in error
    assert "days" in error


def test_local_time_zone_name_is_accepted_as_in_simplemonitor(write_ini):
    # SimpleMonitor's default times_tz is "local" (arrow's name for the machine's
    # zone), so configs copying it name it explicitly; tz accepts it too.
    main = write_ini(
        "monitor.ini",
        """
        [monitor]
        interval = 30

        [reporting]
        loggers = file
        alerters = page

        [file]
        type = logfile
        filename = out.log
        tz = local

        [page]
        type = execute
        fail_command = /bin/true
        times_type = only
        time_lower = 08:00
        time_upper = 18:00
        times_tz = Local
        tz = local
        """,
    )
    write_ini("monitors.ini", "[m]\ntype = null\n")
    config = load_config(main, environ={})
    assert config.loggers[0].common.tz == "local"
    assert config.alerters[0].common.tz == "local"


def test_local_times_tz_reads_the_window_in_the_machines_zone(write_ini):
    moment = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    hour = moment.astimezone().hour
    window = AlerterCommon(
        type="execute",
        times_type="only",
        time_lower=time(hour, 0),
        time_upper=time((hour + 1) % 24, 0),
        times_tz="local",
    )
    assert is_in_hours(window, moment)
    assert not is_in_hours(window, moment + timedelta(hours=2))


def test_local_tz_writes_times_in_the_machines_zone():
    moment = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    expected = moment.astimezone().isoformat(timespec="seconds")
    assert format_time(moment, "iso8601", "local") == expected
    assert format_moment(moment, "local") == moment.astimezone().strftime(
        "%Y-%m-%d %H:%M:%S %Z"
    )


def test_logfile_with_tz_local_writes_the_offset_of_the_machines_zone(write_ini):
    main = write_ini(
        "monitor.ini",
        """
        [monitor]
        interval = 30

        [reporting]
        loggers = file

        [file]
        type = logfile
        filename = out.log
        groups = _all
        tz = local
        dateformat = iso8601
        """,
    )
    write_ini("monitors.ini", "[m]\ntype = null\n")
    env = {**os.environ, "TZ": "XYZ-3"}  # POSIX: three hours east of UTC
    done = subprocess.run(
        [sys.executable, str(REPO / "monitor.py"), "-f", str(main), "-1", "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    log = (main.parent / "out.log").read_text(encoding="utf-8")
    assert "+03:00 m: ok" in log


def test_empty_optional_values_mean_unset_as_in_simplemonitor(write_ini):
    # SimpleMonitor reads `username =` as no user name; refusing it broke configs
    # that kept a blank line for a value they might fill in later.
    main = write_ini(
        "monitor.ini",
        """
        [monitor]
        interval = 30
        pidfile =
        """,
    )
    write_ini(
        "monitors.ini",
        """
        [web]
        type = http
        url = http://127.0.0.1:8080/
        username =
        failure_doc =
        remind =
        recover_command =
        """,
    )
    config = load_config(main, environ={})
    assert config.main.pidfile is None
    web = config.monitor("web")
    # Blank: no user name; with no password either, no authentication is sent
    # (test_http_config_to_wire). Kept as "" so that a password alone can be
    # sent as SimpleMonitor sent it, ':token'.
    assert (web.plugin.options.username, web.plugin.options.password) == ("", None)
    assert web.common.failure_doc is None
    assert web.common.remind is None
    assert web.common.recover_command is None


def test_an_empty_value_keeps_its_own_meaning_where_an_option_gives_it_one(write_ini):
    # An empty http password is a real value (a token as user name, no password).
    main = write_ini("monitor.ini", MAIN)
    write_ini(
        "monitors.ini",
        """
        [web]
        type = http
        url = http://127.0.0.1:8080/
        username = token
        password =
        """,
    )
    assert load_config(main, environ={}).monitor("web").plugin.options.password == ""


def test_empty_values_of_options_with_a_default_or_required_stay_errors(write_ini):
    main = write_ini("monitor.ini", MAIN)
    write_ini(
        "monitors.ini",
        """
        [web]
        type = http
        url =
        tolerance =
        """,
    )
    errors = errors_of(main)
    assert any("'url'" in e or "url" in e.split("]")[1] for e in errors)
    assert any("tolerance" in e for e in errors)


def test_default_section_keys_apply_only_where_a_section_accepts_them(write_ini):
    # SimpleMonitor copies [DEFAULT] into every section and each plugin ignores
    # what it does not know; refusing them made such configs fail to load.
    main = write_ini(
        "monitor.ini",
        """
        [DEFAULT]
        groups = web

        [monitor]
        interval = 30

        [reporting]
        loggers = log

        [log]
        type = logfile
        filename = monitor.log
        """,
    )
    write_ini(
        "monitors.ini",
        """
        [DEFAULT]
        tolerance = 2
        allowed_codes = 200, 301

        [site]
        type = http
        url = http://127.0.0.1:8080/
        group = web

        [port]
        type = tcp
        host = 127.0.0.1
        port = 22
        tolerance = 5
        """,
    )
    config = load_config(main, environ={})
    (log,) = config.loggers
    assert log.common.groups == ("web",)
    assert config.monitor("site").common.tolerance == 2
    assert config.monitor("site").plugin.options.allowed_codes == (200, 301)
    assert config.monitor("port").common.tolerance == 5


def test_a_default_section_key_no_section_accepts_is_an_error(write_ini):
    main = write_ini("monitor.ini", MAIN)
    write_ini(
        "monitors.ini",
        """
        [DEFAULT]
        tolerence = 2

        [port]
        type = tcp
        host = 127.0.0.1
        port = 22
        """,
    )
    (error,) = errors_of(main)
    assert "[DEFAULT]" in error
    assert "tolerence" in error
    assert "did you mean 'tolerance'" in error
    assert "monitors.ini" in error
