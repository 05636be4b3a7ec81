import contextlib
import json
import shlex
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from alerters.execute import ExecuteAlerter, ExecuteOptions, command
from simplemon.errors import DeliveryError
from simplemon.model import EventKind
from simplemon.parsers import ParseContext
from tests.peers.alert_events import make_event

pytestmark = pytest.mark.integration

RECORDER = """
import json, os, sys
with open(sys.argv[1], "w", encoding="utf-8") as f:
    env = {k: v for k, v in os.environ.items() if k.startswith("SIMPLEMON_")}
    json.dump({"argv": sys.argv[2:], "env": env}, f)
"""
HOSTILE = [
    "$(touch {marker})",
    "`touch {marker}`",
    "; touch {marker}",
    "' ; touch {marker} ; '",
    '" ; touch {marker} ; "',
    "\n touch {marker}",
    "&& touch {marker} #",
    "${{IFS}}touch${{IFS}}{marker}",
]


def execute(fail: str, **overrides) -> ExecuteAlerter:
    ctx = ParseContext()
    values: dict[str, Any] = {
        "fail_command": command(fail, ctx),
        "timeout": timedelta(seconds=10),
    }
    values |= {
        k: command(v, ctx) if k.endswith("command") else v for k, v in overrides.items()
    }
    return ExecuteAlerter("run", ExecuteOptions(**values))


def quote(path: Path | str) -> str:
    return shlex.quote(str(path))


@pytest.fixture
def recorder(tmp_path):
    script = tmp_path / "record.py"
    script.write_text(RECORDER, encoding="utf-8")
    out = tmp_path / "out.json"
    return f"{quote(sys.executable)} {quote(script)} {quote(out)}", out


def test_monitor_name_with_shell_syntax_arrives_as_one_argument(recorder):
    prefix, out = recorder
    event = make_event(monitor="x; rm -rf /", info="a b  'c'")
    execute(f"{prefix} {{name}} --info={{info}} {{days}}").send(event)
    seen = json.loads(out.read_text())
    assert seen["argv"] == ["x; rm -rf /", "--info=a b  'c'", "1"]
    assert seen["env"]["SIMPLEMON_NAME"] == "x; rm -rf /"
    assert seen["env"]["SIMPLEMON_INFO"] == "a b  'c'"
    assert seen["env"]["SIMPLEMON_EVENT"] == "failure"
    assert seen["env"]["SIMPLEMON_FAILED_AT"] == "2026-01-05T12:00:00+00:00"


def test_recovery_runs_the_success_command(recorder):
    prefix, out = recorder
    alerter = execute("/bin/false", success_command=f"{prefix} up {{name}}")
    alerter.send(make_event(kind=EventKind.RECOVERY))
    assert json.loads(out.read_text())["argv"] == ["up", "web"]


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize(
    "script",
    [
        "echo {{info}} >> {log}",
        'echo "Alert: {{info}}" >> {log}',
        "echo 'Alert: {{info}}' >> {log}",
    ],
)
def test_shell_command_never_runs_server_text(tmp_path, hostile, script):
    marker, log = tmp_path / "MARKER", tmp_path / "alerts.log"
    info = hostile.format(marker=marker)
    inner = script.format(log=quote(log))
    execute(f"/bin/sh -c {quote(inner)}").send(make_event(info=info))
    assert not marker.exists()
    assert info in log.read_text(encoding="utf-8")


def test_hostile_info_is_written_literally_by_simplemonitors_pattern(tmp_path):
    marker, log = tmp_path / "MARKER", tmp_path / "alerts.log"
    info = f"503 $(touch {marker}) `touch {marker}`; touch {marker}"
    alerter = execute(f'/bin/sh -c "echo {{info}} >> {log}"')
    alerter.send(make_event(info=info))
    assert not marker.exists()
    assert log.read_text(encoding="utf-8") == info + "\n"


def test_non_zero_exit_is_transient_and_quotes_stderr():
    alerter = execute(
        f"{quote(sys.executable)} -c 'import sys; sys.exit(\"no route to pager\")'"
    )
    with pytest.raises(DeliveryError) as info:
        alerter.send(make_event())
    assert not info.value.permanent
    assert "exited with 1: no route to pager" in str(info.value)


def test_missing_program_is_transient_so_the_alert_waits_for_the_fix(tmp_path):
    with pytest.raises(DeliveryError) as info:
        execute(f"{tmp_path / 'nope'} {{name}}").send(make_event())
    assert not info.value.permanent
    assert "cannot run" in str(info.value)
    assert "No such file or directory" in str(info.value)


def test_program_that_is_not_executable_is_transient(tmp_path):
    program = tmp_path / "page.sh"
    program.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    program.chmod(0o644)
    with pytest.raises(DeliveryError) as info:
        execute(f"{quote(program)} {{name}}").send(make_event())
    assert not info.value.permanent
    assert "Permission denied" in str(info.value)


def test_hung_command_and_its_children_are_killed_at_the_timeout(tmp_path):
    marker = tmp_path / "late"
    alerter = execute(
        f"/bin/sh -c 'sleep 30 & sleep 30; touch {marker}'",
        timeout=timedelta(seconds=1),
    )
    started = time.monotonic()
    with pytest.raises(DeliveryError) as info:
        alerter.send(make_event())
    assert time.monotonic() - started < 15  # generous; sleep 30 would exceed it
    assert not info.value.permanent
    assert "killed" in str(info.value)


REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("placeholder", "code"), [("{info}", 0), ("{infox}", 2)])
def test_monitor_py_checks_placeholders_at_load_time(tmp_path, placeholder, code):
    (tmp_path / "monitors.ini").write_text("[web]\ntype = null\n")
    (tmp_path / "monitor.ini").write_text(
        "[monitor]\ninterval = 10\n[reporting]\nalerters = run\n"
        f'[run]\ntype = execute\nfail_command = /bin/sh -c "echo {placeholder}"\n'
    )
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "monitor.py"),
            "-f",
            str(tmp_path / "monitor.ini"),
            "-t",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == code, done.stderr
    if code:
        assert "unknown placeholder {infox}" in done.stderr


# Places where bash (or awk, sed) evaluates a value as code although it arrives as
# data: arithmetic and array subscripts, variable names, trap handlers, awk programs,
# sed scripts. The info a server sends must never run there: each such command is
# either refused at load time or runs without executing the text.
SUBSCRIPT = "a[$(touch {marker})]"
EVALUATED = [
    ("bash -c 'let x={info}'", SUBSCRIPT),
    ("bash -c 'let {info}'", SUBSCRIPT),
    ("bash -c '[[ {info} -eq 1 ]]'", SUBSCRIPT),
    (
        "bash -c 'if [[ -n {info} && {info} -gt 2 ]]; then :; fi'",
        SUBSCRIPT,
    ),
    ("bash -c 'declare -i x={info}'", SUBSCRIPT),
    ("bash -c 'declare {info}=1'", SUBSCRIPT),
    ("bash -c 'printf -v {info} x'", SUBSCRIPT),
    ("bash -c 'test -v {info}'", SUBSCRIPT),
    ("bash -c '[ -v {info} ]'", SUBSCRIPT),
    ("bash -c 'read {info} <<< x'", SUBSCRIPT),
    ("bash -c 'arr[{info}]=1'", SUBSCRIPT),
    ("bash -c 'trap {info} EXIT'", "touch {marker}"),
    ("bash -c 'x=1; trap \"echo {info}\" EXIT'", "; touch {marker}"),
    ("awk {info}", 'BEGIN{{system("touch {marker}")}}'),
    ("awk -F: {info} /dev/null", 'BEGIN{{system("touch {marker}")}}'),
    ("sh -c 'awk {info} </dev/null'", 'BEGIN{{system("touch {marker}")}}'),
    ("sed {info} {lines}", "1e touch {marker}"),
    ("sed -n -e {info} {lines}", "1e touch {marker}"),
    ("sh -c 'echo x | sed {info}'", "1e touch {marker}"),
]


@pytest.mark.parametrize(("template", "hostile"), EVALUATED)
def test_text_that_bash_awk_or_sed_would_evaluate_never_runs(
    tmp_path, template, hostile
):
    marker, lines = tmp_path / "MARKER", tmp_path / "lines.txt"
    lines.write_text("x\n", encoding="utf-8")
    try:
        alerter = execute(template.replace("{lines}", quote(lines)))
    except ValueError:
        return  # refused at load time: the safe outcome
    with contextlib.suppress(DeliveryError):
        alerter.send(make_event(info=hostile.format(marker=marker)))
    assert not marker.exists()


@pytest.mark.parametrize(
    "template",
    [
        "bash -c 'printf \"%s\\n\" {info} >> {log}'",
        "bash -c '[[ {virtual_fail_count} -ge 1 ]] && echo {info} >> {log}'",
        "bash -c '[ -n {info} ] && echo {info} >> {log}'",
        "awk -v info={info} 'BEGIN {{ print info }}' >> /dev/null",
        "sh -c 'echo {info} | sed s/x/y/ >> {log}'",
    ],
)
def test_ordinary_scripts_with_text_placeholders_still_load(template):
    execute(template.replace("{log}", "/dev/null"))


def test_a_command_killed_by_a_signal_is_said_to_be_killed(tmp_path):
    # "exited with -9" read like the program's own error code.
    script = tmp_path / "die.sh"
    script.write_text("#!/bin/sh\nkill -9 $$\n")
    script.chmod(0o755)
    alerter = execute(quote(str(script)))
    with pytest.raises(DeliveryError) as info:
        alerter.send(make_event())
    assert not info.value.permanent
    assert "was killed by signal 9 (SIGKILL)" in str(info.value)


def test_simplemonitor_format_specs_in_commands_are_applied(tmp_path, recorder):
    # SimpleMonitor formats its commands with str.format, so a config may pad its
    # numbers ({hours:02}); such a monitor.ini must still load and run here.
    prefix, out = recorder
    (tmp_path / "monitors.ini").write_text("[down]\ntype = fail\n")
    (tmp_path / "monitor.ini").write_text(
        "[monitor]\ninterval = 10\n[reporting]\nalerters = run\n[run]\n"
        f"type = execute\nfail_command = {prefix} {{hours:02}}:{{minutes:02d}} "
        "{virtual_fail_count:03} [{name:>6}]\n"
    )
    argv = [
        sys.executable,
        str(REPO / "monitor.py"),
        "-f",
        str(tmp_path / "monitor.ini"),
    ]
    done = subprocess.run(
        [*argv, "-1"], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 1, done.stderr  # the check failed, and was alerted
    assert json.loads(out.read_text())["argv"] == ["00:00", "001", "[  down]"]


def test_a_format_spec_inside_a_shell_script_is_refused_with_a_hint():
    with pytest.raises(ValueError, match=r"printf"):
        command('sh -c "echo {hours:02}"', ParseContext())
