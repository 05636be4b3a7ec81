"""Redaction for loggers: the core's ``redact`` plus the SimpleMonitor params repair."""

from __future__ import annotations

from simplemon.redact import MASK, redact

__all__ = ["MASK", "redact", "repair_simplemonitor_params"]


def repair_simplemonitor_params(value: str | None) -> str | None:
    """Undo SimpleMonitor's per-character ``:`` join of monitor_params, redacted.

    SimpleMonitor stored ``":".join(str(params))``, so every other character is the
    separator; anything not in that shape is returned unchanged.
    """
    if value is None or len(value) % 2 == 0 or set(value[1::2]) != {":"}:
        return value
    return redact(value[::2])
