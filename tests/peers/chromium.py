"""Run Debian's headless Chromium on local files only (file:// URLs), with timeouts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def chromium_binary() -> str:
    """Return the chromium executable, or skip the test with the reason."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("headless Chromium is not installed (apt-get install chromium)")


def _argv(profile: Path, *extra: str) -> list[str]:
    return [
        chromium_binary(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        *extra,
    ]


def dump_dom(page: Path, profile: Path, *flags: str) -> str:
    """Return the DOM of ``page`` after Chromium loaded it (scripts have run)."""
    done = subprocess.run(
        [*_argv(profile, *flags, "--dump-dom"), page.resolve().as_uri()],
        capture_output=True,
        timeout=60,
        check=True,
    )
    return done.stdout.decode()


def screenshot(page: Path, profile: Path, png: Path, size: str, *flags: str) -> Path:
    """Save a screenshot of ``page`` at ``size`` ("1200,900") to ``png``."""
    subprocess.run(
        [
            *_argv(profile, *flags, f"--screenshot={png}", f"--window-size={size}"),
            page.resolve().as_uri(),
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    return png
