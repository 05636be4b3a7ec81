"""A logger's SQLite database (db, dbstatus, a page's or json's history) may be shared
with other database loggers, but a logfile appending lines to it, or a page or JSON
file replacing it, ruins it: loading warns. simplemon's own state file is nobody's
output: an error."""

from pathlib import Path

import pytest

from simplemon.config import load_config
from simplemon.errors import ConfigErrors
from tests.unit.test_config_shared_files import write


def warned(tmp_path: Path, loggers: str, sections: str) -> list[str]:
    config = load_config(write(tmp_path, loggers, sections), environ={})
    return [w for w in config.warnings if "SQLite database" in w]


def test_a_logfile_writing_into_a_db_loggers_database_is_warned_about(tmp_path):
    sections = (
        "[f]\ntype = logfile\nfilename = ./x.db\n[d]\ntype = db\ndb_path = x.db\n"
    )
    assert warned(tmp_path, "f, d", sections) == [
        f"{tmp_path / 'monitor.ini'}: [f] filename: writes into the SQLite database "
        f"of [d] db_path ({tmp_path / 'x.db'}): the lines appended to it damage "
        "that database; give each its own file"
    ]


def test_a_json_file_replacing_a_pages_history_is_warned_about(tmp_path):
    sections = (
        "[h]\ntype = html\nfolder = web\n"  # history: web/.simplemon-history.db
        "[j]\ntype = json\nfilename = web/.simplemon-history.db\nhistory = j.db\n"
    )
    (found,) = warned(tmp_path, "h, j", sections)
    assert found.startswith(f"{tmp_path / 'monitor.ini'}: [j] filename: writes ")
    assert "of [h] history (" in found
    assert "replacing it every round throws that database away" in found


@pytest.mark.parametrize(
    ("section", "key", "harm"),
    [
        ("[d]\ntype = db\ndb_path = simplemon-state.db\n", "db_path", ""),
        (
            "[d]\ntype = logfile\nfilename = ./simplemon-state.db\n",
            "filename",
            ", which writing would damage",
        ),
    ],
)
def test_a_logger_on_the_state_file_is_an_error(tmp_path, section, key, harm):
    with pytest.raises(ConfigErrors) as caught:
        load_config(write(tmp_path, "d", section), environ={})
    assert [str(e) for e in caught.value.errors] == [
        f"{tmp_path / 'monitor.ini'}: [d] {key}: is simplemon's own state file "
        f"([monitor] state_file){harm}; expected a file of its own"
    ]


def test_a_json_file_on_its_own_default_history_is_warned_about(tmp_path):
    # its history defaults to .simplemon-history.db next to its file
    sections = "[j]\ntype = json\nfilename = .simplemon-history.db\n"
    (found,) = warned(tmp_path, "j", sections)
    assert "[j] filename: writes into the SQLite database of [j] history (" in found
