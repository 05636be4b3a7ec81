from pathlib import Path

import pytest

from alerters._command import parse_command
from alerters.execute import ExecuteAlerter, ExecuteOptions, program_problem
from simplemon.errors import DeliveryError
from simplemon.model import EventKind
from simplemon.options import build_options
from simplemon.parsers import ParseContext
from tests.peers.alert_events import make_event


def load(tmp_path: Path, **items: str):
    return build_options(
        ExecuteOptions,
        items,
        ParseContext(tmp_path),
        file="monitor.ini",
        section="run",
        type_name="execute",
        kind="alerter",
    )


def alerter(tmp_path: Path, **items: str) -> ExecuteAlerter:
    options, errors = load(tmp_path, **items)
    assert not errors, errors
    return ExecuteAlerter("run", options)


def test_each_placeholder_becomes_exactly_one_argument(tmp_path):
    a = alerter(tmp_path, fail_command="/bin/notify --name {name} {info} x{days}d")
    event = make_event(monitor="x; rm -rf /", info="a 'b' \"c\" $(d)")
    argv, _ = a.build(event)
    assert argv == ["/bin/notify", "--name", "x; rm -rf /", "a 'b' \"c\" $(d)", "x1d"]


def test_every_value_is_exported_in_the_environment(tmp_path):
    a = alerter(tmp_path, fail_command="/bin/true")
    _, env = a.build(make_event(failure_doc=None))
    assert env["SIMPLEMON_NAME"] == "web"
    assert env["SIMPLEMON_HOSTNAME"] == "host1"
    assert env["SIMPLEMON_INFO"] == "HTTP 503 Service Unavailable"
    assert env["SIMPLEMON_HOURS"] == "3"
    assert env["SIMPLEMON_FAILED_AT"] == "2026-01-05T12:00:00+00:00"
    assert env["SIMPLEMON_FAILURE_DOC"] == ""
    assert env["SIMPLEMON_EVENT"] == "failure"
    assert env["SIMPLEMON_EVENT_ID"] == "42-web-test"


def test_simplemonitor_format_specs_pad_numbers_and_text(tmp_path):
    a = alerter(tmp_path, fail_command="/bin/echo {days:02}:{hours:02d} {name:>5}")
    assert a.build(make_event())[0] == ["/bin/echo", "01:03", "  web"]


def test_literal_braces_are_written_doubled(tmp_path):
    a = alerter(tmp_path, fail_command="/bin/echo {{json}} {name}")
    assert a.build(make_event())[0] == ["/bin/echo", "{json}", "web"]


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("/bin/echo {bogus}", "unknown placeholder {bogus}"),
        ("/bin/echo {}", "unknown placeholder {}"),
        ("/bin/echo {0}", "unknown placeholder {0}"),
        ("/bin/echo {info.__class__}", "unknown placeholder"),
        ("/bin/echo {hours:x>300}", "format {hours:x>300} is wider than 200"),
        ("/bin/echo {info:d}", "bad format {info:d}: Unknown format code 'd'"),
        ("/bin/echo {hours:{days}}", "bad format {hours:{days}}"),
        ('sh -c "echo {hours:02}"', 'format "$SIMPLEMON_HOURS" with printf'),
        ("/bin/echo {info!r}", "expected a plain placeholder such as {info}"),
        ("/bin/echo {info", "bad placeholder"),
        ('/bin/echo "unclosed', "a quote is not closed"),
        # Blank is "not given", as in SimpleMonitor; with no other command set,
        # the alerter has nothing to run.
        ("   ", "execute needs fail_command, success_command or catchup_command"),
        ("{info} --x", "the program to run cannot come from a placeholder"),
        ("env {info}", "env would run '{info}' as a command"),
        ("sudo {name}", "sudo would run '{name}' as a command"),
    ],
)
def test_bad_commands_are_config_errors_at_load_time(tmp_path, command, message):
    options, errors = load(tmp_path, fail_command=command)
    assert options is None
    assert message in str(errors[0])


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ('sh -c "{info}"', "would run"),
        ('sh -c "eval {info}"', "would be run as a command by the shell"),
        ('sh -c "true; {info}"', "would be run as a command by the shell"),
        ('sh -c "x=1 {info} arg"', "would be run as a command by the shell"),
        ("sh -c 'echo \"$({info})\"'", "would be run as a command by the shell"),
        ("sh -c 'echo `{info}`'", "would be run as a command by the shell"),
        ("sh -c 'bash -c {info}'", "would be run as a command by the shell"),
        ('sh -c "{{ {info}; }}"', "would be run as a command by the shell"),
        ('sh -c "case x in a) {info};; esac"', "would be run as a command by"),
        ('sh -c "echo \\{info}"', "cannot follow a backslash"),
        ('python3 -c "print({info})"', "python3 -c runs its argument as code"),
        ("perl -e 'print q({info})'", "perl -e runs its argument as code"),
        ("node -e {info}", "node -e runs its argument as code"),
        ("fish -c 'echo {info}'", "fish -c runs its argument as code"),
        ("ssh host echo {info}", "ssh runs its arguments in a remote shell"),
    ],
)
def test_placeholders_that_would_execute_are_refused(tmp_path, command, message):
    options, errors = load(tmp_path, fail_command=command)
    assert options is None
    assert message in str(errors[0])


@pytest.mark.parametrize(
    ("command", "script"),
    [
        ('/bin/sh -c "echo {info} >> a.log"', 'echo "${SIMPLEMON_INFO}" >> a.log'),
        ("sh -c 'echo \"Alert: {info}\"'", 'echo "Alert: ${SIMPLEMON_INFO}"'),
        ("sh -c \"echo 'Alert: {info}'\"", "echo 'Alert: '\"${SIMPLEMON_INFO}\"''"),
        ("bash -c \"echo $'a\\\\t{name}'\"", "echo $'a\\t'\"${SIMPLEMON_NAME}\"$''"),
        ("env bash -ec 'logger {name}'", 'logger "${SIMPLEMON_NAME}"'),
        ("sh -o errexit -c 'echo {name}'", 'echo "${SIMPLEMON_NAME}"'),
        ("dash -c 'echo {{}} {name}'", 'echo {} "${SIMPLEMON_NAME}"'),
    ],
)
def test_shell_scripts_reference_environment_variables(command, script):
    assert parse_command(command).shell_script == script


def test_shell_script_arguments_after_the_script_stay_plain(tmp_path):
    a = alerter(tmp_path, fail_command="sh -c 'echo \"$1\" {name}' sh {info}")
    argv, _ = a.build(make_event(info="$(x)"))
    assert argv == ["sh", "-c", 'echo "$1" "${SIMPLEMON_NAME}"', "sh", "$(x)"]


def test_a_shell_without_dash_c_is_not_rewritten():
    assert parse_command("sh /usr/local/bin/alert.sh {info}").shell_script is None


@pytest.mark.parametrize(
    ("items", "handled"),
    [
        (
            {"fail_command": "/bin/a"},
            {EventKind.FAILURE, EventKind.REMINDER, EventKind.CATCHUP},
        ),
        ({"success_command": "/bin/b"}, {EventKind.RECOVERY}),
        (
            {"fail_command": "/bin/a", "catchup_command": "fail_command"},
            {EventKind.FAILURE, EventKind.REMINDER, EventKind.CATCHUP},
        ),
        ({"catchup_command": "/bin/c"}, {EventKind.CATCHUP}),
    ],
)
def test_handles_only_kinds_with_a_command(tmp_path, items, handled):
    a = alerter(tmp_path, **items)
    assert {k for k in EventKind if a.handles(k)} == handled


def test_catchup_may_reuse_the_fail_command(tmp_path):
    a = alerter(tmp_path, fail_command="/bin/a {name}", catchup_command="fail_command")
    assert a.build(make_event(kind=EventKind.CATCHUP))[0] == ["/bin/a", "web"]


def test_catchup_without_catchup_command_runs_the_fail_command(tmp_path):
    # SimpleMonitor's execute alerter sends a held (delay = yes) failure as a
    # failure, running fail_command; dropping it would lose the alert.
    a = alerter(tmp_path, fail_command="/bin/a {name}", success_command="/bin/b")
    assert a.build(make_event(kind=EventKind.CATCHUP))[0] == ["/bin/a", "web"]


def test_an_own_catchup_command_is_used_for_catchups(tmp_path):
    a = alerter(tmp_path, fail_command="/bin/a", catchup_command="/bin/c {name}")
    assert a.build(make_event(kind=EventKind.CATCHUP))[0] == ["/bin/c", "web"]


def test_recovery_runs_the_success_command(tmp_path):
    a = alerter(tmp_path, fail_command="/bin/a", success_command="/bin/b {name}")
    assert a.build(make_event(kind=EventKind.RECOVERY))[0] == ["/bin/b", "web"]


def test_an_unhandled_kind_is_a_permanent_error(tmp_path):
    a = alerter(tmp_path, fail_command="/bin/a")
    with pytest.raises(DeliveryError) as info:
        a.send(make_event(kind=EventKind.RECOVERY))
    assert info.value.permanent


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ({}, "needs fail_command, success_command or catchup_command"),
        ({"catchup_command": "fail_command"}, "needs a fail_command"),
        ({"fail_command": "fail_command"}, "cannot be `fail_command`"),
        ({"fail_command": "/bin/a", "timeout": "0"}, "expected at least 1s"),
    ],
)
def test_bad_option_combinations_are_config_errors(tmp_path, items, message):
    options, errors = load(tmp_path, **items)
    assert options is None
    assert message in str(errors[0])


def executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def test_program_problem_accepts_an_executable_path_and_a_name_found_in_path(
    tmp_path,
):
    program = executable(tmp_path / "page")
    assert program_problem(str(program), []) is None
    assert program_problem("page", ["/nonexistent", str(tmp_path)]) is None


def test_program_problem_names_a_missing_path_and_a_name_not_in_path(tmp_path):
    assert program_problem(str(tmp_path / "pagee"), [str(tmp_path)]) == (
        f"program {tmp_path / 'pagee'} not found"
    )
    assert (
        program_problem("pagee", [str(tmp_path)]) == "program pagee not found in PATH"
    )


def test_program_problem_tells_not_executable_and_folder(tmp_path):
    plain = tmp_path / "page"
    plain.write_text("x", encoding="utf-8")
    plain.chmod(0o644)
    assert program_problem(str(plain), []) == f"program {plain} is not executable"
    assert program_problem("page", [str(tmp_path)]) == (
        f"program page ({plain}) is not executable"
    )
    assert program_problem(str(tmp_path), []) == f"program {tmp_path} is a folder"


def test_program_problem_takes_the_first_runnable_match_in_path(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "page").write_text("x", encoding="utf-8")  # not executable
    executable(second / "page")
    assert program_problem("page", [str(first), str(second)]) is None


def test_program_problem_reads_a_relative_path_from_the_working_directory(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    assert (
        program_problem("./page", []) == f"program ./page not found (from {tmp_path})"
    )
    executable(tmp_path / "page")
    assert program_problem("./page", []) is None


def test_problems_names_each_command_key_and_skips_catchup_reusing_fail(tmp_path):
    good = executable(tmp_path / "good")
    a = alerter(
        tmp_path,
        fail_command=f"{tmp_path / 'missing'} {{name}}",
        success_command=f"{good} {{name}}",
        catchup_command="fail_command",
    )
    assert a.problems() == [f"fail_command: program {tmp_path / 'missing'} not found"]
    b = alerter(
        tmp_path,
        success_command=f"{tmp_path / 'gone'}",
        catchup_command=f"{tmp_path} {{name}}",
    )
    assert b.problems() == [
        f"success_command: program {tmp_path / 'gone'} not found",
        f"catchup_command: program {tmp_path} is a folder",
    ]


def test_problems_looks_up_a_bare_name_in_the_commands_path(tmp_path, monkeypatch):
    executable(tmp_path / "mypager")
    a = alerter(tmp_path, fail_command="mypager {name}")
    monkeypatch.setenv("PATH", "/nonexistent")
    assert a.problems() == ["fail_command: program mypager not found in PATH"]
    monkeypatch.setenv("PATH", f"/nonexistent:{tmp_path}")
    assert a.problems() == []


def test_sh_c_checks_the_shell_not_the_script(tmp_path):
    a = alerter(tmp_path, fail_command="/bin/sh -c 'nosuchprog {name}'")
    assert a.problems() == []
