"""Which ``%env:`` variables the loader counts as secrets (kept from commands)."""

from __future__ import annotations

import os

from simplemon.cli import reload_config
from simplemon.config import load_config
from simplemon.processes import child_environment, hide_from_children


def test_variables_in_secret_options_or_redacted_places_are_secrets(tmp_path):
    (tmp_path / "monitors.ini").write_text(
        "[a]\ntype = http\nurl = https://%env:HOST%/?api_key=%env:KEY%\n"
        "[b]\ntype = http\nurl = http://u:%env:PW%@%env:HOST%/\n"
        "timeout = %env:TIMEOUT%\n"
        '[c]\ntype = http\nurl = http://h/\nheaders = {"X": "%env:HDR%"}\n',
        encoding="utf-8",
    )
    ini = tmp_path / "monitor.ini"
    ini.write_text(
        "[monitor]\ninterval = 60\n[reporting]\nalerters = mail\n"
        "[mail]\ntype = email\nhost = %env:HOST%\nto = a@h\nfrom = b@h\n"
        "username = %env:USER%\npassword = %env:SMTP%\n",
        encoding="utf-8",
    )
    environ = {
        "HOST": "127.0.0.1",
        "KEY": "k1",
        "PW": "p1",
        "TIMEOUT": "5",
        "HDR": "h1",
        "USER": "mon",
        "SMTP": "s1",
    }
    config = load_config(ini, environ=environ)
    assert config.secret_env == {"KEY", "PW", "HDR", "SMTP"}


def test_hidden_variables_are_left_out_of_commands_environment(monkeypatch):
    monkeypatch.setenv("SIMPLEMON_TEST_HIDDEN", "x")
    monkeypatch.setenv("SIMPLEMON_TEST_SHOWN", "y")
    hide_from_children(["SIMPLEMON_TEST_HIDDEN"])
    env = child_environment()
    assert "SIMPLEMON_TEST_HIDDEN" not in env
    assert env["SIMPLEMON_TEST_SHOWN"] == "y"
    assert env["PATH"] == os.environ["PATH"]


def test_a_secret_first_read_by_a_reload_is_left_out_of_commands_environment(
    tmp_path, monkeypatch
):
    # The variable was in the daemon's environment from the start, but only a
    # reload (SIGHUP) added the alerter that reads it as its SMTP password.
    monkeypatch.setenv("SIMPLEMON_TEST_RELOAD_SMTP", "s3cret")
    (tmp_path / "monitors.ini").write_text("[m]\ntype = null\n", encoding="utf-8")
    ini = tmp_path / "monitor.ini"
    ini.write_text(
        "[monitor]\ninterval = 60\n[reporting]\nalerters = mail\n"
        "[mail]\ntype = email\nhost = 127.0.0.1\nto = a@h\nfrom = b@h\n"
        "username = mon\npassword = %env:SIMPLEMON_TEST_RELOAD_SMTP%\n",
        encoding="utf-8",
    )
    assert reload_config(str(ini)) is not None
    assert "SIMPLEMON_TEST_RELOAD_SMTP" not in child_environment()
