"""Values SimpleMonitor 1.15 users have in their INI files, loaded by simplemon.

Each case was run through SimpleMonitor itself (/opt/smvenv) while writing it: a value
SimpleMonitor refuses must not be silently accepted here with a harmful meaning, and
a value it accepts with a clear meaning must keep that meaning.
"""

from __future__ import annotations

import pytest

from simplemon.config import load_config
from simplemon.errors import ConfigErrors

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
