"""A check that may outlast [monitor] interval stretches every round while its
target hangs (a round waits for its slowest check): warned about once, at load."""

from pathlib import Path

from simplemon.config import load_config
from tests.peers.monitor_process import run_monitor_once


def warnings(tmp_path: Path, interval: str, monitors: str) -> list[str]:
    (tmp_path / "monitors.ini").write_text(monitors, encoding="utf-8")
    main = tmp_path / "monitor.ini"
    main.write_text(f"[monitor]\ninterval = {interval}\n", encoding="utf-8")
    config = load_config(main, environ={})
    return [w for w in config.warnings if "shorter than the timeout" in w]


def tcp(name: str, timeout: str = "", **extra: str) -> str:
    lines = [f"[{name}]", "type = tcp", "host = 127.0.0.1", "port = 22"]
    lines += [f"timeout = {timeout}"] if timeout else []
    lines += [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def test_a_timeout_longer_than_the_interval_is_warned_about_with_both_numbers(
    tmp_path,
):
    found = warnings(tmp_path, "2", tcp("fast", "1") + tcp("slow", "7"))
    assert found == [
        f"{tmp_path / 'monitor.ini'}: [monitor] interval = 2s is shorter than the "
        "timeout of 1 monitor ([slow] 7s): while a target of theirs hangs, each "
        "round waits for it, so every monitor is checked only every 7s at worst; "
        "lengthen the interval or shorten those timeouts"
    ]


def test_a_default_timeout_counts_and_an_equal_one_does_not(tmp_path):
    # tcp's default timeout is 5 s
    assert len(warnings(tmp_path, "4", tcp("a"))) == 1
    assert warnings(tmp_path, "5", tcp("a")) == []
    assert warnings(tmp_path, "60", tcp("a", "30")) == []


def test_many_slow_monitors_make_one_warning_slowest_first(tmp_path):
    monitors = "".join(tcp(f"m{i}", str(3 + i)) for i in range(8))
    (found,) = warnings(tmp_path, "2", monitors)
    assert "the timeout of 8 monitors ([m7] 10s, [m6] 9s, [m5] 8s, [m4] 7s, " in found
    assert "[m3] 6s and 3 more)" in found
    assert "only every 10s at worst" in found


def test_disabled_monitors_and_types_without_a_timeout_are_not_warned_about(
    tmp_path,
):
    monitors = tcp("off", "30", enabled="no") + "[n]\ntype = null\n"
    assert warnings(tmp_path, "1", monitors) == []


def test_ping_counts_its_own_longest_wait(tmp_path):
    monitors = "[p]\ntype = ping\nhost = 127.0.0.1\ntimeout = 3\n"
    (found,) = warnings(tmp_path, "1", monitors)
    assert "([p] " in found


def test_dash_t_prints_the_warning_and_still_says_ok(tmp_path):
    (tmp_path / "monitors.ini").write_text(tcp("slow", "7"), encoding="utf-8")
    main = tmp_path / "monitor.ini"
    main.write_text("[monitor]\ninterval = 2\n", encoding="utf-8")
    result = run_monitor_once(main, "-t")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("configuration OK: 1 monitor")
    assert "interval = 2s is shorter than the timeout of 1 monitor" in result.stderr
