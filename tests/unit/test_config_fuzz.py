"""Broken configurations fail with located, one-line errors, never anything else.

A seeded fuzz of the shipped configs and the docs' INI examples (see
tests/peers/config_fuzz.py): each case either loads, or raises ConfigErrors whose
every error names a file of the case, is one printable line and speaks no Python.
A failure prints the case number; ``make_case(number, seed_configs())`` rebuilds it.
"""

from __future__ import annotations

import re
from pathlib import Path

from simplemon.config import Config, load_config
from simplemon.errors import ConfigError, ConfigErrors
from tests.peers.config_fuzz import make_case, seed_configs

CASES = 2000
# What a user must never read: Python's own words for a failure.
JARGON = re.compile(
    r"Error\b|Exception|Traceback|invalid literal|could not convert|NoneType|"
    r"has no attribute|unhashable|<class |\[Errno|codec can't",
)
# One printable line: no line breaks, no terminal escapes, no bidi overrides.
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def problems_of(config_or_errors: Config | ConfigErrors, root: Path) -> list[str]:
    """Return what is wrong with the outcome of one load, or []."""
    found = []
    if isinstance(config_or_errors, Config):
        lines = list(config_or_errors.warnings)
    else:
        if not config_or_errors.errors:
            found.append("ConfigErrors with no error in it")
        lines = []
        for error in config_or_errors.errors:
            lines.append(str(error))
            found.extend(f"{p}: {error}" for p in located_problems(error, root))
    for line in lines:
        if UNPRINTABLE.search(line):
            found.append(f"not one printable line: {line!r}")
        if JARGON.search(line):
            found.append(f"Python jargon: {line!r}")
    return found


def located_problems(error: ConfigError, root: Path) -> list[str]:
    found = []
    if not error.file:
        found.append("names no file")
    elif not Path(error.file).is_relative_to(root):
        found.append(f"names a file outside the case: {error.file}")
    if error.key is not None and error.section is None:
        found.append("names a key but no section")
    return found


def load_case(number: int, seeds, root: Path) -> list[str]:
    case = make_case(number, seeds)
    folder = root / str(number)
    main = case.write(folder)
    try:
        outcome: Config | ConfigErrors = load_config(
            main, environ={"SMTP_PASSWORD": "x"}
        )
    except ConfigErrors as e:
        outcome = e
    except Exception as e:  # the point: nothing else may escape
        return [f"{case.describe()}\n    raised {type(e).__name__}: {e}"]
    return [f"{case.describe()}\n    {p}" for p in problems_of(outcome, folder)]


def test_fuzzed_configs_load_or_fail_with_located_one_line_errors(tmp_path):
    seeds = seed_configs()
    assert len(seeds) > 10  # the shipped pair and the docs' examples
    failures: list[str] = []
    for number in range(CASES):
        failures.extend(load_case(number, seeds, tmp_path))
        if len(failures) >= 10:
            break
    assert failures == [], "\n".join(failures)


def test_fuzz_cases_are_the_same_for_the_same_number():
    seeds = seed_configs()
    first = make_case(1234, seeds)
    again = make_case(1234, seeds)
    assert first.files == again.files
    assert first.steps == again.steps
    assert first.steps  # every case is mutated
