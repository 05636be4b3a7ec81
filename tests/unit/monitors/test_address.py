"""Telling IP addresses from host names without the resolver."""

from __future__ import annotations

import socket

import pytest

from simplemon.monitors._address import ip_family


@pytest.mark.parametrize(
    ("host", "family"),
    [
        ("127.0.0.1", socket.AF_INET),
        ("::1", socket.AF_INET6),
        ("[::1]", socket.AF_INET6),
        ("fe80::1%lo", None),  # a zone needs getaddrinfo
        ("127.1", None),  # a short form too
        ("localhost", None),
        ("", None),
    ],
)
def test_ip_family(host: str, family: socket.AddressFamily | None) -> None:
    assert ip_family(host) == family
