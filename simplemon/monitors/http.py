"""The ``http`` monitor: fetch a URL and judge its status code and (capped) body.

The timeout is one total deadline for the whole fetch, redirects included (see
_http_transport for how). Every check opens fresh connections, so a dead server fails.
Nothing secret (password, header values, URL credentials) reaches messages or logs.
"""

from __future__ import annotations

import json
import re
import ssl
import time
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import requests
from requests.auth import HTTPBasicAuth
from urllib3.exceptions import HTTPError

from simplemon import parsers
from simplemon.deadline import Watch
from simplemon.model import CheckResult
from simplemon.monitor import Monitor
from simplemon.monitors._http_errors import (
    MAX_REDIRECTS,
    _file_error,
    failure_message,
    redact,
)
from simplemon.monitors._http_response import (
    Fetched,
    _decode,
    _read_capped,
    judge,
    reason_text,
)
from simplemon.monitors._http_transport import (
    EncryptedKeyError,
    open_session,
    tls_context,
)
from simplemon.options import opt
from simplemon.parsers import ParseContext
from simplemon.pool import NoThreadError
from simplemon.record import record

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_VERIFY_FAILED = "TLS certificate verify failed"
_NAME_CHECK_ONLY = (
    "verify_hostname = no still verifies the certificate: "
    "set ca_file, or verify_tls = no"
)


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


class HttpMonitor(Monitor[HttpOptions]):
    """Fetch a URL; succeed on an allowed status code and a matching body."""

    type_name = "http"
    Options = HttpOptions

    def check(self) -> CheckResult:
        """Fetch the URL once, within the total timeout; never raises for failures."""
        o = self.options
        timeout = o.timeout.total_seconds()
        start = time.monotonic()
        try:
            context = tls_context(
                o.verify_tls, o.verify_hostname, o.ca_file, o.certfile, o.keyfile
            )
        except (OSError, ssl.SSLError) as e:
            return CheckResult(False, _file_error(e), time.monotonic() - start)
        except EncryptedKeyError as e:
            return CheckResult(False, str(e), time.monotonic() - start)
        watch = Watch(timeout)
        try:
            private = tuple(o.headers or ())
            with (
                watch,
                open_session(context, o.verify_hostname, watch, private) as session,
            ):
                session.max_redirects = MAX_REDIRECTS
                fetched = self._fetch(session, start + timeout)
        except NoThreadError as e:  # no deadline could be kept: never fetch unguarded
            return CheckResult(
                False,
                f"cannot start a thread for the check: {e}",
                time.monotonic() - start,
            )
        # requests' errors are OSErrors; a redirect to a malformed URL a ValueError.
        except (OSError, HTTPError, ValueError) as e:
            message = failure_message(e, timeout=timeout, expired=watch.expired)
            # SimpleMonitor users set verify_hostname = no to skip all checks.
            if not o.verify_hostname and message.startswith(_VERIFY_FAILED):
                message += f" ({_NAME_CHECK_ONLY})"
            return CheckResult(False, message, time.monotonic() - start)
        duration = time.monotonic() - start
        if watch.expired:
            return CheckResult(False, f"timed out after {timeout:g}s", duration)
        ok, message = judge(o, fetched, duration)
        return CheckResult(ok, message, duration, fetched.details())

    def _fetch(self, session: requests.Session, deadline: float) -> Fetched:
        o = self.options
        remaining = max(deadline - time.monotonic(), 0.001)
        headers = dict(o.headers or {})
        body: bytes | None = None
        if o.json_body is not None:
            body = o.json_body.encode()
            # A null Content-Type is left out, so it does not count (as in requests).
            if not any(
                k.lower() == "content-type" and v is not None
                for k, v in headers.items()
            ):
                headers["Content-Type"] = "application/json"
        elif o.data is not None:
            body = o.data.encode()
        auth = None
        if o.username is not None and o.password is not None:
            # UTF-8 as browsers, curl and htpasswd (requests would use Latin-1).
            auth = HTTPBasicAuth(o.username.encode(), o.password.encode())
        with session.request(
            o.method,
            o.url,
            headers=headers,
            data=body,
            auth=auth,
            allow_redirects=o.allow_redirects,
            verify=o.verify_tls,
            timeout=(remaining, remaining),
            stream=True,
        ) as response:
            data, truncated = _read_capped(response, o.max_body_bytes)
            return Fetched(
                status=response.status_code,
                reason=reason_text(response.reason or ""),
                text=_decode(data, response, truncated),
                bytes_read=len(data),
                truncated=truncated,
                final_url=redact(response.url),
                redirects=len(response.history),
            )

    def describe(self) -> str:
        """Summarise the check without credentials."""
        o = self.options
        codes = "/".join(str(c) for c in o.allowed_codes)
        text = f"HTTP {o.method} {redact(o.url)} returns {codes} within "
        text += f"{o.timeout.total_seconds():g}s"
        if o.regexp is not None:
            text += f" and matches /{o.regexp.pattern}/"
        return text
