"""What a check's message may carry into logs, pages, databases and alerts."""

from __future__ import annotations

from simplemon.checks import normalised
from simplemon.model import CheckResult


def test_bidi_controls_bom_and_lone_surrogates_become_spaces() -> None:
    raw = "HTTP 500 \u202eevil\u202c \ufeffx \ud800y \u2067z\u2069"
    result = normalised(CheckResult(False, raw))
    assert result.message == "HTTP 500 evil x y z"
    result.message.encode("utf-8")  # a db or a log file takes it


def test_joiners_and_marks_that_scripts_need_are_kept() -> None:
    text = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \u200f ok"  # ZWNJ, RLM
    assert normalised(CheckResult(True, text)).message == text
