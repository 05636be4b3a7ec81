"""How the http monitor words a failed fetch, and keeps credentials out of the words.

requests nests the real cause (refused, reset, a certificate) several exceptions
deep; these functions find it and say it in one short line. Pure.
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Iterator
from http.client import BadStatusLine, HTTPException, RemoteDisconnected
from urllib.parse import urlsplit, urlunsplit

import requests
from urllib3.util.ssl_match_hostname import CertificateError

MAX_REDIRECTS = 10


def failure_message(exc: BaseException, *, timeout: float, expired: bool) -> str:
    """Turn a requests exception into a short message; pure."""
    chain = list(_causes(exc))
    # Not urllib3's TimeoutError: its NewConnectionError (refused…) subclasses it.
    if expired or any(isinstance(e, (TimeoutError, requests.Timeout)) for e in chain):
        return f"timed out after {timeout:g}s"
    for e in chain:
        if message := _tls_message(e):
            return message
    for kind, message in _MESSAGES:
        if any(isinstance(e, kind) for e in chain):
            return message
    for e in chain:  # http.client refusing a response head (too many headers…)
        if isinstance(e, HTTPException) and str(e):
            return f"invalid HTTP response from the server: {e}"
    for e in chain:
        if isinstance(e, OSError) and e.strerror:
            return e.strerror[0].lower() + e.strerror[1:]
    return f"request failed ({type(exc).__name__})"


def where_redirected(exc: BaseException, redirects: int, message: str) -> str:
    """Say where a fetch failed when that was after redirects, else "".

    "connection refused" for a site whose server is plainly up sends a user to the
    wrong machine: the refusal came from wherever a redirect led. The URL is shown
    without credentials.
    """
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None)
    if not redirects or not url or "redirect" in message:
        return ""
    hops = "redirect" if redirects == 1 else "redirects"
    return f" (after {redirects} {hops}, at {redact(url)})"


def _tls_message(e: BaseException) -> str | None:
    if isinstance(e, ssl.SSLCertVerificationError):
        return f"TLS certificate verify failed: {e.verify_message}"
    if isinstance(e, CertificateError):
        return f"TLS certificate verify failed: {e}"
    if isinstance(e, ssl.SSLEOFError):  # often with no reason, or a vague one
        return "TLS error: the server closed the connection"
    if isinstance(e, ssl.SSLError):
        text = getattr(e, "reason", None) or _SOURCE_LINE.sub("", e.strerror or str(e))
        return "TLS error: " + text.lower().replace("_", " ")
    return None


_SOURCE_LINE = re.compile(r"\s*\(_ssl\.c:\d+\)")


_MESSAGES: tuple[tuple[type[BaseException], str], ...] = (
    (socket.gaierror, "cannot resolve the host name"),
    (ConnectionRefusedError, "connection refused"),
    (RemoteDisconnected, "server closed the connection without a response"),
    (ConnectionResetError, "connection reset by the server"),
    (BadStatusLine, "invalid HTTP response from the server"),
    (requests.TooManyRedirects, f"too many redirects (over {MAX_REDIRECTS})"),
    (requests.exceptions.ChunkedEncodingError, "response body cut short"),
    (requests.exceptions.ContentDecodingError, "cannot decode the response body"),
    # The configured URL was checked at load time: only a redirect gets these.
    (
        requests.exceptions.InvalidSchema,
        "redirected to a URL that is not http:// or https://",
    ),
    (ValueError, "invalid URL"),
)


def redact(address: str) -> str:
    """Return the URL with any user:password@ part removed."""
    parts = urlsplit(address)
    if "@" not in parts.netloc:
        return address
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]))


def _causes(exc: BaseException) -> Iterator[BaseException]:
    # requests wraps urllib3 errors in args/.reason, which wrap the OSError as cause.
    seen: set[int] = set()
    stack = [exc]
    while stack and len(seen) < 50:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        linked = [getattr(e, "reason", None), e.__cause__, e.__context__, *e.args]
        stack.extend(x for x in reversed(linked) if isinstance(x, BaseException))


def _file_error(e: OSError | ssl.SSLError) -> str:
    if isinstance(e, ssl.SSLError):  # a file that is there but is not valid PEM
        reason = getattr(e, "reason", None) or "not valid PEM"
        reason = reason.lower().replace("_", " ").replace("pem", "PEM")
        return f"cannot load the TLS files (ca_file, certfile, keyfile): {reason}"
    return f"cannot read {e.filename}: {e.strerror or e}"
