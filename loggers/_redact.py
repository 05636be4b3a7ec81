"""Remove credentials from text before a logger stores or shows it.

Monitor descriptions may contain URLs such as ``https://user:pass@host/?token=x``;
nothing a logger writes (database columns, pages, JSON) may carry such secrets.
"""

from __future__ import annotations

import re

MASK = "***"

# user:password@ (or user@) right after a URL scheme.
_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s@]+@", re.IGNORECASE)
# Query or key=value parameters whose name suggests a secret.
_SECRET_PARAM = re.compile(
    r"(?P<name>\b[\w-]*(?:pass(?:word|wd)?|secret|token|api[_-]?key|auth\w*|"
    r"signature|sig|key)\b)=(?P<value>[^&\s'\"]+)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """Return ``text`` with URL credentials and secret-looking parameters masked."""
    if "@" not in text and "=" not in text:  # the common case, without regexes
        return text
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    return _SECRET_PARAM.sub(lambda m: f"{m['name']}={MASK}", text)


def repair_simplemonitor_params(value: str | None) -> str | None:
    """Undo SimpleMonitor's per-character ``:`` join of monitor_params, redacted.

    SimpleMonitor stored ``":".join(str(params))``, so every other character is the
    separator; anything not in that shape is returned unchanged.
    """
    if value is None or len(value) % 2 == 0 or set(value[1::2]) != {":"}:
        return value
    return redact(value[::2])
