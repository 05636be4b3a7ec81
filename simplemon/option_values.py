"""Turn one option's text into its typed value, as its annotation and limits say.

Kept apart from :mod:`simplemon.options` (declaring options and building an Options
record from a section) so that each stays small. :func:`value_parser` resolves a
field's annotation once into a function; a config of thousands of monitors then
parses the same few fields with it thousands of times.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from simplemon.errors import is_secret_key
from simplemon.parsers import (
    ContinuedLine,
    ParseContext,
    continued_line,
    parse_bool,
    parse_duration,
    parse_float,
    parse_int,
    parse_list,
    parse_regex,
    parse_str,
)
from simplemon.redact import redact

if TYPE_CHECKING:
    from simplemon.options import OptionField, OptionSpec

Parser = Callable[[str, "ParseContext"], Any]


def _check_range(value: Any, spec: OptionSpec) -> None:
    if spec.min is not None and value < spec.min:
        raise ValueError(f"expected at least {_show(spec.min)}")
    if spec.max is not None and value > spec.max:
        raise ValueError(f"expected at most {_show(spec.max)}")


def _show(value: Any) -> str:
    if isinstance(value, timedelta):
        return seconds_text(value)
    return str(value)


def seconds_text(value: timedelta) -> str:
    """``5s``, ``0.1s``, ``7776000s``: never ``7.776e+06s``, which no parser reads."""
    return f"{value.total_seconds():.3f}".rstrip("0").rstrip(".") + "s"


_SCALARS: dict[Any, Callable[[str], Any]] = {
    str: parse_str,
    bool: parse_bool,
    int: parse_int,
    float: parse_float,
    timedelta: parse_duration,
}


def _parse_scalar(tp: Any, text: str, ctx: ParseContext) -> Any:
    parser = _SCALARS.get(tp)
    if parser is not None:
        return parser(text)
    if tp is Path:
        return ctx.base_dir / Path(parse_str(text)).expanduser()
    if typing.get_origin(tp) is re.Pattern:
        return parse_regex(text)
    raise TypeError(f"no parser for option type {tp!r}")


def parse_value(field: OptionField, text: str, ctx: ParseContext) -> Any:
    """Parse one option's text according to its declared type and limits."""
    return value_parser(field)(text, ctx)


def value_parser(field: OptionField) -> Parser:
    """Return the function parsing ``field``'s text (type and limits resolved once).

    Resolving the annotation costs more than parsing a short value, and a config
    of thousands of monitors parses the same few fields thousands of times.
    """
    spec = field.spec
    tp = field.type
    if spec.parser is not None:
        return _checked(spec.parser, spec)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        tp = inner[0]
        origin = typing.get_origin(tp)
    if origin is Literal:
        return functools.partial(_parse_choice, typing.get_args(tp))
    if origin is tuple:
        return functools.partial(_parse_items, typing.get_args(tp), spec)
    scalar = _SCALARS.get(tp)
    if scalar is not None:
        return _checked(lambda text, ctx: scalar(text), spec)
    return _checked(functools.partial(_parse_scalar, tp), spec)


def takes_lines(field: OptionField) -> bool:
    """Whether ``field``'s value may go on over indented (continuation) lines.

    ``opt(multiline=...)`` decides; unset, lists (``tuple``) and JSON objects
    (``dict``) may, written over several lines, as in SimpleMonitor (dns
    ``desired_val``: one per line), and every other type, being one line by
    nature (a number, a URL, a host, a path, a regular expression...), may not.
    """
    if field.spec.multiline is not None:
        return field.spec.multiline
    tp = field.type
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
    return typing.get_origin(tp) in (tuple, dict)


def _checked(parse: Parser, spec: OptionSpec) -> Parser:
    if spec.min is None and spec.max is None:
        return parse

    def parse_in_range(text: str, ctx: ParseContext) -> Any:
        value = parse(text, ctx)
        _check_range(value, spec)
        return value

    return parse_in_range


def _parse_choice(choices: tuple[Any, ...], text: str, ctx: ParseContext) -> Any:
    low = text.strip().lower()
    for choice in choices:
        if str(choice).lower() == low:
            return choice
    raise ValueError("expected one of " + ", ".join(str(c) for c in choices))


def _parse_items(
    args: tuple[Any, ...], spec: OptionSpec, text: str, ctx: ParseContext
) -> tuple[Any, ...]:
    (item_type, _) = args
    items = parse_list(text)
    try:
        value = tuple(_parse_scalar(item_type, item, ctx) for item in items)
    except ValueError:
        if item_type is not int:
            raise
        low, high = (spec.min, spec.max) if spec.min is not None else (1, 2)
        within = "" if spec.min is None else f" from {spec.min} to {spec.max}"
        raise ValueError(
            "expected a comma-separated list of whole numbers"
            f"{within}, e.g. {low}, {high}"
        ) from None
    for item in value:
        _check_range(item, spec)
    return value


def one_line_text(text: str) -> str:
    """Return ``text`` trimmed if it is one line; raises ContinuedLine if not.

    ``key =`` with the value alone on the indented line below is one line.
    """
    continued = continued_line(text)
    if continued is not None:
        raise continued
    return text.strip()


def continued_message(error: ContinuedLine, key: str) -> str:
    """Explain a value glued to the indented line below it, the line shown safely.

    The line is hidden for an option that may be a secret, and a secret option
    written on it (``password = x``) shows only its name.
    """
    line = error.line
    name, sep, _ = line.partition("=")
    if is_secret_key(key):
        shown = ""
    elif sep and is_secret_key(name.strip()):
        shown = f" ({name.strip()} = …)"
    else:
        shown = f" ({redact(line)!r})"
    what = "an item" if error.item else "the value"
    fix = (
        "separate list items with commas, or remove the indentation"
        if error.item
        else "remove the indentation"
    )
    return (
        f"{what} continues on an indented line{shown}; INI reads indented lines as "
        f"part of the previous value: {fix}"
    )
