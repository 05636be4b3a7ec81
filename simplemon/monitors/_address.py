"""Tell an IP address from a host name without asking the (blocking) resolver.

On ``_socket``, the C module under :mod:`socket`: a round of tcp checks needs
nothing of ``socket.py`` (its import is ~3 ms of a 1,000-check ``-1``, issue 5).
"""

from __future__ import annotations

import _socket


def ip_family(host: str) -> int | None:
    """Return AF_INET or AF_INET6 if ``host`` is a plain IP address, else None; pure.

    ``[::1]`` counts as ``::1``. An address with a zone (``fe80::1%eth0``) or a short
    form such as ``127.1`` is not plain: callers hand those to getaddrinfo.
    """
    address = host.strip("[]")
    for family in (_socket.AF_INET, _socket.AF_INET6):
        try:
            _socket.inet_pton(family, address)
        except OSError:
            continue
        return family
    return None
