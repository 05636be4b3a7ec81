"""The decision core does no I/O of its own: it must stay testable with a fake clock.

Checked on each module's own import statements (parsed with ast), so a plugin's
needs can never creep into the core through a convenient import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "simplemon"
PURE = ["scheduler", "policy", "dispatch", "model", "round", "cadence", "checks"]
IO = {"socket", "ssl", "select", "selectors", "sqlite3", "requests", "jinja2"}
IO |= {"smtplib", "subprocess", "http", "urllib", "dns", "icmplib", "syslog"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("module", PURE)
def test_core_module_imports_no_io_library(module):
    assert imported_roots(CORE / f"{module}.py") & IO == set()


def test_the_check_finds_an_io_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom socket import socket\nimport sqlite3.dbapi2\n")
    assert imported_roots(bad) & IO == {"socket", "sqlite3"}


def test_the_deadline_module_needs_no_network_library_but_socket():
    # Shared by the http monitor and the email alerter; neither's library belongs here.
    assert imported_roots(CORE / "deadline.py") & IO == {"socket"}
