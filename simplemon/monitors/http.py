"""The ``http`` monitor: fetch a URL and judge its status code and (capped) body.

The timeout is one total deadline for the whole fetch, redirects included (see
_http_transport for how). Every check opens fresh connections, so a dead server fails.
Nothing secret (password, header values, URL credentials) reaches messages or logs.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from typing import Any

import requests
from requests.auth import HTTPBasicAuth
from urllib3.exceptions import HTTPError

from simplemon.deadline import Watch
from simplemon.model import CheckResult
from simplemon.monitor import Monitor
from simplemon.monitors._http_errors import (
    MAX_REDIRECTS,
    _file_error,
    failure_message,
    redact,
    where_redirected,
)
from simplemon.monitors._http_options import HttpOptions
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
from simplemon.pool import NoThreadError

__all__ = ["HttpMonitor", "HttpOptions"]

_VERIFY_FAILED = "TLS certificate verify failed"
_NAME_CHECK_ONLY = (
    "verify_hostname = no still verifies the certificate: "
    "set ca_file, or verify_tls = no"
)


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
        hops: list[str] = []  # the redirects followed, for a failure's message
        try:
            private = tuple(o.headers or ())
            with (
                watch,
                open_session(context, o.verify_hostname, watch, private) as session,
            ):
                session.max_redirects = MAX_REDIRECTS
                session.hooks["response"].append(_noting_redirects(hops))
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
            message += where_redirected(e, len(hops), message)
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


def _noting_redirects(hops: list[str]) -> Callable[..., None]:
    """Return a requests response hook that notes each redirect it sees."""

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if response.is_redirect:
            hops.append(response.url)

    return hook
