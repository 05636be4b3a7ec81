"""Remove credentials from text before it is logged, stored, shown or alerted.

Monitor descriptions and messages may contain URLs such as
``https://user:pass@host/?token=x``; nothing simplemon writes (console log, database
columns, pages, JSON, alert mails, commands' arguments) may carry such secrets. The
scheduler redacts each description and check message once; the loggers and the
console log handler redact again as a safety net.
"""

from __future__ import annotations

import re

MASK = "***"

# Patterns as strings, compiled by re on first use (most text has no "@" or "=").
# user:password@ (or user@) right after a URL scheme.
_USERINFO = r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s@]+@"
# Query or key=value parameters whose name suggests a secret.
_CREDENTIAL_PARAM = (
    r"(?P<name>\b[\w-]*(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|"
    r"auth\w*|signature|sig|key|credentials?|session(?:_?id)?|sessid|jwt)\b)"
    r"=(?P<value>[^&\s'\"]+)"
)


def redact(text: str) -> str:
    """Return ``text`` with URL credentials and secret-looking parameters masked."""
    if "@" not in text and "=" not in text:  # the common case, without regexes
        return text
    text = re.sub(_USERINFO, lambda m: f"{m['scheme']}{MASK}@", text, flags=re.I)
    return re.sub(_CREDENTIAL_PARAM, lambda m: f"{m['name']}={MASK}", text, flags=re.I)
