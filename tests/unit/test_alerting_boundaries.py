"""The alerting core stays free of SQL: only state_store may import sqlite3."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "module",
    [
        "simplemon.alerting",
        "simplemon.dispatch",
        "simplemon.notifier",
        "simplemon.scheduler",
        "simplemon.policy",
        "simplemon.model",
    ],
)
def test_module_does_not_load_sqlite3(module):
    code = f"import sys, {module}; print('sqlite3' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert out.stdout.strip() == "False"
