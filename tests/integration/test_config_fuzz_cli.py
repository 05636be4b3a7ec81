"""Fuzzed configs through a real ``monitor.py -t``: exit code, no traceback.

A smaller sample of tests/unit/test_config_fuzz.py's cases (other numbers), run
as a user runs them: exit 0 with "configuration OK", or exit 2 with one
``error: <file>: ...`` line per problem and the count line, nothing else.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.peers.config_fuzz import make_case, seed_configs

REPO = Path(__file__).resolve().parents[2]
FIRST, CASES = 100_000, 30


@pytest.mark.integration
def test_fuzzed_configs_through_the_cli_exit_cleanly(tmp_path):
    seeds = seed_configs()
    failures = []
    for number in range(FIRST, FIRST + CASES):
        case = make_case(number, seeds)
        main = case.write(tmp_path / str(number))
        out = subprocess.run(
            [sys.executable, str(REPO / "monitor.py"), "-t", "-f", str(main)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={"PATH": "/usr/bin:/bin", "SMTP_PASSWORD": "x"},
        )
        problem = _problem(out, main)
        if problem:
            failures.append(f"{case.describe()}\n    {problem}")
    assert failures == [], "\n".join(failures)


def _problem(out: subprocess.CompletedProcess[str], main: Path) -> str | None:
    if "Traceback" in out.stdout + out.stderr:
        return f"traceback:\n{out.stderr}"
    if out.returncode == 0:
        return None if "configuration OK" in out.stdout else f"no OK: {out.stdout}"
    if out.returncode != 2:
        return f"exit code {out.returncode}: {out.stderr}"
    lines = out.stderr.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    if not errors:
        return f"exit 2 with no error line: {out.stderr}"
    if lines != [*errors, f"{len(errors)} configuration error(s); nothing was started"]:
        return f"unexpected output: {out.stderr}"
    outside = [e for e in errors if not e.startswith(f"error: {main.parent}/")]
    return f"errors naming no file of the case: {outside}" if outside else None
