"""The dns monitor's sections through the real loader, as SimpleMonitor wrote them."""

from __future__ import annotations

import pytest

from simplemon.config import load_config
from simplemon.errors import ConfigErrors
from simplemon.monitors.dns import DnsMonitor


def test_simplemonitor_style_section_loads_through_the_real_loader(write_ini) -> None:
    main = write_ini("monitor.ini", "[monitor]\ninterval = 30\n")
    write_ini(
        "monitors.ini",
        """
        [mail-dns]
        type = dns
        record = example.test
        record_type = MX
        server = 127.0.0.1
        desired_val = 10 mail.example.test.
            20 backup.example.test.
        """,
    )
    (monitor,) = load_config(main, environ={}).monitors
    assert isinstance(monitor.plugin, DnsMonitor)
    assert monitor.plugin.options.desired_val == (
        "10 mail.example.test.",
        "20 backup.example.test.",
    )


def test_invalid_desired_val_is_a_config_error_naming_the_section(write_ini) -> None:
    main = write_ini("monitor.ini", "[monitor]\ninterval = 30\n")
    write_ini(
        "monitors.ini",
        "[d]\ntype = dns\nrecord = x.test\nrecord_type = AAAA\ndesired_val = 1.2.3.4\n",
    )
    with pytest.raises(ConfigErrors) as info:
        load_config(main, environ={})
    (error,) = info.value.errors
    assert "[d]" in str(error)
    assert "desired_val: expected AAAA record data" in str(error)
