"""Read INI files as SimpleMonitor does, keeping each value's file for error messages.

No interpolation except ``%env:NAME%`` (in values and section names); every problem
is appended to the caller's error list instead of raised, so all are reported at once.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from simplemon.errors import ConfigError

_ENV = re.compile(r"%env:([A-Za-z0-9_]+)%")


@dataclass(frozen=True)
class RawValue:
    """One option's text and the file it came from (for errors and relative paths)."""

    text: str
    file: Path


def read_ini(
    path: Path, environ: Mapping[str, str], errors: list[ConfigError]
) -> dict[str, dict[str, RawValue]]:
    """Return ``{section: {key: RawValue}}``; unreadable files add an error."""
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        errors.append(ConfigError(f"cannot read file: {e.strerror}", file=str(path)))
        return {}
    except UnicodeDecodeError:
        errors.append(ConfigError("file is not UTF-8 text", file=str(path)))
        return {}
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as e:
        message = " ".join(str(e).split())
        errors.append(ConfigError(f"not a valid INI file: {message}", file=str(path)))
        return {}
    sections: dict[str, dict[str, RawValue]] = {}
    for name in parser.sections():
        real = substitute_env(name, environ, errors, str(path), name, None)
        sections[real] = {k: RawValue(v, path) for k, v in parser.items(name, raw=True)}
    return sections


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
