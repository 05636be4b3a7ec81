import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

import pytest

from simplemon.option_docs import option_table
from simplemon.options import build_options, opt
from simplemon.parsers import (
    ParseContext,
    command,
    minutes,
    parse_bool,
    parse_duration,
    parse_list,
    url,
)
from simplemon.record import record

CTX = ParseContext(Path("/etc/simplemon"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", True),
        ("On", True),
        ("1", True),
        ("true", True),
        ("no", False),
        ("OFF", False),
        ("0", False),
        (" false ", False),
    ],
)
def test_bool_accepts_configparser_words(text, expected):
    assert parse_bool(text) is expected


@pytest.mark.parametrize("text", ["y", "2", "", "enabled"])
def test_bool_rejects_anything_else(text):
    with pytest.raises(ValueError, match="expected a boolean"):
        parse_bool(text)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10", 10),
        ("1.5", 1.5),
        ("30s", 30),
        ("5m", 300),
        ("1h", 3600),
        ("250ms", 0.25),
        ("2d", 172800),
        (" 7 ", 7),
    ],
)
def test_duration_units(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


def test_bare_minutes_for_remind():
    assert minutes("5", CTX) == timedelta(minutes=5)
    assert minutes("30s", CTX) == timedelta(seconds=30)
    assert minutes("0.02", CTX) == timedelta(seconds=1.2)  # fractions of minutes


@pytest.mark.parametrize("text", ["ten", "-1", "5 minutes", "", "1" * 20, "1e3"])
def test_duration_rejects_garbage_with_example(text):
    with pytest.raises(ValueError, match=r"expected a duration in seconds, e\.g\. 10"):
        parse_duration(text)


def test_list_trims_and_rejects_empty_items():
    assert parse_list(" a, b ,c") == ("a", "b", "c")
    assert parse_list("") == ()
    with pytest.raises(ValueError, match="no empty items"):
        parse_list("a,,b")


def test_url_needs_http_scheme_and_host():
    assert url("https://127.0.0.1:8443/x", CTX) == "https://127.0.0.1:8443/x"
    with pytest.raises(ValueError, match="http:// or https://"):
        url("ftp://127.0.0.1/", CTX)
    with pytest.raises(ValueError, match="http:// or https://"):
        url("127.0.0.1", CTX)


def test_command_must_split():
    assert command("systemctl restart 'my web'", CTX) == "systemctl restart 'my web'"
    with pytest.raises(ValueError, match="expected a command line"):
        command("echo 'unbalanced", CTX)


@record
class Sample:
    name: str = opt(help="a name")
    count: int = opt(3, min=1, max=5, help="how many")
    ratio: float = opt(0.5, help="a ratio")
    mode: Literal["fast", "slow"] = opt("fast", help="speed")
    codes: tuple[int, ...] = opt((200,), help="codes")
    wait: timedelta = opt(timedelta(seconds=5), min=timedelta(seconds=1), help="wait")
    path: Path | None = opt(None, help="a file")
    pattern: re.Pattern[str] | None = opt(None, help="a regexp")
    source: str | None = opt(None, key="from", help="sender")

    def __post_init__(self) -> None:
        if self.name == "bad":
            raise ValueError("name 'bad' is not allowed with these options")


def build(items):
    return build_options(Sample, items, CTX, file="x.ini", section="s", type_name="t")


def test_build_parses_every_declared_type():
    obj, errors = build(
        {
            "name": "web",
            "count": "5",
            "ratio": "2",
            "mode": "SLOW",
            "codes": "200, 301",
            "wait": "1m",
            "path": "data/x.db",
            "pattern": "^ok$",
            "from": "me@localhost",
        }
    )
    assert errors == []
    assert obj == Sample(
        name="web",
        count=5,
        ratio=2.0,
        mode="slow",
        codes=(200, 301),
        wait=timedelta(minutes=1),
        path=Path("/etc/simplemon/data/x.db"),
        pattern=re.compile("^ok$"),
        source="me@localhost",
    )


def test_build_collects_every_error_with_location():
    obj, errors = build(
        {
            "count": "9",
            "ratio": "x",
            "mode": "medium",
            "codes": "a",
            "wait": "0",
            "pattern": "(",
        }
    )
    assert obj is None
    text = [str(e) for e in errors]
    assert "x.ini: [s] missing required option 'name' for monitor type 't'" in text
    assert "x.ini: [s] count = '9': expected at most 5" in text
    assert "x.ini: [s] ratio = 'x': expected a number, e.g. 1.5" in text
    assert "x.ini: [s] mode = 'medium': expected one of fast, slow" in text
    assert (
        "x.ini: [s] codes = 'a': expected a comma-separated list of whole numbers, "
        "e.g. 1, 2" in text
    )
    assert "x.ini: [s] wait = '0': expected at least 1s" in text
    assert any(
        t.startswith("x.ini: [s] pattern = '(': expected a regular expression")
        for t in text
    )


def test_post_init_errors_name_the_section():
    obj, errors = build({"name": "bad"})
    assert obj is None
    assert [str(e) for e in errors] == [
        "x.ini: [s] name 'bad' is not allowed with these options"
    ]


def test_option_table_documents_keys_defaults_and_help():
    table = option_table(Sample)
    assert "| `name` | text | *required* | a name |" in table
    assert "| `from` | text | (none) | sender |" in table
    assert "| `mode` | fast \\| slow | `fast` | speed |" in table
    assert "| `wait` | duration (seconds) | 5s | wait |" in table


def test_long_duration_defaults_are_documented_as_values_the_parser_accepts():
    @record
    class Long:
        keep: timedelta = opt(timedelta(days=90), help="keep", max=timedelta(days=400))

    row = next(line for line in option_table(Long).splitlines() if "`keep`" in line)
    default = row.split("|")[3].strip()
    assert default == "7776000s"
    assert parse_duration(default) == timedelta(days=90)
    _, errors = build_options(
        Long, {"keep": "1000d"}, CTX, file="x.ini", section="s", type_name="t"
    )
    assert "expected at most 34560000s" in str(errors[0])
