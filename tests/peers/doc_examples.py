"""The INI examples of README.md and docs/, made into files a test can load.

Each ```ini block is split into monitor sections (monitors.ini) and the rest
(monitor.ini); `[monitor]` and `[reporting]` are added when the example leaves them
out. Host names and addresses are replaced by loopback and absolute paths by bare
file names, so that loading (or running) an example contacts loopback only.
"""

from __future__ import annotations

import re
from pathlib import Path

from simplemon import registry

REPO = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```ini\n(.*?)^```", re.S | re.M)
SECTION = re.compile(r"^\[([^\]]+)\]", re.M)
# Keys whose value names a host to contact: loopback only, in every test.
HOST_KEYS = re.compile(r"^(host|server)\s*=\s*\S+", re.M)
URL_HOST = re.compile(r"^(url\s*=\s*https?://)[^/:\s]+", re.M)
ABS_PATH = re.compile(r"(=\s*)/(var|etc|srv)/\S*?([^/\s]+)$", re.M)
# Blocks that are not simplemon configuration (a systemd unit).
NOT_SIMPLEMON = ("[Unit]",)


def examples() -> list[tuple[str, str]]:
    found = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            if any(marker in m.group(1) for marker in NOT_SIMPLEMON):
                continue
            line = text.count("\n", 0, m.start()) + 2
            found.append((f"{page.relative_to(REPO)}:{line}", m.group(1)))
    return found


def to_loopback(text: str) -> str:
    text = HOST_KEYS.sub(lambda m: f"{m.group(1)} = 127.0.0.1", text)
    text = URL_HOST.sub(lambda m: m.group(1) + "127.0.0.1", text)
    return ABS_PATH.sub(lambda m: m.group(1) + m.group(3), text)


def split(text: str) -> tuple[str, str, list[str], list[str]]:
    """Return (monitor.ini part, monitors.ini part, logger names, alerter names)."""
    main, monitors, loggers, alerters = [], [], [], []
    chunks = SECTION.split(text)
    for name, body in zip(chunks[1::2], chunks[2::2], strict=True):
        block = f"[{name}]{body}"
        kind = re.search(r"^type\s*=\s*(\S+)", body, re.M)
        type_name = kind.group(1) if kind else ""
        if type_name in registry.MONITORS or name == "defaults":
            monitors.append(block)
        else:
            main.append(block)
            if type_name in registry.LOGGERS:
                loggers.append(name)
            elif type_name in registry.ALERTERS:
                alerters.append(name)
    return "".join(main), "".join(monitors), loggers, alerters


def config_files(text: str) -> tuple[str, str]:
    """Return (monitor.ini, monitors.ini) texts for one example, completed."""
    main, monitors, loggers, alerters = split(to_loopback(text))
    if "[monitor]" not in main:
        main = "[monitor]\ninterval = 60\n\n" + main
    if "[reporting]" not in main:
        main += (
            f"\n[reporting]\nloggers = {', '.join(loggers)}\n"
            f"alerters = {', '.join(alerters)}\n"
        )
    if not monitors:
        monitors = "[placeholder]\ntype = null\n"
    return main, monitors
