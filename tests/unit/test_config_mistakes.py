"""The errors a user gets for likely mistakes: located, one line, plain words.

Each test writes a small config with one mistake a sysadmin could make and checks
the exact message (file, section, key, what was expected), or that a harmless
quirk (a BOM from Notepad) loads.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simplemon.config import load_config
from simplemon.errors import ConfigErrors

REPO = Path(__file__).resolve().parents[2]
MAIN = "[monitor]\ninterval = 60\n"
MONITORS = "[web]\ntype = null\n"


def errors_of(tmp_path: Path, main: str, monitors: str = MONITORS) -> list[str]:
    (tmp_path / "monitor.ini").write_text(main, encoding="utf-8")
    (tmp_path / "monitors.ini").write_text(monitors, encoding="utf-8")
    with pytest.raises(ConfigErrors) as info:
        load_config(tmp_path / "monitor.ini", environ={})
    return [str(e).replace(f"{tmp_path}/", "") for e in info.value.errors]


def test_a_list_continued_on_the_next_line_is_reported_on_one_line(tmp_path):
    main = MAIN + "[reporting]\nloggers = logfile\n    db\n"
    assert errors_of(tmp_path, main) == [
        "monitor.ini: [reporting] loggers lists 'logfile\\ndb', but there is no "
        "[logfile\\ndb] section"
    ]


def test_a_section_name_with_a_terminal_escape_is_shown_escaped(tmp_path):
    main = MAIN + "[reporting]\nalerters = \x1b[2Jpager\n"
    (message,) = errors_of(tmp_path, main)
    assert "\x1b" not in message
    assert "no [\\x1b[2Jpager] section" in message
