"""Every INI example in README.md and docs/ loads, as a new user would paste it.

Each ```ini block is split into monitor sections (monitors.ini) and the rest
(monitor.ini); `[monitor]` and `[reporting]` are added when the example leaves them
out. Host names and addresses are replaced by loopback and absolute paths by paths
under tmp_path before loading; nothing is contacted, loading opens no connection.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simplemon.config import load_config
from tests.peers.doc_examples import REPO, config_files, examples


@pytest.mark.parametrize(("where", "text"), examples(), ids=[w for w, _ in examples()])
def test_ini_example_in_the_docs_loads(where, text, tmp_path):
    main, monitors = config_files(text)
    (tmp_path / "monitor.ini").write_text(main, encoding="utf-8")
    (tmp_path / "monitors.ini").write_text(monitors, encoding="utf-8")
    (tmp_path / "private-ca.pem").write_text("", encoding="utf-8")
    config = load_config(tmp_path / "monitor.ini", environ={"SMTP_PASSWORD": "x"})
    assert config.monitors, where


def heading_anchors(page: Path) -> set[str]:
    """GitHub-style anchors of a page's headings (outside code blocks)."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    headings = re.findall(r"^#+\s+(.*)$", text, re.M)
    return {
        re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings
    }


def test_links_between_docs_pages_lead_somewhere():
    broken = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]:
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            name, _, anchor = target.partition("#")
            dest = (page.parent / name) if name else page
            if not dest.exists():
                broken.append(f"{page.relative_to(REPO)}: {target}")
            elif (
                anchor and dest.suffix == ".md" and anchor not in heading_anchors(dest)
            ):
                broken.append(f"{page.relative_to(REPO)}: {target} (no such heading)")
    assert broken == []
