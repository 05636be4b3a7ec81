"""The http monitor's options: a SimpleMonitor 1.15 ``[section]`` read and checked.

Kept apart from the check itself (``http``) so each stays small. Everything here is
pure: parsers take ``(text, ctx)`` and raise ``ValueError`` saying what was expected.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from simplemon import parsers
from simplemon.options import opt
from simplemon.parsers import ParseContext
from simplemon.record import record

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def url(text: str, ctx: ParseContext) -> str:
    """Accept an http(s) URL whose host and port are usable, e.g. ``http://[::1]:80/``.

    A malformed one (``http://[::1/``, port ``abc`` or 99999) would fail every check.
    """
    value = parsers.url(text, ctx)
    try:
        parts = urlsplit(value)
        if not parts.hostname:
            if parts.netloc.count(":") > 1:
                raise ValueError("write an IPv6 address in brackets: http://[::1]:80/")
            raise ValueError("no host")
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as e:
        raise ValueError(
            f"expected an http:// or https:// URL, e.g. http://127.0.0.1/ ({e})"
        ) from None
    return value


def text(value: str, ctx: ParseContext) -> str:
    """Accept any text, empty included (a token as either half of basic auth)."""
    return value.strip()


def json_object(text: str, ctx: ParseContext) -> dict[str, str | None]:
    """Parse the headers: a JSON object of text values, e.g. ``{"X-A": "b"}``.

    ``null`` leaves a header out (requests' default ``User-Agent`` too), as
    SimpleMonitor (requests) did; a number or ``true`` is sent as written.
    """
    try:
        value = json.loads(text, parse_int=str, parse_float=str, parse_constant=str)
    except json.JSONDecodeError as e:
        raise ValueError(
            f'expected a JSON object, e.g. {{"X-A": "b"}} (not valid JSON at line '
            f"{e.lineno} column {e.colno})"
        ) from None
    if not isinstance(value, dict):
        raise ValueError('expected a JSON object, e.g. {"X-A": "b"}')
    headers: dict[str, str | None] = {}
    for name, item in value.items():
        if isinstance(item, (list, dict)):
            raise ValueError(
                f"header {name!r}: expected text, a number or null, not a JSON "
                f"{'array' if isinstance(item, list) else 'object'}"
            )
        if isinstance(item, bool):
            headers[name] = "true" if item else "false"
        else:
            headers[name] = item
    return headers


def json_text(text: str, ctx: ParseContext) -> str:
    """Accept any JSON document (a request body); return it unchanged."""
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f'expected JSON, e.g. {{"a": 1}} ({e})') from None
    return text.strip()


@record
class HttpOptions:
    """Options of the http monitor (SimpleMonitor 1.15 names, plus ca_file)."""

    url: str = opt(
        parser=url,
        help="URL to fetch (http:// or https://)",
        example="http://127.0.0.1/",
    )
    method: Literal["GET", "POST", "HEAD"] = opt("GET", help="HTTP method")
    regexp: re.Pattern[str] | None = opt(
        None, help="regular expression the body must match (searched, not anchored)"
    )
    allowed_codes: tuple[int, ...] = opt(
        (200,), min=100, max=599, help="status codes that count as success"
    )
    allow_redirects: bool = opt(True, help="follow redirects (at most 10)")
    timeout: timedelta = opt(
        timedelta(seconds=5),
        min=timedelta(seconds=0.1),
        max=timedelta(days=1),
        help="total deadline for the whole fetch: connect, TLS, redirects and body",
    )
    verify_hostname: bool = opt(
        True,
        help="check that the certificate is for the URL's host (the chain is checked)",
    )
    verify_tls: bool = opt(
        True, help="verify the server certificate at all; `no` accepts any certificate"
    )
    ca_file: Path | None = opt(
        None,
        help="PEM file of the CAs to trust (instead of the usual public CAs)",
    )
    certfile: Path | None = opt(
        None, help="client certificate (PEM); may also hold the key"
    )
    keyfile: Path | None = opt(
        None, help="private key of the client certificate (needs certfile)"
    )
    username: str | None = opt(
        None, parser=text, help="user name for HTTP basic authentication"
    )
    password: str | None = opt(
        None, parser=text, help="password for HTTP basic authentication"
    )
    headers: dict[str, str | None] | None = opt(
        None,
        parser=json_object,
        help='extra request headers as a JSON object, e.g. `{"X-A": "b"}`',
    )
    data: str | None = opt(
        None, multiline=True, help="request body sent as is (method POST only)"
    )
    json_body: str | None = opt(
        None,
        key="json",
        parser=json_text,
        multiline=True,
        help="JSON request body (method POST only)",
    )
    max_body_bytes: int = opt(
        1024 * 1024, min=1, help="read at most this many body bytes (for regexp)"
    )

    def __post_init__(self) -> None:
        """Reject combinations that cannot work; raises ValueError."""
        if not self.allowed_codes:
            raise ValueError(
                "allowed_codes: expected at least one status code, e.g. 200"
            )
        if self.keyfile is not None and self.certfile is None:
            raise ValueError("keyfile is set but certfile is not")
        # A blank one alone (`username =`) is as if not given, as in SimpleMonitor.
        if (self.username is None and self.password) or (
            self.password is None and self.username
        ):
            raise ValueError("username and password must be given together")
        if self.data is not None and self.json_body is not None:
            raise ValueError("use either data or json, not both")
        if (self.data is not None or self.json_body is not None) and (
            self.method != "POST"
        ):
            raise ValueError("data and json are only sent with method = POST")
        if self.regexp is not None and self.method == "HEAD":
            raise ValueError("regexp needs a body, which method = HEAD never gets")
        if self.ca_file is not None and not self.verify_tls:
            raise ValueError("ca_file has no effect with verify_tls = no")
        for name, value in (self.headers or {}).items():
            _check_header(name, value)


def _check_header(name: str, value: str | None) -> None:
    if value is None:  # left out
        value = ""
    if not _TOKEN.match(name) or "\r" in value or "\n" in value:
        raise ValueError(f"invalid header {name!r} in headers")
    try:
        value.encode("latin-1")  # how http.client sends header values
    except UnicodeEncodeError:
        raise ValueError(f"header {name!r}: the value must be Latin-1 text") from None
