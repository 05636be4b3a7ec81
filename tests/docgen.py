"""Regenerate or check the option tables in docs/ from the Options declarations.

Run ``python -m tests.docgen`` to rewrite them; tests/unit/test_docs.py checks that
the committed docs match, so docs cannot drift from the code.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from simplemon import common, registry
from simplemon.option_docs import option_table

REPO = Path(__file__).resolve().parent.parent
BLOCK = re.compile(
    r"(<!-- options(?::(\w+))?:begin -->\n)(.*?)(<!-- options:end -->)", re.S
)
# Named tables in docs pages that document the core's common options.
NAMED: dict[str, Any] = {
    "main": common.MainOptions,
    "reporting": common.ReportingOptions,
    "monitor": common.MonitorCommon,
    "logger": common.LoggerCommon,
    "alerter": common.AlerterCommon,
}


def expected_pages() -> dict[Path, Any]:
    """Map each plugin's docs page to its Options class."""
    pages = {}
    for kind in ("monitor", "alerter", "logger"):
        for name, cls in registry.known(kind):
            pages[REPO / "docs" / f"{kind}s" / f"{name}.md"] = cls.Options
    return pages


def render(text: str, default: Any) -> str:
    """Return ``text`` with every options block regenerated."""

    def fill(m: re.Match[str]) -> str:
        cls = NAMED[m.group(2)] if m.group(2) else default
        return m.group(1) + option_table(cls) + m.group(4)

    return BLOCK.sub(fill, text)


def all_pages() -> dict[Path, Any]:
    """Plugin pages plus every other docs page that holds a named block."""
    pages: dict[Path, Any] = expected_pages()
    for path in sorted((REPO / "docs").rglob("*.md")):
        pages.setdefault(path, None)
    return pages


def main() -> int:
    """Rewrite the docs in place."""
    for path, cls in all_pages().items():
        if path.exists():
            text = path.read_text(encoding="utf-8")
            new = render(text, cls)
            if new != text:
                path.write_text(new, encoding="utf-8")
                print(f"updated {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
