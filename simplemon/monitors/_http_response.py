"""Reading and judging an http check's response: the capped body, its text, a verdict.

Not a plugin (no registry entry). Kept apart from http.py (options and the fetch)
so that each stays small; judge() is pure and tested on its own.
"""

from __future__ import annotations

import codecs
import re
from typing import TYPE_CHECKING, Any

import requests

from simplemon.record import record

if TYPE_CHECKING:
    from simplemon.monitors._http_options import HttpOptions

_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)
_CHUNK = 64 * 1024


@record
class Fetched:
    """What one fetch produced, for :func:`judge` (no I/O)."""

    status: int
    reason: str
    text: str  # the decoded body, at most max_body_bytes of it
    bytes_read: int = 0
    truncated: bool = False
    final_url: str = ""
    redirects: int = 0

    def details(self) -> dict[str, Any]:
        """Return the facts worth recording next to the result."""
        return {
            "status_code": self.status,
            "reason": self.reason,
            "bytes_read": self.bytes_read,
            "truncated": self.truncated,
            "url": self.final_url,
            "redirects": self.redirects,
        }


def judge(options: HttpOptions, fetched: Fetched, duration: float) -> tuple[bool, str]:
    """Decide success and the message from a completed fetch; pure."""
    status = f"HTTP {fetched.status} {fetched.reason}".rstrip()
    if fetched.status not in options.allowed_codes:
        codes = "/".join(str(c) for c in options.allowed_codes)
        if not fetched.redirects:
            # "HTTP 200 OK" alone reads as a success when 204 was asked for.
            custom = options.allowed_codes != (200,)
            return False, f"{status}, expected {codes}" if custom else status
        # Not the status of the URL itself: say so, and what was expected.
        hops = "redirect" if fetched.redirects == 1 else "redirects"
        message = f"{status} after {fetched.redirects} {hops}, expected {codes}"
        if any(300 <= code < 400 for code in options.allowed_codes):
            message += " (allow_redirects = no checks the redirect itself)"
        return False, message
    if options.regexp is not None and not options.regexp.search(fetched.text):
        message = f"regexp {options.regexp.pattern!r} not found"
        if fetched.truncated:
            message += f" in the first {fetched.bytes_read} bytes"
        return False, message
    return True, f"{status} in {duration * 1000:.0f} ms"


def _read_capped(response: requests.Response, limit: int) -> tuple[bytes, bool]:
    parts: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=min(_CHUNK, limit)):
        parts.append(chunk)
        size += len(chunk)
        if size > limit:  # a body of exactly ``limit`` bytes is whole
            # Leave the rest unread; closing the response drops the connection.
            return b"".join(parts)[:limit], True
    return b"".join(parts), False


def _decode(data: bytes, response: requests.Response, truncated: bool) -> str:
    # The declared charset; else UTF-8, or ISO-8859-1 for what is not UTF-8 (an
    # old server's Latin-1 page: requests read text/* as ISO-8859-1, so "Café"
    # matched in SimpleMonitor). A name Python knows that is no text encoding
    # (base64, zlib) or that decodes strictly only (idna) counts as undeclared.
    match = _CHARSET.search(response.headers.get("content-type", ""))
    if match:
        try:
            return data.decode(match.group(1), errors="replace")
        except (LookupError, UnicodeError):
            pass
    try:  # a cut body may end inside a character: not final, that is no error
        return codecs.getincrementaldecoder("utf-8")().decode(data, not truncated)
    except UnicodeDecodeError:
        return data.decode("iso-8859-1")


def reason_text(raw: str) -> str:
    """Return the status line's text as the server most likely meant it.

    http.client reads the status line as ISO-8859-1, so a server's UTF-8 text
    ("Réessayez") reads "RÃ©essayez"; undo that when the bytes are valid UTF-8.
    """
    try:
        return raw.encode("iso-8859-1").decode("utf-8")
    except UnicodeError:
        return raw
