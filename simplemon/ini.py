"""Read INI files as SimpleMonitor does, keeping each value's file for error messages.

No interpolation except ``%env:NAME%`` (in values and section names); every problem
is appended to the caller's error list instead of raised, so all are reported at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from simplemon.errors import ConfigError

_ENV = re.compile(r"%env:([A-Za-z0-9_]+)%")

#: ConfigParser's section whose keys every other section of the file gets.
DEFAULT = "DEFAULT"


class RawValue:
    """One option's text and the file it came from (for errors and relative paths).

    ``from_default``: whether it came from the file's [DEFAULT] section, which gives
    a key only to the sections that accept it (as SimpleMonitor's plugins ignore the
    others). A plain ``__slots__`` class, the cheapest to build and read.
    """

    __slots__ = ("file", "from_default", "text")

    def __init__(self, text: str, file: Path, from_default: bool = False) -> None:
        self.text = text
        self.file = file
        self.from_default = from_default

    def __repr__(self) -> str:
        return (
            f"RawValue(text={self.text!r}, file={self.file!r}, "
            f"from_default={self.from_default!r})"
        )


def read_ini(
    path: Path, environ: Mapping[str, str], errors: list[ConfigError]
) -> dict[str, dict[str, RawValue]]:
    """Return ``{section: {key: RawValue}}``; unreadable files add an error."""
    try:
        data = path.read_bytes()
    except OSError as e:
        errors.append(ConfigError(f"cannot read file: {e.strerror}", file=str(path)))
        return {}
    try:
        # utf-8-sig: Windows editors may start a UTF-8 file with a BOM.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        errors.append(
            ConfigError(
                f"line {line}: not UTF-8 text (byte 0x{data[e.start]:02x}); "
                "save the file as UTF-8",
                file=str(path),
            )
        )
        return {}
    if "\r" in text:  # as read_text() did: Windows and old Mac line endings
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    parsed = _read_plain(text)
    if parsed is None:
        parsed = _read_configparser(text, path, errors)
    defaults = {k: RawValue(v, path, True) for k, v in parsed.pop(DEFAULT, {}).items()}
    sections: dict[str, dict[str, RawValue]] = {}
    for name, items in parsed.items():
        real = substitute_env(name, environ, errors, str(path), name, None)
        sections[real] = defaults | {k: RawValue(v, path) for k, v in items.items()}
    return sections


def _read_configparser(
    text: str, path: Path, errors: list[ConfigError]
) -> dict[str, dict[str, str]]:
    """Read any INI text with ConfigParser; a syntax error adds an error, gives {}."""
    import configparser  # noqa: PLC0415 - plain files never need it

    # [DEFAULT] is read as a section of its own; read_ini gives its keys to the
    # others, marked, so that a section that does not accept one can ignore it.
    parser = configparser.ConfigParser(
        interpolation=None, strict=True, default_section="\0"
    )
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as e:
        # Never the offending line itself: it may be `password S3cret`.
        section: str | None = None
        key: str | None = None
        if isinstance(e, configparser.DuplicateSectionError):
            message = f"line {e.lineno}: this section appears twice in the file; "
            message += "rename or remove one"
            section = e.section
        elif isinstance(e, configparser.DuplicateOptionError):
            message = f"line {e.lineno}: given twice in this section; remove one"
            section, key = e.section, e.option
        elif isinstance(e, configparser.MissingSectionHeaderError):
            message = (
                f"not a valid INI file: line {e.lineno} comes before any [section]"
            )
        elif isinstance(e, configparser.ParsingError):
            numbers = [str(number) for number, _ in e.errors]
            where = "lines " if len(numbers) > 1 else "line "
            message = "not a valid INI file: " + where + ", ".join(numbers)
            message += ": expected [section] or key = value"
        else:
            message = "not a valid INI file: " + " ".join(str(e).split())
        errors.append(ConfigError(message, file=str(path), section=section, key=key))
        return {}
    return {name: dict(parser.items(name, raw=True)) for name in parser.sections()}


# ConfigParser's own SECTCRE and OPTCRE (default delimiters; a test checks they are
# the same), so that plain files are split exactly as ConfigParser splits them
# without importing it.
_SECTION = re.compile(r"\[(?P<header>.+)\]")
_OPTION = re.compile(r"(?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$")


def _read_plain(text: str) -> dict[str, dict[str, str]] | None:
    """Read the plain subset of INI exactly as ConfigParser would, or return None.

    The subset: ``[section]`` headers, one-line ``key = value`` (or ``key: value``)
    options and full-line comments, none indented, no section or key twice, no
    [DEFAULT]. Anything else (continuation lines, errors, defaults) returns None so
    that ConfigParser reads it, with its own results and error messages. Same
    regular expressions, same stripping and lower-cased keys; it is just faster
    (ConfigParser took about half of loading 1,000 monitors).
    """
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.split("\n"):
        value = line.strip()
        if not value or value[0] in "#;":
            continue  # a blank line ends no one-line value; comments are dropped
        if line[0].isspace():
            return None  # maybe a continuation line
        match = _SECTION.match(value)
        if match is not None:
            name = match.group("header")
            if name in sections or name == DEFAULT:
                return None
            current = sections[name] = {}
            continue
        match = _OPTION.match(value)
        if current is None or match is None or not match.group("option"):
            return None
        key = match.group("option").rstrip().lower()
        if key in current:
            return None
        current[key] = match.group("value").strip()
    return sections


def env_names(text: str) -> list[str]:
    """Return the names of the variables ``text`` refers to with ``%env:NAME%``."""
    return _ENV.findall(text) if "%env:" in text else []


def substitute_env(
    text: str,
    environ: Mapping[str, str],
    errors: list[ConfigError],
    file: str,
    section: str,
    key: str | None,
) -> str:
    """Replace ``%env:NAME%``; an unset variable adds an error naming ``key``."""

    def env(m: re.Match[str]) -> str:
        var = m.group(1)
        if var not in environ:
            what = f"'{key}'" if key else "the section name"
            errors.append(
                ConfigError(
                    f"environment variable {var} (used by {what}) is not set",
                    file=file,
                    section=section,
                )
            )
            return m.group(0)
        return environ[var]

    return _ENV.sub(env, text) if "%env:" in text else text
