"""Two loggers writing one output file spoil each other's output (interleaved lines,
a page overwritten in turn): loading warns about it, and still loads."""

import os
from pathlib import Path

import pytest

from simplemon.config import load_config

MONITORS = "[a]\ntype = null\n"


def write(tmp_path: Path, loggers: str, sections: str) -> Path:
    (tmp_path / "monitors.ini").write_text(MONITORS, encoding="utf-8")
    path = tmp_path / "monitor.ini"
    path.write_text(
        f"[monitor]\ninterval = 30\n[reporting]\nloggers = {loggers}\n{sections}",
        encoding="utf-8",
    )
    return path


def shared(tmp_path: Path, loggers: str, sections: str) -> list[str]:
    config = load_config(write(tmp_path, loggers, sections), environ={})
    assert [c.name for c in config.loggers] == loggers.split(", ")
    return [w for w in config.warnings if "writes the same file" in w]


def logfile(name: str, filename: str, extra: str = "") -> str:
    return f"[{name}]\ntype = logfile\nfilename = {filename}\n{extra}"


def json(name: str, filename: str) -> str:
    return f"[{name}]\ntype = json\nfilename = {filename}\n"


def test_two_logfiles_on_one_file_spelt_differently_are_warned_about(tmp_path):
    found = shared(
        tmp_path, "l1, l2", logfile("l1", "x.log") + logfile("l2", "./x.log")
    )
    assert found == [
        f"{tmp_path / 'monitor.ini'}: [l2] filename: writes the same file as [l1] "
        f"({os.path.realpath(tmp_path / 'x.log')}): their lines will interleave; "
        "give each logger its own file"
    ]


def test_an_absolute_path_and_a_detour_through_a_folder_are_the_same_file(tmp_path):
    (tmp_path / "sub").mkdir()
    found = shared(
        tmp_path,
        "l1, l2",
        logfile("l1", str(tmp_path / "x.log")) + logfile("l2", "sub/../x.log"),
    )
    assert len(found) == 1
    assert "[l2] filename: writes the same file as [l1]" in found[0]


def test_a_symlink_to_the_other_loggers_file_is_the_same_file(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    found = shared(
        tmp_path, "l1, l2", logfile("l1", "real/x.log") + logfile("l2", "link/x.log")
    )
    assert len(found) == 1
    assert f"({os.path.realpath(tmp_path / 'real' / 'x.log')})" in found[0]


def test_a_third_logger_on_the_file_is_named_against_the_first(tmp_path):
    sections = logfile("l1", "x.log") + logfile("l2", "x.log") + logfile("l3", "x.log")
    found = shared(tmp_path, "l1, l2, l3", sections)
    assert [w.split(": ")[1] for w in found] == ["[l2] filename", "[l3] filename"]
    assert all("the same file as [l1]" in w for w in found)


def test_loggers_on_different_files_are_not_warned_about(tmp_path):
    sections = (
        logfile("l1", "x.log")
        + logfile("l2", "y.log")
        + json("j1", "x.json")
        + json("j2", "sub/x.json")
        + "[h]\ntype = html\nfolder = pages\n"
    )
    assert shared(tmp_path, "l1, l2, j1, j2, h", sections) == []


@pytest.mark.parametrize(
    ("sections", "key", "parts", "noun"),
    [
        (json("j1", "s.json") + json("j2", "./s.json"), "filename", ["s.json"], "file"),
        (
            "[j1]\ntype = html\nfolder = web\n"
            "[j2]\ntype = html\nfolder = ./web/\nfilename = index.html\n",
            "folder, filename",
            ["web", "index.html"],
            "page",
        ),
    ],
    ids=["json", "html"],
)
def test_two_loggers_replacing_one_file_overwrite_each_other(
    tmp_path, sections, key, parts, noun
):
    found = shared(tmp_path, "j1, j2", sections)
    assert found == [
        f"{tmp_path / 'monitor.ini'}: [j2] {key}: writes the same file as [j1] "
        f"({os.path.realpath(tmp_path.joinpath(*parts))}): the {noun} is "
        "overwritten by each in turn and shows only one logger's results; give "
        "each logger its own file"
    ]


def test_two_html_loggers_in_one_folder_with_their_own_pages_are_fine(tmp_path):
    sections = (
        "[h1]\ntype = html\nfolder = web\n"
        "[h2]\ntype = html\nfolder = web\nfilename = other.html\n"
    )
    assert shared(tmp_path, "h1, h2", sections) == []


def test_a_logfile_and_a_json_logger_on_one_path_spoil_both(tmp_path):
    found = shared(tmp_path, "j, l", json("j", "out") + logfile("l", "out"))
    assert found == [
        f"{tmp_path / 'monitor.ini'}: [l] filename: writes the same file as [j] "
        f"({os.path.realpath(tmp_path / 'out')}): one appends lines to the file "
        "the other replaces every round, so neither output is usable; give each "
        "logger its own file"
    ]


def test_db_and_dbstatus_sharing_one_database_is_not_warned_about(tmp_path):
    # nor are an html page's and a json file's history kept in it
    sections = (
        "[db]\ntype = db\ndb_path = s.db\n"
        "[st]\ntype = dbstatus\ndb_path = ./s.db\n"
        "[db2]\ntype = db\ndb_path = s.db\n"
        "[h]\ntype = html\nfolder = web\nhistory = s.db\n"
        "[j]\ntype = json\nfilename = out.json\nhistory = s.db\n"
    )
    config = load_config(write(tmp_path, "db, st, db2, h, j", sections), environ={})
    assert [c.name for c in config.loggers] == ["db", "st", "db2", "h", "j"]
    assert config.warnings == ()


def test_a_disabled_logger_is_not_warned_about(tmp_path):
    sections = logfile("l1", "x.log") + logfile("l2", "x.log", "enabled = no\n")
    assert shared(tmp_path, "l1, l2", sections) == []


def test_an_unlisted_logger_is_warned_about_only_as_unlisted(tmp_path):
    config = load_config(
        write(tmp_path, "l1", logfile("l1", "x.log") + logfile("l2", "x.log")),
        environ={},
    )
    assert len(config.warnings) == 1
    assert "[l2] type = logfile looks like a logger" in config.warnings[0]


def test_the_check_opens_and_creates_no_file(tmp_path):
    sections = logfile("l1", "logs/x.log") + logfile("l2", "logs/x.log")
    assert len(shared(tmp_path, "l1, l2", sections)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["monitor.ini", "monitors.ini"]
