"""The http monitor from INI text to the bytes a real loopback server receives.

These go through the option parser (as a monitors.ini value is read) and then a
real fetch, because the parser is where a SimpleMonitor config could change meaning.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from simplemon.monitors.http import HttpMonitor, HttpOptions
from simplemon.options import build_options
from simplemon.parsers import ParseContext
from tests.peers.http_server import HttpPeer, Recorded, Reply

pytestmark = pytest.mark.integration


@pytest.fixture
def peer() -> Iterator[HttpPeer]:
    with HttpPeer() as server:
        server.route("/", Reply(200, b"fine"))
        yield server


def configured(tmp_path: Path, **items: str) -> HttpMonitor:
    """Build the monitor from INI values, as the loader does."""
    options, errors = build_options(
        HttpOptions,
        items,
        ParseContext(tmp_path),
        file="monitors.ini",
        section="web",
        type_name="http",
    )
    assert not errors, [str(e) for e in errors]
    assert options is not None
    return HttpMonitor("web", options)


def only_request(peer: HttpPeer) -> Recorded:
    assert len(peer.requests) == 1
    return peer.requests[0]


def test_an_empty_username_with_a_password_sends_basic_auth(
    peer: HttpPeer, tmp_path: Path
) -> None:
    # Token APIs (Azure DevOps…) take the token as the password, with no user name.
    # SimpleMonitor sent "Basic base64(':token')" for `username =`.
    web = configured(tmp_path, url=peer.url("/"), username="", password="tok")  # noqa: S106
    assert web.check().ok
    expected = "Basic " + base64.b64encode(b":tok").decode()
    assert only_request(peer).headers["Authorization"] == expected


@pytest.mark.parametrize("blank", ["username", "password"])
def test_a_blank_username_or_password_alone_sends_no_auth(
    peer: HttpPeer, tmp_path: Path, blank: str
) -> None:
    web = configured(tmp_path, url=peer.url("/"), **{blank: ""})
    assert web.check().ok
    assert "Authorization" not in only_request(peer).headers


def sent_headers(peer: HttpPeer, tmp_path: Path, headers: str) -> dict[str, str]:
    """Check with these configured headers; return those the server received."""
    assert configured(tmp_path, url=peer.url("/"), headers=headers).check().ok
    return dict(only_request(peer).headers)


def test_a_null_header_leaves_the_default_header_out(
    peer: HttpPeer, tmp_path: Path
) -> None:
    # requests (so SimpleMonitor) drops a header whose value is None: the way to
    # send no Accept-Encoding or User-Agent. Sending the text "None" is wrong.
    headers = '{"Accept-Encoding": null, "User-Agent": null, "X-Gone": null}'
    sent = sent_headers(peer, tmp_path, headers)
    assert "None" not in sent.values()
    assert "X-Gone" not in sent
    assert "User-Agent" not in sent or "python-requests" not in sent["User-Agent"]
    assert sent.get("Accept-Encoding") != "gzip, deflate"


def test_header_numbers_and_booleans_are_sent_as_written_in_json(
    peer: HttpPeer, tmp_path: Path
) -> None:
    sent = sent_headers(peer, tmp_path, '{"X-Flag": true, "X-Rate": 1.50, "X-N": 7}')
    assert (sent["X-Flag"], sent["X-Rate"], sent["X-N"]) == ("true", "1.50", "7")


def test_a_null_content_type_still_gets_the_json_one(
    peer: HttpPeer, tmp_path: Path
) -> None:
    web = configured(
        tmp_path,
        url=peer.url("/"),
        method="POST",
        json='{"a": 1}',
        headers='{"Content-Type": null}',
    )
    assert web.check().ok
    assert only_request(peer).headers["Content-Type"] == "application/json"
