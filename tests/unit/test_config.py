from datetime import time, timedelta
from pathlib import Path

import pytest

from simplemon.common import clock_time
from simplemon.config import dependency_order, load_config
from simplemon.depgraph import find_cycle, topological_order
from simplemon.errors import ConfigErrors
from simplemon.parsers import ParseContext

MAIN = """
[monitor]
interval = 30

[reporting]
loggers = file
alerters =

[file]
type = logfile
filename = logs/out.log
"""


#: Three broken monitors: unknown type, misspelt key + missing dependency, bad value.
BROKEN_MONITORS = """
[web]
type = htpp
[db]
type = null
tolerence = 2
depend = cache
[api]
type = null
tolerance = -1
"""


def errors_of(path: Path, environ=None) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        load_config(path, environ=environ or {})
    return [str(e) for e in info.value.errors]


def test_loads_monitors_in_file_order_with_typed_options(write_ini, tmp_path):
    main = write_ini("monitor.ini", MAIN)
    write_ini(
        "monitors.ini",
        """
        [b]
        type = null
        tolerance = 2
        depend = a
        [a]
        type = fail
        interval = 4
        gap = 5m
        remind = 10
        """,
    )
    config = load_config(main, environ={})
    assert [m.name for m in config.monitors] == ["b", "a"]
    b, a = config.monitors
    assert b.common.tolerance == 2
    assert b.common.depend == ("a",)
    assert a.plugin.options.interval == 4
    assert a.common.gap == timedelta(minutes=5)
    assert a.common.remind == timedelta(minutes=10)
    assert config.main.interval == timedelta(seconds=30)
    assert dependency_order(config) == ["a", "b"]


def test_relative_paths_resolve_against_the_naming_file(write_ini, tmp_path):
    main = write_ini("etc/monitor.ini", MAIN)
    write_ini("etc/monitors.ini", "[a]\ntype = null\n")
    config = load_config(main, environ={})
    assert config.loggers[0].plugin.options.filename == tmp_path / "etc/logs/out.log"
    assert config.main.monitors == tmp_path / "etc/monitors.ini"


def test_defaults_apply_only_where_the_type_accepts_the_key(write_ini):
    main = write_ini("monitor.ini", MAIN)
    write_ini(
        "monitors.ini",
        """
        [defaults]
        tolerance = 3
        interval = 7
        [f]
        type = fail
        [n]
        type = null
        [own]
        type = null
        tolerance = 0
        """,
    )
    config = load_config(main, environ={})
    assert config.monitor("f").plugin.options.interval == 7
    assert config.monitor("f").common.tolerance == 3
    assert config.monitor("n").common.tolerance == 3
    assert config.monitor("own").common.tolerance == 0


def test_defaults_key_no_type_accepts_is_an_error(write_ini, tmp_path):
    main = write_ini("monitor.ini", MAIN)
    write_ini("monitors.ini", "[defaults]\ntolerence = 1\n[a]\ntype = null\n")
    assert errors_of(main) == [
        f"{tmp_path}/monitors.ini: [defaults] option 'tolerence' is not accepted by "
        "any monitor type (did you mean 'tolerance'?)"
    ]


def test_monitors_dir_merges_option_by_option_in_sorted_order(write_ini, tmp_path):
    main = write_ini(
        "monitor.ini",
        MAIN.replace("interval = 30", "interval = 30\nmonitors_dir = monitors.d"),
    )
    write_ini("monitors.ini", "[a]\ntype = fail\ninterval = 2\ntolerance = 1\n")
    write_ini("monitors.d/20-late.ini", "[a]\ninterval = 9\n")
    write_ini("monitors.d/10-early.ini", "[a]\ninterval = 5\n[b]\ntype = null\n")
    write_ini("monitors.d/ignored.txt", "[c]\ntype = null\n")
    config = load_config(main, environ={})
    assert config.monitor("a").plugin.options.interval == 9
    assert config.monitor("a").common.tolerance == 1
    assert [m.name for m in config.monitors] == ["a", "b"]


def test_errors_name_the_file_that_holds_the_bad_value(write_ini, tmp_path):
    main = write_ini(
        "monitor.ini", MAIN.replace("interval = 30", "interval = 30\nmonitors_dir = d")
    )
    write_ini("monitors.ini", "[a]\ntype = fail\n")
    write_ini("d/x.ini", "[a]\ninterval = many\n")
    assert errors_of(main) == [
        f"{tmp_path}/d/x.ini: [a] interval = 'many': expected a whole number, e.g. 10"
    ]


def test_env_substitution_in_values_and_section_names(write_ini):
    main = write_ini("monitor.ini", MAIN)
    write_ini("monitors.ini", "[%env:SITE%-web]\ntype = fail\ninterval = %env:N%\n")
    config = load_config(main, environ={"SITE": "lon", "N": "6"})
    assert config.monitors[0].name == "lon-web"
    assert config.monitors[0].plugin.options.interval == 6


def test_missing_env_var_is_an_error_naming_the_key(write_ini, tmp_path):
    main = write_ini("monitor.ini", MAIN)
    write_ini("monitors.ini", "[a]\ntype = fail\ninterval = %env:NOPE%\n")
    assert errors_of(main) == [
        f"{tmp_path}/monitors.ini: [a] environment variable NOPE (used by 'interval') "
        "is not set",
    ]


def test_all_errors_are_reported_at_once(write_ini, tmp_path):
    main = write_ini(
        "monitor.ini",
        """
        [monitor]
        interval = soon
        [reporting]
        loggers = file, pager
        [file]
        type = logfile
        """,
    )
    write_ini("monitors.ini", BROKEN_MONITORS)
    got = errors_of(main)
    m = f"{tmp_path}/monitor.ini"
    assert (
        f"{m}: [monitor] interval = 'soon': expected a duration in seconds, e.g. 10 "
        "(or 30s, 5m, 1h)" in got
    )
    assert (
        f"{m}: [file] missing required option 'filename' for logger type "
        "'logfile', e.g. filename = simplemon.log" in got
    )
    assert (
        f"{m}: [reporting] loggers lists 'pager', but there is no [pager] section"
        in got
    )
    assert len(got) == 3  # monitors.ini is not read without a valid [monitor] interval


def test_monitor_errors_unknown_type_key_and_dependency(write_ini, tmp_path):
    main = write_ini("monitor.ini", MAIN)
    write_ini("monitors.ini", BROKEN_MONITORS)
    got = errors_of(main)
    f = f"{tmp_path}/monitors.ini"
    assert got[0].startswith(
        f"{f}: [web] type = 'htpp': unknown type 'htpp'; valid monitor types: "
    )
    assert "fail" in got[0]
    assert got[1:] == [
        f"{f}: [db] unknown option 'tolerence' for type 'null' (did you mean "
        "'tolerance'?)",
        f"{f}: [api] tolerance = '-1': expected at least 0",
        f"{f}: [db] depend: depends on 'cache', but there is no monitor of that name",
    ]


def test_dependency_cycle_is_reported_as_a_path(write_ini, tmp_path):
    main = write_ini("monitor.ini", MAIN)
    write_ini(
        "monitors.ini",
        """
        [api]
        type = null
        depend = db
        [db]
        type = null
        depend = api
        """,
    )
    assert errors_of(main) == [
        f"{tmp_path}/monitors.ini: [api] depend: dependency cycle: api -> db -> api"
    ]


def test_find_cycle_none_for_a_dag():
    assert find_cycle({"a": ("b",), "b": ("c",), "c": ()}) == []
    assert find_cycle({"a": ("b",), "b": ("c",), "c": ("b",)}) == ["b", "c", "b"]


def test_simplemonitor_only_options_warn_not_fail(write_ini, tmp_path):
    main = write_ini(
        "monitor.ini",
        MAIN.replace("interval = 30", "interval = 30\nbind_host = 0.0.0.0"),
    )
    write_ini("monitors.ini", "[a]\ntype = null\ngps = 1,2\nslug = a\n")
    config = load_config(main, environ={})
    assert len(config.warnings) == 3
    assert any("'gps' has no effect" in w for w in config.warnings)


def test_missing_files_and_bad_syntax_are_config_errors(write_ini, tmp_path):
    assert errors_of(tmp_path / "nope.ini")[0].startswith(
        f"{tmp_path}/nope.ini: cannot read file"
    )
    broken = write_ini("monitor.ini", "[monitor\ninterval=1\n")
    assert errors_of(broken)[0].startswith(f"{broken}: not a valid INI file")
    main = write_ini("monitor.ini", MAIN)
    assert errors_of(main) == [
        f"{main}: [monitor] monitors = '{tmp_path}/monitors.ini': does not exist; "
        "expected the file defining the monitors"
    ]


def test_missing_monitor_section_and_type(write_ini, tmp_path):
    main = write_ini("monitor.ini", "[reporting]\n")
    assert errors_of(main) == [f"{main}: missing the [monitor] section"]
    main = write_ini("monitor.ini", MAIN)
    write_ini("monitors.ini", "[a]\ntolerance = 1\n[bad name]\ntype = null\n")
    assert errors_of(main) == [
        f"{tmp_path}/monitors.ini: [a] missing required option 'type' for a monitor",
        f"{tmp_path}/monitors.ini: [bad name] section names must not be empty or "
        "contain spaces or commas",
    ]


def test_logger_common_options_are_validated(write_ini, tmp_path):
    main = write_ini("monitor.ini", MAIN + "tz = Mars/Olympus\ndateformat = unix\n")
    write_ini("monitors.ini", "[a]\ntype = null\n")
    assert errors_of(main) == [
        f"{main}: [file] tz = 'Mars/Olympus': expected a time zone name, e.g. UTC or "
        "Europe/London",
        f"{main}: [file] dateformat = 'unix': expected one of timestamp, iso8601",
    ]


def test_long_dependency_chains_need_no_recursion():
    chain = {f"m{i}": ((f"m{i - 1}",) if i else ()) for i in range(20000)}
    assert topological_order(dict(reversed(chain.items())))[:3] == ["m0", "m1", "m2"]
    assert find_cycle(chain) == []
    chain["m0"] = ("m19999",)
    assert len(find_cycle(chain)) == 20001


def test_topological_order_keeps_file_order_for_independent_monitors():
    assert topological_order({"b": (), "a": ("c",), "c": ()}) == ["b", "c", "a"]


def test_dependency_on_a_monitor_with_errors_is_not_reported_as_missing(
    write_ini, tmp_path
):
    main = write_ini("monitor.ini", MAIN)
    write_ini(
        "monitors.ini",
        """
        [web]
        type = fail
        interval = x
        [child]
        type = null
        depend = web, ghost
        """,
    )
    assert errors_of(main) == [
        f"{tmp_path}/monitors.ini: [web] interval = 'x': expected a whole number, "
        "e.g. 10",
        f"{tmp_path}/monitors.ini: [child] depend: depends on 'ghost', but there is no "
        "monitor of that name",
    ]


def test_monitor_group_may_be_a_comma_list_as_in_simplemonitor(write_ini):
    main = write_ini("monitor.ini", MAIN)
    write_ini(
        "monitors.ini",
        """
        [a]
        type = null
        group = web, db
        """,
    )
    (a,) = load_config(main, environ={}).monitors
    assert a.common.group == "web,db"


def test_simplemonitor_alerter_and_html_options_warn_not_fail(write_ini):
    main = write_ini(
        "monitor.ini",
        """
        [monitor]
        interval = 30
        ipv4_only = 1

        [reporting]
        loggers = page
        alerters = mail

        [page]
        type = html
        copy_resources = 1
        map = 0
        map_start = 51.5,0.1,10
        map_token = x

        [mail]
        type = execute
        fail_command = true
        name = pager
        debug_times = 0
        """,
    )
    write_ini("monitors.ini", "[a]\ntype = null\n")
    config = load_config(main, environ={})
    assert len(config.warnings) == 7
    assert any("[page] option 'map' has no effect" in w for w in config.warnings)


def test_ooh_success_as_simplemonitors_docs_name_it_means_ooh_recovery(write_ini):
    # SimpleMonitor documents the option as ooh_success; its code reads ooh_recovery.
    main = write_ini(
        "monitor.ini",
        """
        [monitor]
        interval = 30

        [reporting]
        alerters = night

        [night]
        type = execute
        success_command = true
        ooh_success = yes
        """,
    )
    write_ini("monitors.ini", "[a]\ntype = null\n")
    (alerter,) = load_config(main, environ={}).alerters
    assert alerter.common.ooh_recovery is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [("9:00", time(9, 0)), ("22:15", time(22, 15)), ("06:30:00", time(6, 30))],
)
def test_alert_window_times_accept_simplemonitor_forms(text, expected):
    assert clock_time(text, ParseContext()) == expected


@pytest.mark.parametrize("text", ["24:00", "9", "9:60", "9:00:99", "nine"])
def test_alert_window_times_reject_nonsense(text):
    with pytest.raises(ValueError, match="HH:MM"):
        clock_time(text, ParseContext())


def test_a_logger_or_alerter_listed_twice_is_an_error(write_ini, tmp_path):
    main = write_ini(
        "monitor.ini",
        """
        [monitor]
        interval = 30
        [reporting]
        loggers = file, file
        alerters = note, note
        [file]
        type = logfile
        filename = out.log
        [note]
        type = execute
        fail_command = /bin/true
        """,
    )
    write_ini("monitors.ini", "[a]\ntype = null\n")
    m = f"{tmp_path}/monitor.ini"
    assert errors_of(main) == [
        f"{m}: [reporting] alerters lists 'note' more than once",
        f"{m}: [reporting] loggers lists 'file' more than once",
    ]


def test_a_window_without_times_type_warns_that_it_has_no_effect(write_ini, tmp_path):
    main = write_ini(
        "monitor.ini",
        """
        [monitor]
        interval = 30
        [reporting]
        alerters = night
        [night]
        type = execute
        fail_command = /bin/true
        time_lower = 22:00
        time_upper = 06:00
        """,
    )
    write_ini("monitors.ini", "[a]\ntype = null\n")
    config = load_config(main, environ={})
    assert config.warnings == (
        f"{tmp_path}/monitor.ini: [night] option 'time_lower' has no effect with "
        "times_type = always (set times_type = only or not)",
        f"{tmp_path}/monitor.ini: [night] option 'time_upper' has no effect with "
        "times_type = always (set times_type = only or not)",
    )


def test_an_alerter_that_can_never_send_is_warned_about(write_ini, tmp_path):
    main = write_ini(
        "monitor.ini",
        """
        [monitor]
        interval = 30
        [reporting]
        alerters = mute, ok
        [mute]
        type = execute
        success_command = /bin/true
        only_failures = yes
        [ok]
        type = execute
        success_command = /bin/true
        """,
    )
    write_ini("monitors.ini", "[a]\ntype = null\n")
    config = load_config(main, environ={})
    assert config.warnings == (
        f"{tmp_path}/monitor.ini: [mute] this alerter can never send anything: it "
        "has nothing for failures and only_failures drops recoveries",
    )


def test_an_alerter_or_logger_whose_groups_match_no_monitor_is_warned_about(
    write_ini, tmp_path
):
    main = write_ini(
        "monitor.ini",
        """
        [monitor]
        interval = 30
        [reporting]
        alerters = typo, empty, fine, every
        loggers = page
        [typo]
        type = execute
        fail_command = /bin/true
        groups = webs
        [empty]
        type = execute
        fail_command = /bin/true
        groups =
        [fine]
        type = execute
        fail_command = /bin/true
        groups = db, web
        [every]
        type = execute
        fail_command = /bin/true
        groups = _all
        [page]
        type = logfile
        filename = x.log
        groups = ops
        """,
    )
    write_ini("monitors.ini", "[a]\ntype = null\n[b]\ntype = null\ngroup = web,ops2\n")
    config = load_config(main, environ={})
    tail = "(groups in use: default, ops2, web; _all matches every monitor)"
    assert config.warnings == (
        f"{tmp_path}/monitor.ini: [typo] groups = webs matches no monitor, so this "
        f"alerter never alerts {tail}",
        f"{tmp_path}/monitor.ini: [empty] groups = (empty) matches no monitor, so "
        f"this alerter never alerts {tail}",
        f"{tmp_path}/monitor.ini: [page] groups = ops matches no monitor, so this "
        f"logger records no monitor {tail}",
    )


def test_no_group_warning_without_monitors(write_ini):
    main = write_ini(
        "monitor.ini",
        """
        [monitor]
        interval = 30
        [reporting]
        alerters = typo
        [typo]
        type = execute
        fail_command = /bin/true
        groups = webs
        """,
    )
    write_ini("monitors.ini", "")
    assert load_config(main, environ={}).warnings == ()


def test_monitors_dot_means_only_monitors_dir_as_in_simplemonitor(write_ini):
    main = write_ini(
        "monitor.ini",
        MAIN.replace("interval = 30", "interval = 30\nmonitors = .\nmonitors_dir = d"),
    )
    write_ini("d/a.ini", "[a]\ntype = null\n")
    assert [m.name for m in load_config(main, environ={}).monitors] == ["a"]


def test_missing_monitors_file_error_names_the_option_that_points_at_it(
    write_ini, tmp_path
):
    main = write_ini(
        "monitor.ini", MAIN.replace("interval = 30", "interval = 30\nmonitors = m.ini")
    )
    assert errors_of(main) == [
        f"{tmp_path}/monitor.ini: [monitor] monitors = '{tmp_path}/m.ini': "
        "does not exist; expected the file defining the monitors"
    ]


def test_monitors_option_naming_a_folder_is_an_error_naming_the_option(
    write_ini, tmp_path
):
    main = write_ini(
        "monitor.ini", MAIN.replace("interval = 30", "interval = 30\nmonitors = d")
    )
    (tmp_path / "d").mkdir()
    assert errors_of(main) == [
        f"{tmp_path}/monitor.ini: [monitor] monitors = '{tmp_path}/d': "
        "is a folder; expected the file defining the monitors"
    ]


def test_missing_monitors_dir_error_names_file_and_option(write_ini, tmp_path):
    main = write_ini(
        "monitor.ini", MAIN.replace("interval = 30", "interval = 30\nmonitors_dir = d")
    )
    write_ini("monitors.ini", "[a]\ntype = null\n")
    assert errors_of(main) == [
        f"{tmp_path}/monitor.ini: [monitor] monitors_dir = '{tmp_path}/d': "
        "is not a folder"
    ]


def test_a_state_file_this_user_cannot_write_is_a_warning_at_load(
    write_ini, tmp_path, monkeypatch
):
    # Permissions depend on who runs it (-t as root, the daemon as a service user).
    main = write_ini(
        "monitor.ini",
        "[monitor]\ninterval = 30\nstate_file = state/state.db\n[reporting]\n",
    )
    write_ini("monitors.ini", "[a]\ntype = null\n")
    monkeypatch.setattr("simplemon.paths.os.access", lambda path, mode: False)
    warnings = load_config(main, environ={}).warnings
    assert any(
        "[monitor] state_file: " in w
        and f"folder {tmp_path} is not writable" in w
        and "simplemon cannot start" in w
        for w in warnings
    ), warnings


def test_a_state_file_under_a_regular_file_is_an_error_at_load(write_ini, tmp_path):
    (tmp_path / "blocker").write_text("")
    main = write_ini(
        "monitor.ini",
        "[monitor]\ninterval = 30\nstate_file = blocker/state.db\n[reporting]\n",
    )
    write_ini("monitors.ini", "[a]\ntype = null\n")
    with pytest.raises(ConfigErrors) as info:
        load_config(main, environ={})
    (error,) = info.value.errors
    assert (error.section, error.key) == ("monitor", "state_file")
    assert f"{tmp_path / 'blocker'} is a file, not a folder" in error.message


def test_a_writable_state_file_gives_no_warning(write_ini, tmp_path):
    main = write_ini("monitor.ini", "[monitor]\ninterval = 30\n[reporting]\n")
    write_ini("monitors.ini", "[a]\ntype = null\n")
    assert load_config(main, environ={}).warnings == ()


def test_sections_written_alike_share_one_parse_but_keep_their_names(write_ini):
    main = write_ini("monitor.ini", MAIN)
    write_ini(
        "monitors.ini",
        """
        [a]
        type = tcp
        host = 127.0.0.1
        port = 22
        [b]
        type = tcp
        host = 127.0.0.1
        port = 22
        [c]
        type = tcp
        host = 127.0.0.1
        port = 23
        """,
    )
    a, b, c = load_config(main, environ={}).monitors
    assert [m.name for m in (a, b, c)] == ["a", "b", "c"]
    assert [m.plugin.name for m in (a, b, c)] == ["a", "b", "c"]
    assert a.plugin.options is b.plugin.options
    assert a.common is b.common
    assert c.plugin.options.port == 23


def test_sections_written_alike_with_an_error_each_report_their_own(
    write_ini, tmp_path
):
    main = write_ini("monitor.ini", MAIN)
    write_ini(
        "monitors.ini",
        """
        [a]
        type = tcp
        host = 127.0.0.1
        port = 0
        [b]
        type = tcp
        host = 127.0.0.1
        port = 0
        """,
    )
    errors = errors_of(main)
    assert len(errors) == 2
    assert "[a]" in errors[0]
    assert "port" in errors[0]
    assert "[b]" in errors[1]
    assert "port" in errors[1]
