"""The fast INI reader reads exactly what ConfigParser reads, or leaves it to it."""

import configparser
import random
import re
from pathlib import Path

import pytest

from simplemon.errors import ConfigError
from simplemon.ini import _OPTION, _SECTION, _read_plain, read_ini

REPO = Path(__file__).resolve().parents[2]


def configparser_reads(text: str) -> dict[str, dict[str, str]] | str:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    try:
        parser.read_string(text, source="x.ini")
    except configparser.Error as e:
        return type(e).__name__
    return {n: dict(parser.items(n, raw=True)) for n in parser.sections()}


PLAIN = [
    "",
    "[a]\nx = 1\n",
    "[a]\nX = 1\nY:2\n\n\n[b]\nz=  3  \n",
    "# head\n; head\n[a]\n  # indented comment\nx = 1\n\n  \ny = 2 ; not a comment\n",
    "[a]\nurl = http://127.0.0.1:80/x?a=b\ntimes: 10:00\n",
    "[a]\nempty =\nalso:\n",
    "[ a b ]\nk = v\n",
    "[a] trailing\nk = v\n",
    "[a]]\nk = v\n",
    "[a]\nk = v = w\nk2 : v : w\n",
    "[a]\n[b]\n",
    "[defaults]\ntolerance = 1\n[DEFAULTS]\nx = 2\n",
    "[a]\nk = %env:HOME%\n",
    "[a]\nkey\twith tab = v\n",
    "[a]\nx = 1\n# comment\n\nx2 = 2\n",
    "[a]\nk = \u00e9t\u00e9\n",
]

NOT_PLAIN = [
    "x = 1\n",  # no section header
    "[a]\nx = 1\n  continued\n",  # continuation line
    "[a]\nx = 1\n\n  continued after a blank line\n",
    "[a]\n  x = 1\n",  # indented option
    "[a]\nx = 1\n[a]\ny = 2\n",  # duplicate section
    "[a]\nx = 1\nX = 2\n",  # duplicate option (case-insensitive)
    "[DEFAULT]\nx = 1\n[a]\ny = 2\n",  # defaults apply to every section
    "[a]\nno delimiter\n",
    "[a]\n= value without a key\n",
    "[]\nx = 1\n",
    "\ufeff[a]\nx = 1\n",
]


def test_the_fast_reader_splits_lines_with_configparsers_own_patterns():
    parser = configparser.ConfigParser()  # default delimiters: its _optcre is OPTCRE
    for ours, theirs in [(_SECTION, parser.SECTCRE), (_OPTION, parser.OPTCRE)]:
        assert re.sub(r"#.*|\s", "", theirs.pattern) == re.sub(r"\s", "", ours.pattern)
        assert ours.flags | re.VERBOSE == theirs.flags
    assert parser.default_section == "DEFAULT"


@pytest.mark.parametrize("text", PLAIN)
def test_plain_files_are_read_fast_and_the_same(text):
    assert _read_plain(text) == configparser_reads(text)


@pytest.mark.parametrize("text", NOT_PLAIN)
def test_anything_else_is_left_to_configparser(text):
    assert _read_plain(text) is None


def test_random_files_read_the_same_whenever_the_fast_reader_accepts_them():
    pieces = [
        "[a]",
        "[b]",
        "[a b]",
        "[DEFAULT]",
        "[x]y]",
        "k = v",
        "K = w",
        "k2: v2",
        "k3 =",
        "= v",
        "k4 = a = b",
        "  indented = 1",
        "\tx",
        "# c",
        ";c",
        "   ; c",
        "",
        "   ",
        "junk",
        "[",
        "u = http://h:1/",
    ]
    rng = random.Random(5)
    accepted = 0
    for _ in range(3000):
        text = "\n".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        fast = _read_plain(text)
        if fast is not None:
            accepted += 1
            assert fast == configparser_reads(text), text
    assert accepted > 300  # the comparison really ran on many files


@pytest.mark.parametrize("name", ["monitor.ini", "monitors.ini"])
def test_the_example_configs_take_the_fast_path(name):
    text = (REPO / name).read_text(encoding="utf-8")
    assert _read_plain(text) is not None
    assert _read_plain(text) == configparser_reads(text)


def test_a_file_with_defaults_still_reads_through_configparser(tmp_path):
    ini = tmp_path / "m.ini"
    ini.write_text("[DEFAULT]\ntimeout = 3\n[web]\ntype = tcp\n")
    errors: list[ConfigError] = []
    sections = read_ini(ini, {}, errors)
    assert errors == []
    assert {k: v.text for k, v in sections["web"].items()} == {
        "timeout": "3",
        "type": "tcp",
    }
