"""What ``redact`` masks in text simplemon logs, stores or shows."""

from __future__ import annotations

import pytest

from simplemon.redact import redact


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "pwd",  # routers, cameras, NAS admin pages
        "passphrase",
        "credentials",
        "token",
        "access_token",
        "client_secret",
        "api_key",
        "apikey",
        "sig",
        "signature",
        "session",
        "sessionid",
        "PHPSESSID",
        "jwt",
    ],
)
def test_secret_looking_query_parameters_are_masked(name):
    assert redact(f"http://127.0.0.1/x?a=1&{name}=S3cr3t&b=2") == (
        f"http://127.0.0.1/x?a=1&{name}=***&b=2"
    )


def test_a_java_session_id_in_the_path_is_masked():
    # Up to the next & or space: the query after it goes too, which is harmless.
    assert redact("http://127.0.0.1/app;jsessionid=S3cr3t?x=1") == (
        "http://127.0.0.1/app;jsessionid=***"
    )


@pytest.mark.parametrize(
    "text",
    ["took 3s, 5 of 5 tolerated", "HTTP 500 Internal Server Error", "expected=200"],
)
def test_ordinary_text_is_left_alone(text):
    assert redact(text) == text
