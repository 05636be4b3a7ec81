"""Value parsers for option text: each returns a typed value or raises ValueError.

The message of every ValueError says what was expected, with an example
(``expected a duration in seconds, e.g. 10 (or 30s, 5m, 1h)``);
:mod:`simplemon.options` turns it into a ConfigError naming file, section and key.
Custom parsers of plugins take ``(text, ctx)`` like :func:`url` and :func:`command`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

_TRUE = {"1", "yes", "true", "on"}
_FALSE = {"0", "no", "false", "off"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


class ParseContext:
    """What a parser may need beyond the text: where relative paths are anchored.

    A plain ``__slots__`` class: every start builds it (issue 5, start-up time).
    """

    __slots__ = ("base_dir",)

    def __init__(self, base_dir: Path = Path()) -> None:
        self.base_dir = base_dir

    def __repr__(self) -> str:
        return f"ParseContext(base_dir={self.base_dir!r})"


def parse_bool(text: str, ctx: ParseContext | None = None) -> bool:
    """Parse configparser's booleans only; anything else is an error, not False."""
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError("expected a boolean: yes/no, true/false, on/off or 1/0")


def parse_duration(text: str, unit: str = "s") -> timedelta:
    """Parse ``10``, ``1.5``, ``30s``, ``5m``, ``1h``; a bare number is in ``unit``."""
    m = _DURATION.match(text)
    plural = {"s": "seconds", "m": "minutes"}[unit]
    if not m:
        raise ValueError(f"expected a duration in {plural}, e.g. 10 (or 30s, 5m, 1h)")
    seconds = float(m.group(1)) * _UNIT_SECONDS[(m.group(2) or unit).lower()]
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(
            f"expected a duration in {plural}, e.g. 10 (or 30s, 5m, 1h); too long"
        ) from None


def minutes(text: str, ctx: ParseContext) -> timedelta:
    """Parse a duration whose bare numbers are minutes (SimpleMonitor's ``remind``)."""
    return parse_duration(text, unit="m")


class ContinuedLine(ValueError):
    """A value (or a list item) that goes on over an indented line.

    INI (ConfigParser) reads an indented line as the continuation of the value
    above it, so ``url = http://x/`` followed by an indented ``timeout = 3``
    gives the url one value of two lines. ``line`` is the first continued line;
    :mod:`simplemon.options` words the error (it knows whether to hide it).
    """

    def __init__(self, line: str, *, item: bool = False) -> None:
        super().__init__(f"the value continues on an indented line ({line!r})")
        self.line = line
        self.item = item


def continued_line(text: str, *, item: bool = False) -> ContinuedLine | None:
    """Return the error for ``text`` if its trimmed value spans lines, else None."""
    lines = [line.strip() for line in text.strip().split("\n")]
    rest = [line for line in lines[1:] if line]
    return ContinuedLine(rest[0], item=item) if rest else None


def parse_list(text: str) -> tuple[str, ...]:
    """Split a comma list, trimming items and refusing empty ones.

    A list may go on over indented lines after a comma (``a,`` then ``b``), as in
    SimpleMonitor; an item itself may not span lines (see :class:`ContinuedLine`).
    """
    items = tuple(item.strip() for item in text.split(","))
    if not text.strip():
        return ()
    if "\n" in text:
        for item in items:
            error = continued_line(item, item=True)
            if error is not None:
                raise error
    if any(not item for item in items):
        raise ValueError(
            "expected a comma-separated list with no empty items, e.g. a, b"
        )
    return items


def url(text: str, ctx: ParseContext) -> str:
    """Accept an http(s) URL with a host."""
    value = text.strip()
    if not re.match(r"^https?://[^/\s]+", value, re.IGNORECASE):
        raise ValueError("expected an http:// or https:// URL, e.g. http://127.0.0.1/")
    return value


_HOST_EXAMPLE = "e.g. 127.0.0.1, ::1 or db.example.com"


def host_address(text: str, ctx: ParseContext) -> str:
    """Accept a host name or IP address for a plugin whose port is its own option.

    ``db:5432`` or ``[::1]:22`` is refused, naming the ``port`` option to use.
    """
    return bare_host(text, "put the port in port = {port}")


def ping_host(text: str, ctx: ParseContext) -> str:
    """Accept a host name or IP address to ping (ICMP has no ports)."""
    return bare_host(text, "ping has no port")


def bare_host(text: str, port_hint: str) -> str:
    """Return ``text`` trimmed if it is a host name or IP address with no port.

    IPv6 addresses pass, bare or in brackets, with a zone or not (``::1``,
    ``[::1]``, ``fe80::1%eth0``). ``port_hint`` (``{port}``: the port written)
    ends the error for a host with a port. Names are not resolved here.
    """
    value = parse_str(text)
    if ":" not in value and "/" not in value and " " not in value:
        return value  # a name or an IPv4 address: the usual case, kept cheap
    if "://" in value:
        raise ValueError(
            f"expected a host name or IP address, not a URL, {_HOST_EXAMPLE}"
        )
    match = re.fullmatch(r"\[([^\[\]]+)\](?::(\d*))?|([^:\s/]+):(\d*)", value)
    if match is not None and (match.group(2) is not None or match.group(4) is not None):
        port = match.group(2) if match.group(2) is not None else match.group(4)
        hint = port_hint.format(port=port or 22)
        raise ValueError(f"expected a host name or IP address without a port ({hint})")
    inner = match.group(1) if match is not None else value
    if ":" in inner and _is_ipv6(inner):
        return value
    raise ValueError(f"expected a host name or IP address, {_HOST_EXAMPLE}")


def _is_ipv6(text: str) -> bool:
    """Whether ``text`` is an IPv6 address, with a zone (``%eth0``) or not."""
    import socket  # noqa: PLC0415 - only IPv6 and mistyped hosts get here

    address, _, zone = text.partition("%")
    if "%" in text and (not zone or any(c.isspace() or c in "/%" for c in zone)):
        return False
    try:
        socket.inet_pton(socket.AF_INET6, address)
    except OSError:
        return False
    return True


_SHLEX_ERRORS = {
    "No closing quotation": "a quote is not closed",
    "No escaped character": "it ends with a lone backslash",
}


def split_command(text: str, example: str) -> list[str]:
    """Split a command line with shell rules into a non-empty argv (no shell runs).

    Raises:
        ValueError: unbalanced quotes or nothing to run, with ``example`` as a hint.
    """
    import shlex  # noqa: PLC0415 - few configs have commands; keep start-up lean

    try:
        argv = shlex.split(text)
    except ValueError as e:
        why = _SHLEX_ERRORS.get(str(e), str(e))
        raise ValueError(f"expected a command line, e.g. {example} ({why})") from None
    if not argv:
        raise ValueError(f"expected a command line, e.g. {example}")
    return argv


def command(text: str, ctx: ParseContext) -> str:
    """Accept a command line that shlex can split into a non-empty argv."""
    split_command(text, "systemctl restart web")
    return text.strip()


def parse_str(text: str) -> str:
    """Return the trimmed text; an empty value is an error."""
    if not text.strip():
        raise ValueError("expected a non-empty value")
    return text.strip()


def parse_int(text: str) -> int:
    """Parse a whole number."""
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError("expected a whole number, e.g. 10") from None


def parse_float(text: str) -> float:
    """Parse a number."""
    try:
        return float(text.strip())
    except ValueError:
        raise ValueError("expected a number, e.g. 1.5") from None


def parse_regex(text: str) -> re.Pattern[str]:
    """Compile a regular expression."""
    try:
        return re.compile(text)
    except re.error as e:
        raise ValueError(f"expected a regular expression ({e})") from None
