"""The few exception types simplemon uses; a deep hierarchy would only hide intent."""

from __future__ import annotations

import re
from collections.abc import Iterable

from simplemon.redact import redact

# Options whose whole value may be a secret (a password, an Authorization header, a
# login form as request body): an error about them never quotes the value.
# Patterns as strings, compiled by re at their first use: errors are rare, and
# compiling them at import was ~0.8 ms of every start.
_SECRET_KEY_PATTERN = r"pass|secret|token|auth|header|^(data|json)$"  # noqa: S105
# Line breaks, terminal escapes and bidi overrides, which a section name or a
# continued value may carry into a message: shown escaped, as in Python strings.
_UNPRINTABLE = r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"


def is_secret_key(key: str) -> bool:
    """Whether an option's whole value may be a secret (``password``, ``headers``)."""
    return re.search(_SECRET_KEY_PATTERN, key, re.IGNORECASE) is not None


def printable(text: str) -> str:
    r"""Return ``text`` as one printable line, control characters escaped (``\n``)."""
    if not re.search(_UNPRINTABLE, text):
        return text
    return re.sub(
        _UNPRINTABLE, lambda m: m.group().encode("unicode_escape").decode("ascii"), text
    )


class ConfigError(Exception):
    """One problem in the user's configuration, located by file, section and key.

    ``str()`` gives the one-line form users see, e.g.
    ``monitors.ini: [web] timeout = 'ten': expected a duration in seconds, e.g. 10``.
    The value quoted back has URL credentials and tokens masked, and the value of
    an option that may hold a secret (password, headers, data, json…) is not shown.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        section: str | None = None,
        key: str | None = None,
        value: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.section = section
        self.key = key
        self.value = value

    def located(
        self, *, file: str | None = None, section: str | None = None
    ) -> ConfigError:
        """Return a copy with missing location parts filled in."""
        return ConfigError(
            self.message,
            file=self.file or file,
            section=self.section or section,
            key=self.key,
            value=self.value,
        )

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(f"{self.file}:")
        if self.section is not None:
            parts.append(f"[{self.section}]")
        if self.key is not None:
            shown = ""
            if self.value is not None and not is_secret_key(self.key):
                shown = f" = {redact(self.value)!r}"
            parts.append(f"{self.key}{shown}:")
        parts.append(self.message)
        return printable(" ".join(parts))


class ConfigErrors(Exception):
    """Every configuration problem found in one load, reported together."""

    def __init__(self, errors: Iterable[ConfigError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


class DeliveryError(Exception):
    """An alerter or result logger could not deliver.

    ``permanent`` means retrying cannot help (bad credentials, rejected recipient);
    otherwise the failure is transient and the caller may retry. ``done`` names the
    parts of the destination this attempt finished with (mail recipients that took
    the message, or refused it for good), so that a retry goes only to the rest.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        done: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.done = done


class StateFileError(Exception):
    """The state file (monitor state and the alert outbox) cannot be opened or used."""
