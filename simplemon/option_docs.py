"""The options tables in docs/, generated from the Options records.

Each plugin page carries its table between markers; a test regenerates it, so the
docs cannot drift from the options the loader really accepts.
"""

from __future__ import annotations

import re
import types
import typing
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from simplemon.option_values import seconds_text
from simplemon.options import OptionField, option_fields
from simplemon.parsers import (
    host_address,
    minutes,
    ping_host,
)


def option_table(cls: type[Any]) -> str:
    """Render the options of ``cls`` as a Markdown table (the docs are generated)."""
    lines = ["| option | type | default | meaning |", "| --- | --- | --- | --- |"]
    for f in option_fields(cls):
        default = "*required*" if f.required else _doc_default(f.default)
        names = " / ".join(f"`{k}`" for k in f.keys)
        lines.append(f"| {names} | {_doc_type(f)} | {default} | {f.spec.help} |")
    return "\n".join(lines) + "\n"


def _doc_default(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, timedelta):
        return seconds_text(value)
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) or "(empty)"
    return f"`{value}`"


def _doc_type(field: OptionField) -> str:  # noqa: PLR0911
    tp = field.type
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
    if field.spec.parser is minutes:
        return "duration (minutes)"
    if field.spec.parser in (host_address, ping_host):
        return "host (no port)"
    if field.spec.parser is not None:
        return field.spec.parser.__name__.replace("_", " ")
    names = {
        str: "text",
        bool: "boolean",
        int: "integer",
        float: "number",
        timedelta: "duration (seconds)",
        Path: "path",
    }
    if tp in names:
        return names[tp]
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " \\| ".join(str(c) for c in typing.get_args(tp))
    if origin is tuple:
        return "list of " + names.get(typing.get_args(tp)[0], "values")
    if origin is re.Pattern:
        return "regular expression"
    return str(tp)
