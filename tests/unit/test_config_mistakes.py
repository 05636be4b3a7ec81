"""The errors a user gets for likely mistakes: located, one line, plain words.

Each test writes a small config with one mistake a sysadmin could make and checks
the exact message (file, section, key, what was expected), or that a harmless
quirk (a BOM from Notepad) loads.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from simplemon.config import load_config
from simplemon.errors import ConfigErrors

REPO = Path(__file__).resolve().parents[2]
MAIN = "[monitor]\ninterval = 60\n"
MONITORS = "[web]\ntype = null\n"
HTTP_LOCAL = "[web]\ntype = http\nurl = http://127.0.0.1:18080/\n"


def run_monitor(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``monitor.py ARGS`` on ``folder/monitor.ini``."""
    main = str(folder / "monitor.ini")
    return subprocess.run(
        [sys.executable, str(REPO / "monitor.py"), *args, "-f", main],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def check_refuses(folder: Path, monitors: str) -> subprocess.CompletedProcess[str]:
    """Run ``-t`` on MAIN and ``monitors``; assert it refused them, no traceback."""
    (folder / "monitor.ini").write_text(MAIN, encoding="utf-8")
    (folder / "monitors.ini").write_text(monitors, encoding="utf-8")
    done = run_monitor(folder, "-t", "--no-timestamps")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    return done


def errors_of(tmp_path: Path, main: str, monitors: str = MONITORS) -> list[str]:
    (tmp_path / "monitor.ini").write_text(main, encoding="utf-8")
    (tmp_path / "monitors.ini").write_text(monitors, encoding="utf-8")
    with pytest.raises(ConfigErrors) as info:
        load_config(tmp_path / "monitor.ini", environ={})
    return [str(e).replace(f"{tmp_path}/", "") for e in info.value.errors]


def test_a_list_item_continued_on_the_next_line_says_why(tmp_path):
    main = MAIN + "[reporting]\nloggers = logfile\n    db\n"
    assert errors_of(tmp_path, main) == [
        "monitor.ini: [reporting] loggers: an item continues on an indented line "
        "('db'); INI reads indented lines as part of the previous value: separate "
        "list items with commas, or remove the indentation"
    ]


GLUED = (
    "continues on an indented line ({line}); INI reads indented lines as part of "
    "the previous value: remove the indentation"
)


@pytest.mark.parametrize(
    ("monitors", "expected"),
    [
        (
            HTTP_LOCAL + "   timeout = 3\n",
            "monitors.ini: [web] url: the value " + GLUED.format(line="'timeout = 3'"),
        ),
        (
            HTTP_LOCAL + "regexp = ok\n  tolerance = 2\n",
            "monitors.ini: [web] regexp: the value "
            + GLUED.format(line="'tolerance = 2'"),
        ),
        (
            "[db]\ntype = tcp\nhost = 127.0.0.1\nport = 18080\n  tolerance = 2\n",
            "monitors.ini: [db] port: the value "
            + GLUED.format(line="'tolerance = 2'"),
        ),
        (
            # A blank line inside: still one value (ConfigParser keeps it).
            "[web]\ntype = null\ntolerance = 1\n\n   gap = 3\n",
            "monitors.ini: [web] tolerance: the value "
            + GLUED.format(line="'gap = 3'"),
        ),
        (
            # A secret on the continued line is not quoted back.
            HTTP_LOCAL.replace("url", "username = me\nurl") + "  password = S3cret\n",
            "monitors.ini: [web] url: the value " + GLUED.format(line="password = …"),
        ),
        (
            # Nor is the continued line of a secret option.
            HTTP_LOCAL + "username = me\npassword = S3cret\n  timeout = 3\n",
            "monitors.ini: [web] password: the value continues on an indented "
            "line; INI reads indented lines as part of the previous value: remove "
            "the indentation",
        ),
        (
            HTTP_LOCAL + "allowed_codes = 200,\n  201\n  tolerance = 2\n",
            "monitors.ini: [web] allowed_codes: an item continues on an indented "
            "line ('tolerance = 2'); INI reads indented lines as part of the "
            "previous value: separate list items with commas, or remove the "
            "indentation",
        ),
    ],
    ids=["url", "regexp", "port", "blank-line", "secret-line", "secret-key", "list"],
)
def test_a_value_glued_to_an_indented_line_is_an_error_that_says_why(
    tmp_path, monitors, expected
):
    assert errors_of(tmp_path, MAIN, monitors) == [expected]


def test_options_that_take_several_lines_still_do(tmp_path):
    # Lists wrapped after a comma, dns values one per line, JSON, a request body,
    # a wrapped command and failure_doc text, and a value put on the next line.
    (tmp_path / "monitor.ini").write_text(
        MAIN + "[reporting]\nloggers = a,\n  b\nalerters = pager\n"
        "[a]\ntype = logfile\nfilename = a.log\n"
        "[b]\ntype = logfile\nfilename = b.log\n"
        "[pager]\ntype = execute\nfail_command = /bin/echo\n  down {name}\n"
        "success_command = /bin/echo\n  up\ncatchup_command = /bin/echo\n  late\n",
        encoding="utf-8",
    )
    (tmp_path / "monitors.ini").write_text(
        "[web]\ntype = http\nurl =\n  http://127.0.0.1/\nmethod = POST\n"
        'headers = {"X-A": "1",\n  "X-B": "2"}\n'
        "data = a=1\n  b=2\nallowed_codes = 200,\n  204\n"
        "group = web,\n  front\n"
        "failure_doc = restart it\n  then call ops\n"
        "recover_command = /bin/echo\n  fixing\n"
        "[api]\ntype = http\nurl = http://127.0.0.1/\nmethod = POST\n"
        'json = {"a":\n  1}\n'
        "[ns]\ntype = dns\nrecord = example.com\nserver = 127.0.0.1\n"
        "desired_val =\n  192.0.2.1\n  192.0.2.2\ndepend = web,\n  api\n",
        encoding="utf-8",
    )
    config = load_config(tmp_path / "monitor.ini", environ={})
    web = config.monitor("web")
    assert web.plugin.options.url == "http://127.0.0.1/"
    assert web.plugin.options.headers == {"X-A": "1", "X-B": "2"}
    assert web.plugin.options.data == "a=1\nb=2"
    assert web.plugin.options.allowed_codes == (200, 204)
    assert web.common.group == "web,front"
    assert web.common.failure_doc == "restart it\nthen call ops"
    assert config.monitor("api").plugin.options.json_body == '{"a":\n1}'
    ns = config.monitor("ns")
    assert ns.plugin.options.desired_val == ("192.0.2.1", "192.0.2.2")
    assert ns.common.depend == ("web", "api")
    assert [logger.name for logger in config.loggers] == ["a", "b"]
    # SimpleMonitor splits commands on whitespace: a wrapped one still runs.
    pager = config.alerters[0].plugin.options
    assert pager.fail_command.render({"name": "web"}) == ["/bin/echo", "down", "web"]
    assert pager.success_command.render({}) == ["/bin/echo", "up"]
    assert pager.catchup_command.render({}) == ["/bin/echo", "late"]


def test_check_mode_fails_on_a_url_glued_to_the_next_line(tmp_path):
    done = check_refuses(tmp_path, HTTP_LOCAL + "   timeout = 3\n")
    assert (
        f"error: {tmp_path}/monitors.ini: [web] url: the value continues on an "
        "indented line ('timeout = 3')"
    ) in done.stderr
    assert "configuration OK" not in done.stdout


def test_a_section_name_with_a_terminal_escape_is_shown_escaped(tmp_path):
    main = MAIN + "[reporting]\nalerters = \x1b[2Jpager\n"
    (message,) = errors_of(tmp_path, main)
    assert "\x1b" not in message
    assert "no [\\x1b[2Jpager] section" in message


LONG = "x" * 300  # longer than any file name may be (ENAMETOOLONG)


@pytest.mark.parametrize("key", ["monitors", "monitors_dir"])
def test_an_impossible_monitors_path_is_an_error_not_a_crash(tmp_path, key):
    assert errors_of(tmp_path, MAIN + f"{key} = {LONG}\n") == [
        f"monitor.ini: [monitor] {key} = '{LONG}': cannot be looked at: "
        "File name too long"
    ]


@pytest.mark.parametrize(
    "section",
    ids=["state_file", "logfile", "db", "html"],
    argvalues=[
        f"state_file = {LONG}\n",
        f"[reporting]\nloggers = log\n[log]\ntype = logfile\nfilename = {LONG}\n",
        f"[reporting]\nloggers = db\n[db]\ntype = db\ndb_path = {LONG}\n",
        f"[reporting]\nloggers = page\n[page]\ntype = html\nfolder = {LONG}\n",
    ],
)
def test_an_impossible_output_path_is_a_warning_not_a_crash(tmp_path, section):
    (tmp_path / "monitor.ini").write_text(MAIN + section, encoding="utf-8")
    (tmp_path / "monitors.ini").write_text(MONITORS, encoding="utf-8")
    config = load_config(tmp_path / "monitor.ini", environ={})
    (warning,) = config.warnings
    assert f"cannot look at {tmp_path}/{LONG}" in warning
    assert "File name too long" in warning


def _as_nobody() -> list[str] | None:
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        return None
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]


def run_as_nobody(root: Path, main_text: str) -> subprocess.CompletedProcess[str]:
    """Run ``monitor.py -t`` as nobody on ``root/monitor.ini`` (root/locked: 0700)."""
    main = root / "monitor.ini"
    main.write_text(main_text, encoding="utf-8")
    main.chmod(0o644)
    command = [*(_as_nobody() or []), sys.executable, str(REPO / "monitor.py")]
    return subprocess.run(
        [*command, "-t", "-f", str(main), "--no-timestamps"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(_as_nobody() is None, reason="needs root and setpriv")
def test_paths_in_a_folder_the_service_user_cannot_enter_are_errors_not_crashes():
    # As a service user, with a config naming files in a folder only root may
    # enter: every such path is reported (a PermissionError used to escape).
    # Not tmp_path: the user must reach the config, and pytest's folders are 0700.
    root = Path(tempfile.mkdtemp(prefix="simplemon-qa-"))
    try:
        root.chmod(0o755)
        locked = root / "locked"
        locked.mkdir(mode=0o700)
        (locked / "monitors.ini").write_text(MONITORS, encoding="utf-8")
        (locked / "ca.pem").write_text("", encoding="utf-8")
        (root / "monitors.ini").write_text(MONITORS, encoding="utf-8")
        (root / "monitors.ini").chmod(0o644)
        broken = run_as_nobody(
            root,
            "[monitor]\ninterval = 60\nmonitors = locked/monitors.ini\n"
            "monitors_dir = locked/more\n"
            "[reporting]\nalerters = mail\n"
            "[mail]\ntype = email\nhost = 127.0.0.1\nfrom = a@localhost\n"
            "to = b@localhost\nca_file = locked/ca.pem\n",
        )
        # Where output goes is only checked at load time: warnings, still valid.
        warned = run_as_nobody(
            root,
            "[monitor]\ninterval = 60\nstate_file = locked/state.db\n"
            "[reporting]\nloggers = log\n"
            "[log]\ntype = logfile\nfilename = locked/log/x.log\n",
        )
    finally:
        shutil.rmtree(root)
    assert "Traceback" not in broken.stderr
    assert broken.returncode == 2
    errors = [line for line in broken.stderr.splitlines() if line.startswith("error")]
    m = f"error: {root}/monitor.ini: "
    assert errors == [
        f"{m}[monitor] monitors = '{root}/locked/monitors.ini': cannot be looked at: "
        "Permission denied",
        f"{m}[monitor] monitors_dir = '{root}/locked/more': cannot be looked at: "
        "Permission denied",
        f"{m}[mail] ca_file = 'locked/ca.pem': cannot look at "
        f"{root}/locked/ca.pem: Permission denied",
    ]
    assert "Traceback" not in warned.stderr
    assert warned.returncode == 0
    assert (
        f"[monitor] state_file: cannot look at {root}/locked/state.db: "
        "Permission denied"
    ) in warned.stderr
    assert f"[log] cannot look at {root}/locked/log/x.log: Permission denied" in (
        warned.stderr
    )


def test_a_file_saved_with_a_bom_by_notepad_loads(tmp_path):
    # Windows editors start UTF-8 files with a BOM; it used to read as text
    # before [monitor]: "line 1 comes before any [section]".
    (tmp_path / "monitor.ini").write_bytes(b"\xef\xbb\xbf" + MAIN.encode())
    (tmp_path / "monitors.ini").write_bytes(b"\xef\xbb\xbf" + MONITORS.encode())
    config = load_config(tmp_path / "monitor.ini", environ={})
    assert [m.name for m in config.monitors] == ["web"]


def test_a_file_not_in_utf8_names_the_line_of_the_first_bad_byte(tmp_path):
    (tmp_path / "monitor.ini").write_text(MAIN, encoding="utf-8")
    (tmp_path / "monitors.ini").write_bytes(
        b"[web]\ntype = null\nfailure_doc = caf\xe9 closed\n"
    )
    with pytest.raises(ConfigErrors) as info:
        load_config(tmp_path / "monitor.ini", environ={})
    assert [str(e) for e in info.value.errors] == [
        f"{tmp_path}/monitors.ini: line 3: not UTF-8 text (byte 0xe9); "
        "save the file as UTF-8"
    ]


HTTP = "[web]\ntype = http\nurl = http://127.0.0.1/\n"
EXECUTE = MAIN + "[reporting]\nalerters = pager\n[pager]\ntype = execute\n"


@pytest.mark.parametrize(
    ("main", "monitors", "expected"),
    [
        (
            "[monitor]\n",
            MONITORS,
            "monitor.ini: [monitor] missing required option 'interval', "
            "e.g. interval = 60",
        ),
        (
            MAIN,
            "[web]\ntype = http\n",
            "monitors.ini: [web] missing required option 'url' for monitor type "
            "'http', e.g. url = http://127.0.0.1/",
        ),
        (
            MAIN + "[reporting]\nalerters = mail\n[mail]\nhost = 127.0.0.1\n",
            MONITORS,
            "monitor.ini: [mail] missing required option 'type' for an alerter",
        ),
        (
            EXECUTE + "fail_command = /bin/true\ndays = mon, tue\n",
            MONITORS,
            "monitor.ini: [pager] days = 'mon, tue': expected a comma-separated list "
            "of whole numbers from 0 to 6, e.g. 0, 6",
        ),
        (
            MAIN,
            HTTP + "allowed_codes = 200 OK\n",
            "monitors.ini: [web] allowed_codes = '200 OK': expected a comma-separated "
            "list of whole numbers from 100 to 599, e.g. 100, 599",
        ),
        (
            MAIN,
            HTTP + "headers = X-Api-Key: 1\n",
            "monitors.ini: [web] headers: expected a JSON object, e.g. "
            '{"X-A": "b"} (not valid JSON at line 1 column 1)',
        ),
        (
            EXECUTE + "fail_command = /bin/echo 'down\n",
            MONITORS,
            'monitor.ini: [pager] fail_command = "/bin/echo \'down": expected a '
            "command line, e.g. /usr/bin/logger {name} (a quote is not closed)",
        ),
        (
            EXECUTE + "fail_command = /bin/echo down\\\n",
            MONITORS,
            "monitor.ini: [pager] fail_command = '/bin/echo down\\\\': expected a "
            "command line, e.g. /usr/bin/logger {name} (it ends with a lone "
            "backslash)",
        ),
        (
            MAIN,
            HTTP + HTTP,
            "monitors.ini: [web] line 4: this section appears twice in the file; "
            "rename or remove one",
        ),
        (
            MAIN,
            HTTP + "timeout = 1\ntimeout = 2\n",
            "monitors.ini: [web] timeout: line 5: given twice in this section; "
            "remove one",
        ),
        (
            MAIN,
            HTTP.replace("http://127.0.0.1/", "%env:WEB_URL%"),
            "monitors.ini: [web] environment variable WEB_URL (used by 'url') is "
            "not set",
        ),
        (
            MAIN,
            "[a]\ntype = null\ndepend = b\n[b]\ntype = null\ndepend = a\n",
            "monitors.ini: [a] depend: dependency cycle: a -> b -> a",
        ),
        (
            MAIN,
            "[web]\ntype = null\n[database]\ntype = null\n[app]\ntype = null\n"
            "depend = databse\n",
            "monitors.ini: [app] depend: depends on 'databse', but there is no "
            "monitor of that name (did you mean 'database'?)",
        ),
    ],
    ids=[
        "interval",
        "url",
        "alerter-type",
        "days",
        "allowed_codes",
        "headers",
        "quote",
        "backslash",
        "section-twice",
        "key-twice",
        "env-unset",
        "cycle",
        "depend-typo",
    ],
)
def test_likely_mistakes_get_one_clear_error(tmp_path, main, monitors, expected):
    assert errors_of(tmp_path, main, monitors) == [expected]


ALERTER_AND_LOGGER_DEPEND = (
    MAIN
    + "[reporting]\nalerters = pager\nloggers = file\n"
    + "[pager]\ntype = syslog\ndepend = {dep}\n"
    + "[file]\ntype = logfile\nfilename = out.log\ndepend = {dep}\n"
)


def test_alerter_and_logger_depend_on_a_broken_monitor_report_only_its_error(
    tmp_path,
):
    # The uplink exists; its own error is the one to fix, not "no such monitor".
    main = ALERTER_AND_LOGGER_DEPEND.format(dep="uplink")
    monitors = "[uplink]\ntype = null\ntolerance = lots\n"
    assert errors_of(tmp_path, main, monitors) == [
        "monitors.ini: [uplink] tolerance = 'lots': expected a whole number, e.g. 10"
    ]


def test_alerter_and_logger_depend_typos_get_a_suggestion(tmp_path):
    main = ALERTER_AND_LOGGER_DEPEND.format(dep="uplnk")
    assert errors_of(tmp_path, main, "[uplink]\ntype = null\n") == [
        f"monitor.ini: [{name}] depend: depends on 'uplnk', but there is no monitor "
        "of that name (did you mean 'uplink'?)"
        for name in ("pager", "file")
    ]


@pytest.mark.parametrize(
    ("monitor", "expected"),
    [
        (
            "[db]\ntype = tcp\nhost = 127.0.0.1:22\nport = 22\n",
            "monitors.ini: [db] host = '127.0.0.1:22': expected a host name or IP "
            "address without a port (put the port in port = 22)",
        ),
        (
            "[db]\ntype = tcp\nhost = [::1]:5432\nport = 5432\n",
            "monitors.ini: [db] host = '[::1]:5432': expected a host name or IP "
            "address without a port (put the port in port = 5432)",
        ),
        (
            "[gw]\ntype = ping\nhost = gw.lan:80\n",
            "monitors.ini: [gw] host = 'gw.lan:80': expected a host name or IP "
            "address without a port (ping has no port)",
        ),
        (
            "[gw]\ntype = host\nhost = http://gw.lan/\n",
            "monitors.ini: [gw] host = 'http://gw.lan/': expected a host name or IP "
            "address, not a URL, e.g. 127.0.0.1, ::1 or db.example.com",
        ),
        (
            "[ns]\ntype = dns\nrecord = example.com\nserver = 127.0.0.1:53\n",
            "monitors.ini: [ns] server = '127.0.0.1:53': expected an IP address "
            "without a port (put it in the port option), e.g. 127.0.0.1 or ::1",
        ),
    ],
    ids=["tcp", "tcp-ipv6", "ping", "host-url", "dns-server"],
)
def test_a_host_with_a_port_is_an_error(tmp_path, monitor, expected):
    assert errors_of(tmp_path, MAIN, monitor) == [expected]


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "::1", "[::1]", "fe80::1%eth0", "localhost", "db-1.lan"]
)
@pytest.mark.parametrize("kind", ["tcp", "ping", "host"])
def test_hosts_without_a_port_load(tmp_path, kind, host):
    port = "port = 22\n" if kind == "tcp" else ""
    (tmp_path / "monitor.ini").write_text(MAIN, encoding="utf-8")
    (tmp_path / "monitors.ini").write_text(
        f"[m]\ntype = {kind}\nhost = {host}\n{port}", encoding="utf-8"
    )
    config = load_config(tmp_path / "monitor.ini", environ={})
    assert config.monitor("m").plugin.options.host == host


def test_check_mode_fails_on_a_tcp_host_with_a_port(tmp_path):
    done = check_refuses(
        tmp_path, "[ssh]\ntype = tcp\nhost = 127.0.0.1:22\nport = 22\n"
    )
    assert (
        f"error: {tmp_path}/monitors.ini: [ssh] host = '127.0.0.1:22': expected a "
        "host name or IP address without a port (put the port in port = 22)"
    ) in done.stderr


@pytest.mark.parametrize(
    ("state_file", "expected"),
    [
        (
            "afile/state.db",
            "monitor.ini: [monitor] state_file = 'afile/state.db': cannot be "
            "created: afile is a file, not a folder",
        ),
        (
            ".",
            "monitor.ini: [monitor] state_file = '{tmp}': is a folder; expected "
            "the path of a file",
        ),
    ],
    ids=["under-a-file", "a-folder"],
)
def test_a_state_file_that_can_never_be_opened_is_an_error(
    tmp_path, state_file, expected
):
    (tmp_path / "afile").write_text("")
    errors = errors_of(tmp_path, MAIN + f"state_file = {state_file}\n")
    assert errors == [expected.format(tmp=tmp_path)]


@pytest.mark.parametrize("mode", [["-t"], ["-1"], []], ids=["test", "once", "daemon"])
def test_every_mode_refuses_a_state_file_under_a_regular_file(tmp_path, mode):
    (tmp_path / "afile").write_text("")
    (tmp_path / "monitor.ini").write_text(
        MAIN + "state_file = afile/state.db\n", encoding="utf-8"
    )
    (tmp_path / "monitors.ini").write_text(MONITORS, encoding="utf-8")
    done = run_monitor(tmp_path, *mode, "--no-timestamps")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "configuration OK" not in done.stdout
    assert done.stderr.splitlines() == [
        f"error: {tmp_path}/monitor.ini: [monitor] state_file = "
        f"'{tmp_path}/afile/state.db': cannot be created: {tmp_path}/afile is a "
        "file, not a folder",
        "1 configuration error(s); nothing was started",
    ]


@pytest.mark.parametrize(
    ("main", "monitors", "expected"),
    [
        (
            MAIN,
            "[default]\ntolerance = 2\n" + MONITORS,
            [
                "monitors.ini: [default] missing required option 'type' for a "
                "monitor (did you mean [defaults]?)"
            ],
        ),
        (
            "[monitr]\ninterval = 60\n",
            MONITORS,
            [
                "monitor.ini: missing the [monitor] section ([monitr]: did you mean "
                "[monitor]?)"
            ],
        ),
        (
            MAIN + "[Reporting]\nloggers = log\n[log]\ntype = logfile\nfilename = l\n",
            MONITORS,
            [
                "monitor.ini: missing the [reporting] section ([Reporting]: did you "
                "mean [reporting]?)"
            ],
        ),
        (
            MAIN,
            "[a]\ntype = null\n[b]\ntype = null\ndepend = A\n",
            [
                "monitors.ini: [b] depend: depends on 'A', but there is no monitor of "
                "that name (did you mean 'a'?)"
            ],
        ),
        (
            MAIN + "[reporting]\nalerters = Pager\n[pager]\ntype = syslog\n",
            MONITORS,
            [
                "monitor.ini: [reporting] alerters lists 'Pager', but there is no "
                "[Pager] section (did you mean [pager]?)"
            ],
        ),
        (
            MAIN,
            "[web]\ntype = null\nTolerence = 1\n",
            [
                "monitors.ini: [web] unknown option 'tolerence' for type 'null' (did "
                "you mean 'tolerance'?)"
            ],
        ),
    ],
    ids=["default", "monitor", "reporting", "depend-case", "alerter-case", "key"],
)
def test_misspelt_names_get_a_did_you_mean(tmp_path, main, monitors, expected):
    assert errors_of(tmp_path, main, monitors) == expected


def test_an_unrelated_section_is_no_reporting_hint(tmp_path):
    # [reporting] is optional: only a near miss without a type is an error.
    (tmp_path / "monitor.ini").write_text(
        MAIN + "[reports]\ntype = logfile\nfilename = r.log\n[notes]\nx = 1\n",
        encoding="utf-8",
    )
    (tmp_path / "monitors.ini").write_text(MONITORS, encoding="utf-8")
    assert load_config(tmp_path / "monitor.ini", environ={}).loggers == ()


def test_check_mode_suggests_defaults_for_default(tmp_path):
    done = check_refuses(tmp_path, "[default]\ntolerance = 2\n" + MONITORS)
    assert (
        f"error: {tmp_path}/monitors.ini: [default] missing required option 'type' "
        "for a monitor (did you mean [defaults]?)"
    ) in done.stderr
