"""Transport for the http monitor: shared TLS contexts and watched connections.

Not a plugin (no registry entry). requests' timeout bounds each read, not the fetch,
so every connection is added to the check's simplemon.deadline.Watch, which shuts
its sockets down when the check's total deadline passes.
"""

from __future__ import annotations

import functools
import socket
import ssl
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.utils import DEFAULT_CA_BUNDLE_PATH
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from simplemon.deadline import Watch


class _Session(requests.Session):
    """A session that keeps the configured headers for the configured host only.

    requests drops ``Authorization`` when a redirect leads to another host, but
    sends every other header on: an ``X-Api-Key`` from the ``headers`` option would
    reach whatever host a redirect names. Headers listed in ``private`` are dropped
    in exactly the cases requests drops ``Authorization``.
    """

    private: tuple[str, ...] = ()

    def rebuild_auth(
        self, prepared_request: requests.PreparedRequest, response: requests.Response
    ) -> None:
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]
        old, new = response.request.url, prepared_request.url
        strip = old and new and self.should_strip_auth(old, new)  # type: ignore[no-untyped-call]
        if strip:
            for name in self.private:
                prepared_request.headers.pop(name, None)


def open_session(
    context: ssl.SSLContext,
    verify_hostname: bool,
    watch: Watch,
    private_headers: tuple[str, ...] = (),
) -> requests.Session:
    """Return a new session whose connections use ``context`` and are watched.

    The caller closes it (``with``); pooled connections die with it, so no check
    ever reuses a connection opened by an earlier one. ``private_headers`` are not
    sent on to another host by a redirect (see _Session). Does no I/O.
    """
    session = _Session()
    session.private = private_headers
    session.trust_env = False  # no proxies or .netrc credentials from the environment
    adapter = _Adapter(context, verify_hostname, watch)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def tls_context(
    verify_tls: bool,
    verify_hostname: bool,
    ca_file: Path | None,
    certfile: Path | None,
    keyfile: Path | None,
) -> ssl.SSLContext:
    """Return a client TLS context for these settings, shared between checks.

    Building one costs ~30 ms (the CA store), so equal ones are cached; the files'
    modification times are part of the key, so renewed files are reloaded.

    Raises:
        OSError: a file cannot be read. ssl.SSLError: a file is not valid PEM.
        EncryptedKeyError: the private key needs a passphrase.
    """
    stamps = tuple(p.stat().st_mtime_ns for p in (ca_file, certfile, keyfile) if p)
    check_hostname = verify_tls and verify_hostname
    try:
        return _build_tls_context(
            verify_tls, check_hostname, ca_file, certfile, keyfile, stamps
        )
    except _PassphraseAsked:
        raise EncryptedKeyError(keyfile or certfile) from None


class EncryptedKeyError(Exception):
    """The client certificate's private key is encrypted (needs a passphrase)."""

    def __init__(self, path: Path | None) -> None:
        super().__init__(
            f"cannot use {path}: the private key is encrypted; "
            "give the monitor a key without a passphrase"
        )


class _PassphraseAsked(Exception):
    pass


def _no_passphrase() -> bytes:
    # Without a callback OpenSSL prompts on the controlling terminal: a monitor
    # started from a shell would hang there on every check.
    raise _PassphraseAsked


@functools.lru_cache(maxsize=32)
def _build_tls_context(
    verify: bool,
    check_hostname: bool,
    ca_file: Path | None,
    certfile: Path | None,
    keyfile: Path | None,
    stamps: tuple[int, ...],
) -> ssl.SSLContext:
    # urllib3 re-sets verify_mode/check_hostname on the context it is given; the
    # values set here are the ones it sets for this key, so sharing stays safe.
    # Without ca_file, trust requests' CA bundle, as SimpleMonitor (requests) did.
    context = ssl.create_default_context(cafile=ca_file or DEFAULT_CA_BUNDLE_PATH)
    context.check_hostname = check_hostname
    if not verify:
        context.verify_mode = ssl.CERT_NONE
    if certfile is not None:
        context.load_cert_chain(certfile, keyfile, password=_no_passphrase)
    return context


class WatchedHTTPConnection(HTTPConnection):
    def __init__(self, *args: Any, watch: Watch, **kwargs: Any) -> None:
        # The pool manager's keywords are shared by both schemes, and urllib3 only
        # strips its SSL_KEYWORDS for plain http: TLS-only ones it misses are
        # dropped here, or `verify_hostname = no` breaks every http:// URL.
        for key in ("assert_hostname", "assert_fingerprint"):
            kwargs.pop(key, None)
        super().__init__(*args, **kwargs)
        self._watch = watch

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        self._watch.add(sock)
        return sock


class WatchedHTTPSConnection(HTTPSConnection):
    def __init__(self, *args: Any, watch: Watch, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._watch = watch

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # watched during the TLS handshake
        self._watch.add(sock)
        return sock

    def connect(self) -> None:
        super().connect()
        if self.sock is not None:  # the TLS socket took over the raw one's descriptor
            self._watch.add(self.sock)


class WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


class _Adapter(HTTPAdapter):
    """One check's transport: its TLS context, hostname policy and watchdog."""

    def __init__(
        self, context: ssl.SSLContext, verify_hostname: bool, watch: Watch
    ) -> None:
        self._context = context
        self._verify_hostname = verify_hostname
        self._watch = watch
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        if not self._verify_hostname:
            kwargs["assert_hostname"] = False
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": WatchedHTTPPool,
            "https": WatchedHTTPSPool,
        }

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        # requests would point every connection at its CA bundle, which urllib3 then
        # loads into our shared context (~50 ms each time, and it would add public
        # CAs to a ca_file-only context). The context already holds the trust store.
        conn.cert_reqs = "CERT_REQUIRED" if verify else "CERT_NONE"
        conn.ca_certs = None
        conn.ca_cert_dir = None

    def get_connection_with_tls_context(self, *args: Any, **kwargs: Any) -> Any:
        pool = super().get_connection_with_tls_context(*args, **kwargs)
        if isinstance(pool, HTTPConnectionPool):
            pool.conn_kw["watch"] = self._watch
        return pool
