"""Secrets given to simplemon through ``%env:`` do not reach the commands it runs.

The usual way to keep a password out of monitor.ini is systemd's EnvironmentFile plus
``password = %env:SMTP_PASSWORD%``. Alert commands, recover commands and upload
commands inherit simplemon's environment; the variables it read as secrets are
simplemon's own and are not handed on to them. Others (PATH, LANG, a variable
used in a URL's host name) still are.
"""

from __future__ import annotations

import json
import os
import sys

import pytest

from tests.integration.conftest import run_monitor

pytestmark = pytest.mark.integration

_RECORD = """\
import json, os, sys
with open(sys.argv[1], "a", encoding="utf-8") as out:
    out.write(json.dumps(dict(os.environ)) + "\\n")
"""

SECRETS = {
    "SMTP_PASSWORD": "smtpPW1x",
    "HOOK_TOKEN": "hookTK2x",
    "URL_PW": "urlPW3x",
    "API_HEADER": "Bearer hdrPW4x",
}


def test_variables_read_as_secrets_are_not_passed_to_commands(tmp_path):
    record = tmp_path / "record.py"
    record.write_text(_RECORD, encoding="utf-8")
    (tmp_path / "monitors.ini").write_text(
        f"""\
[web]
type = http
url = http://probe:%env:URL_PW%@%env:SITE_HOST%:1/
headers = {{"Authorization": "%env:API_HEADER%"}}
timeout = 2
recover_command = {sys.executable} {record} recover.jsonl
""",
        encoding="utf-8",
    )
    ini = tmp_path / "monitor.ini"
    ini.write_text(
        f"""\
[monitor]
interval = 1
monitors = monitors.ini
state_file = state.db

[reporting]
loggers = page
alerters = note, mail

[page]
type = html
folder = html
upload_command = {sys.executable} {record} upload.jsonl

[note]
type = execute
fail_command = {sys.executable} {record} alert.jsonl --token=%env:HOOK_TOKEN%

[mail]
type = email
enabled = no
host = 127.0.0.1
to = a@localhost
from = b@localhost
username = mon
password = %env:SMTP_PASSWORD%
""",
        encoding="utf-8",
    )
    env = {**os.environ, **SECRETS, "SITE_HOST": "127.0.0.1", "KEEP_ME": "k"}
    proc = run_monitor("-f", str(ini), "-C", "-1", cwd=tmp_path, env=env)
    assert proc.returncode == 1, proc.stderr
    seen: list[dict[str, str]] = []
    for name in ("alert.jsonl", "recover.jsonl", "upload.jsonl"):
        lines = (tmp_path / name).read_text("utf-8").splitlines()
        assert lines, name
        seen.extend(json.loads(line) for line in lines)
    for child_env in seen:
        assert child_env["KEEP_ME"] == "k"
        assert child_env["SITE_HOST"] == "127.0.0.1"  # not a secret where it is used
        assert child_env["PATH"] == os.environ["PATH"]
        for name in SECRETS:
            assert name not in child_env, name
    dumped = json.dumps(seen)
    for value in SECRETS.values():
        assert value not in dumped
