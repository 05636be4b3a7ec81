"""Tell an IP address from a host name without asking the (blocking) resolver."""

from __future__ import annotations

import socket


def ip_family(host: str) -> socket.AddressFamily | None:
    """Return AF_INET or AF_INET6 if ``host`` is a plain IP address, else None; pure.

    ``[::1]`` counts as ``::1``. An address with a zone (``fe80::1%eth0``) or a short
    form such as ``127.1`` is not plain: callers hand those to getaddrinfo.
    """
    address = host.strip("[]")
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, address)
        except OSError:
            continue
        return family
    return None
