"""Declare plugin options once, as typed record fields, and parse INI text into them.

Plugins never see raw strings: the annotated type of each field picks a parser (in
:mod:`simplemon.option_values`), and every parse failure becomes a ConfigError naming
file, section, key and value. ``opt`` is plugin API: it stays importable from here.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from simplemon.errors import ConfigError
from simplemon.option_values import (
    Parser,
    continued_message,
    one_line_text,
    takes_lines,
    value_parser,
)
from simplemon.parsers import ContinuedLine, ParseContext
from simplemon.record import MISSING, fields
from simplemon.record import field as record_field

T = TypeVar("T")
#: The context of values that come from no file (paths relative to the cwd).
NO_CONTEXT = ParseContext()


class OptionSpec:
    """Metadata attached to one option field by :func:`opt`.

    This and :class:`OptionField` are plain ``__slots__`` classes: every start
    builds and reads them for each option of each plugin type (issue 5).
    """

    __slots__ = (
        "aliases",
        "example",
        "help",
        "key",
        "max",
        "min",
        "multiline",
        "parser",
    )

    def __init__(
        self,
        help: str,
        key: str | None = None,
        aliases: tuple[str, ...] = (),
        parser: Parser | None = None,
        min: Any = None,
        max: Any = None,
        example: str | None = None,
        multiline: bool | None = None,
    ) -> None:
        self.help = help
        self.key = key
        self.aliases = aliases
        self.parser = parser
        self.min = min
        self.max = max
        self.example = example
        self.multiline = multiline


def opt(  # noqa: PLR0913 - plugin API: each keyword is one aspect of an option
    default: Any = MISSING,
    *,
    help: str,
    key: str | None = None,
    aliases: tuple[str, ...] = (),
    parser: Parser | None = None,
    min: Any = None,
    max: Any = None,
    example: str | None = None,
    multiline: bool | None = None,
) -> Any:
    """Declare an option field; no default means the option is required.

    ``multiline``: whether the value may go on over indented lines. Unset, only
    lists and JSON objects may (see :func:`simplemon.option_values.takes_lines`);
    a continued single-line value is an error that explains INI's indentation.
    """
    spec = OptionSpec(help, key, aliases, parser, min, max, example, multiline)
    return record_field(default=default, metadata={"option": spec})


class OptionField:
    """One declared option as the loader and the docs generator see it."""

    __slots__ = ("default", "key", "name", "spec", "type")

    def __init__(
        self, name: str, key: str, type: Any, spec: OptionSpec, default: Any
    ) -> None:
        self.name = name
        self.key = key
        self.type = type
        self.spec = spec
        self.default = default

    @property
    def required(self) -> bool:
        """Whether the option has no default."""
        return self.default is MISSING

    @property
    def keys(self) -> tuple[str, ...]:
        """The INI key and its accepted aliases."""
        return (self.key, *self.spec.aliases)


def option_fields(cls: type[Any]) -> tuple[OptionField, ...]:
    """List the declared options of an Options record, in declaration order.

    Cached: resolving annotations is slow, and 10,000 monitors share a few classes.
    """
    key: Any = cls  # mypy does not see type objects as Hashable
    return _option_fields(key)


@functools.cache
def _option_fields(cls: Any) -> tuple[OptionField, ...]:
    hints = typing.get_type_hints(cls)
    result = []
    for f in fields(cls):
        spec = f.metadata.get("option")
        if spec is None:
            continue
        result.append(
            OptionField(f.name, spec.key or f.name, hints[f.name], spec, f.default)
        )
    return tuple(result)


def option_keys(cls: type[Any]) -> frozenset[str]:
    """Return every INI key (and alias) an Options record accepts."""
    key: Any = cls
    return _option_keys(key)


@functools.cache
def _option_keys(cls: Any) -> frozenset[str]:
    return frozenset(k for f in option_fields(cls) for k in f.keys)


@functools.cache
def _field_plan(
    cls: Any,
) -> tuple[tuple[OptionField, str, tuple[str, ...], bool, Parser, bool], ...]:
    """Return per field: field, key, aliases, whether absence matters, value parser.

    The last item says whether the value must fit on one line.

    Computed once per class: building 10,000 sections looks these up for every field.
    """
    return tuple(
        (
            f,
            f.key,
            f.spec.aliases,
            f.required or isinstance(f.default, Path),
            value_parser(f),
            not takes_lines(f),
        )
        for f in option_fields(cls)
    )


def _first_in(keys: tuple[str, ...], items: Mapping[str, str]) -> str | None:
    for k in keys:
        if k in items:
            return k
    return None


def build_options(
    cls: type[T],
    items: Mapping[str, str],
    ctx: ParseContext | Mapping[str, ParseContext],
    *,
    file: str | None,
    section: str,
    type_name: str,
    kind: str = "monitor",
    default_ctx: ParseContext = NO_CONTEXT,
) -> tuple[T | None, list[ConfigError]]:
    """Build ``cls`` from INI ``items`` (keys already known to belong to it).

    ``ctx`` may be one context or one per key (each key's file anchors its paths);
    ``default_ctx`` then anchors relative default paths.
    Returns the instance, or ``None`` and every error found; never raises ConfigError.
    """
    errors: list[ConfigError] = []
    values: dict[str, Any] = {}
    one_ctx = ctx if isinstance(ctx, ParseContext) else None
    plan_key: Any = cls  # mypy does not see type objects as Hashable
    plan = _field_plan(plan_key)
    for field, field_key, aliases, needs_default, parse, one_line in plan:
        key = field_key if field_key in items else _first_in(aliases, items)
        if key is None:
            if needs_default:
                if isinstance(field.default, Path):
                    # A relative default path is anchored like a written one.
                    anchor = default_ctx if one_ctx is None else one_ctx
                    values[field.name] = anchor.base_dir / field.default
                else:
                    errors.append(_missing(field, kind, type_name, file, section))
            continue
        text = items[key]
        try:
            if one_line and "\n" in text:
                text = one_line_text(text)
            key_ctx = ctx if isinstance(ctx, ParseContext) else ctx[key]
            values[field.name] = parse(text, key_ctx)
        except (ValueError, OSError) as e:
            error = _parse_error(e, field, key, text, file, section)
            if error is not None:
                errors.append(error)
    if errors:
        return None, errors
    try:
        return cls(**values), []
    except (ValueError, OSError) as e:
        return None, [ConfigError(_reason(e), file=file, section=section)]


def _parse_error(
    error: ValueError | OSError,
    field: OptionField,
    key: str,
    text: str,
    file: str | None,
    section: str,
) -> ConfigError | None:
    """Return the error of one value that did not parse, or None to ignore it."""
    if isinstance(error, ContinuedLine):
        return ConfigError(
            continued_message(error, key), file=file, section=section, key=key
        )
    if field.default is None and not text.strip():
        # SimpleMonitor reads a blank optional value as not given; an option
        # whose parser gives blank its own meaning did not raise.
        return None
    return ConfigError(_reason(error), file=file, section=section, key=key, value=text)


def _missing(
    field: OptionField, kind: str, type_name: str, file: str | None, section: str
) -> ConfigError:
    what = "" if kind == "section" else f" for {kind} type '{type_name}'"
    example = field.spec.example
    hint = f", e.g. {field.key} = {example}" if example else ""
    return ConfigError(
        f"missing required option '{field.key}'{what}{hint}", file=file, section=section
    )


def _reason(error: ValueError | OSError) -> str:
    """A parser's message, or why a file it looked at could not be looked at.

    Parsers and checks that look at files (``is_file()``) raise OSError when a
    folder on the way cannot be entered or a name is too long.
    """
    if isinstance(error, OSError):
        return f"cannot look at {error.filename}: {error.strerror}"
    return str(error)
