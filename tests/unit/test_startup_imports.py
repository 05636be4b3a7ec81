"""Start-up imports only what the configuration uses (start-up cost, issue 5)."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Loads the config the way `monitor.py -t` does and prints the heavy libraries loaded.
PROBE = """
import sys
from pathlib import Path
from simplemon.config import load_config
load_config(Path(sys.argv[1]))
heavy = ("requests", "urllib3", "dns", "icmplib", "jinja2")
print(0, " ".join(sorted(m for m in heavy if m in sys.modules)))
"""


def loaded_after_config(tmp_path: Path, monitors: str) -> set[str]:
    return modules_after(tmp_path, monitors, PROBE)[1]


def test_tcp_only_config_imports_no_http_dns_or_ping_library(tmp_path):
    loaded = loaded_after_config(
        tmp_path, "[web]\ntype = tcp\nhost = 127.0.0.1\nport = 80\n"
    )
    assert loaded == set()


def test_config_imports_the_library_of_each_type_it_uses(tmp_path):
    loaded = loaded_after_config(
        tmp_path,
        "[web]\ntype = http\nurl = http://127.0.0.1/\n"
        "[box]\ntype = tcp\nhost = 127.0.0.1\nport = 80\n",
    )
    assert "requests" in loaded
    assert "dns" not in loaded
    assert "icmplib" not in loaded


def test_defaults_section_still_checks_keys_against_every_type(tmp_path):
    # [defaults] validation needs every monitor's options, so it may load them all.
    loaded = loaded_after_config(
        tmp_path,
        "[defaults]\nrecord_type = A\n[box]\ntype = tcp\nhost = 127.0.0.1\nport = 80\n",
    )
    # (icmplib is imported only when a host name is pinged, not by ping.py itself.)
    assert {"requests", "dns"} <= loaded


# Runs `monitor.py -t` in-process, then prints which of the costly modules it loaded.
CHECK_ONLY_PROBE = """
import sys
from simplemon.cli import main
code = main(["-f", sys.argv[1], "-t", "-q"])
costly = (
    "sqlite3", "hashlib", "concurrent.futures", "subprocess", "shlex", "json",
    "zoneinfo", "difflib", "configparser", "simplemon.scheduler",
    "simplemon.state_store", "simplemon.alerting", "simplemon.commands",
)
print(code, " ".join(sorted(m for m in costly if m in sys.modules)))
"""


def modules_after(
    tmp_path: Path, monitors: str, probe: str = CHECK_ONLY_PROBE
) -> tuple[str, set[str]]:
    """Run ``probe`` on a config of ``monitors``; return its exit code and modules."""
    (tmp_path / "monitor.ini").write_text("[monitor]\ninterval = 60\n")
    (tmp_path / "monitors.ini").write_text(monitors)
    out = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "monitor.ini")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    code, *loaded = out.stdout.split("\n")[-2].split(" ")
    return code, {m for m in loaded if m}


def test_check_only_run_of_a_plain_config_loads_no_engine_or_rare_parsers(tmp_path):
    code, loaded = modules_after(
        tmp_path, "# a comment\n[web]\ntype = tcp\nhost = 127.0.0.1\nport = 80\n"
    )
    assert code == "0"
    assert loaded == set()


def test_check_only_run_still_parses_commands_and_continuation_lines(tmp_path):
    code, loaded = modules_after(
        tmp_path,
        "[web]\ntype = tcp\nhost = 127.0.0.1\nport = 80\n"
        "recover_command = systemctl restart\n  web\n",
    )
    assert code == "0"
    assert {"shlex", "configparser"} <= loaded


# Runs one round (`monitor.py -1`) in-process, then prints the libraries it loaded.
ONE_ROUND_PROBE = """
import sys
from simplemon.cli import main
code = main(["-f", sys.argv[1], "-1", "-q"])
heavy = ("requests", "urllib3", "dns", "icmplib", "jinja2", "hashlib", "zoneinfo")
print(code, " ".join(sorted(m for m in heavy if m in sys.modules)))
"""


def test_a_round_pinging_ip_addresses_never_imports_icmplib(tmp_path):
    # IP addresses are pinged on the probe loop; icmplib is only for host names.
    _, loaded = modules_after(
        tmp_path,
        "[lo]\ntype = ping\nhost = 127.0.0.1\ntimeout = 1\n"
        "[lo6]\ntype = host\nhost = ::1\nping_ttl = 1\n",
        ONE_ROUND_PROBE,
    )
    assert not loaded


def one_round_probe(*watched: str) -> str:
    """A script that runs one round (`monitor.py -1`) in-process, then prints its
    exit code and which of the ``watched`` modules it loaded."""
    return f"""
import sys
from simplemon.cli import main
code = main(["-f", sys.argv[1], "-1", "-q"])
print(code, " ".join(sorted(m for m in {watched!r} if m in sys.modules)))
"""


# Engine modules that only some configurations need.
ONE_ROUND_ENGINE_PROBE = one_round_probe("simplemon.alerting", "signal")


def test_a_round_without_alerters_loads_no_alert_decisions_or_signal_names(tmp_path):
    # Alert decisions are needed only with an alerter; signal names only to tell
    # how a killed command ended (neither is needed by a plain -1).
    code, loaded = modules_after(
        tmp_path,
        "[lo]\ntype = tcp\nhost = 127.0.0.1\nport = 1\ntimeout = 1\n",
        ONE_ROUND_ENGINE_PROBE,
    )
    assert code == "1"  # port 1 refuses: the check fails, the round still runs
    assert loaded == set()


# Costly stdlib modules: records replace dataclasses, which import inspect, ast, dis.
ONE_ROUND_STDLIB_PROBE = one_round_probe("dataclasses", "inspect", "ast", "dis")


def test_a_tcp_round_loads_neither_dataclasses_nor_inspect(tmp_path):
    code, loaded = modules_after(
        tmp_path,
        "[lo]\ntype = tcp\nhost = 127.0.0.1\nport = 1\ntimeout = 1\n",
        ONE_ROUND_STDLIB_PROBE,
    )
    assert code == "1"  # port 1 refuses: the check fails, the round still runs
    assert loaded == set()
