"""Flat records to and from JSON text or table rows, for the state file.

Field tables are resolved once per class: saving a round encodes every monitor's
state and a restart decodes them all. No I/O and no SQL here.
"""

from __future__ import annotations

import enum
import functools
import operator
import typing
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from simplemon.record import fields

T = TypeVar("T")


class Codec:
    """One flat record's field table, resolved once, for fast JSON (de)coding.

    Saving a round encodes every monitor's state and a restart decodes them all, so
    the per-field type dispatch is worked out here once per class, not per value.
    """

    def __init__(self, cls: type[Any]) -> None:
        hints = typing.get_type_hints(cls)
        names = [f.name for f in fields(cls)]
        self.cls = cls
        self.names = tuple(names)
        self.name_set = frozenset(names)
        self.values = operator.attrgetter(*names)
        kinds = {n: typing.get_args(hints[n]) or (hints[n],) for n in names}
        self.datetimes = tuple(
            (i, n) for i, n in enumerate(names) if datetime in kinds[n]
        )
        self.enums = tuple(
            (i, n, _Members(k))
            for i, n in enumerate(names)
            for k in kinds[n]
            if isinstance(k, type) and issubclass(k, enum.Enum)
        )

    def to_row(self, obj: Any, texts: IsoTexts | None = None) -> list[Any]:
        """Return the field values in order, datetimes as ISO 8601, enums by value.

        ``texts`` caches the ISO texts of datetimes shared by many objects.
        """
        values = list(self.values(obj))
        for i, _ in self.datetimes:
            value = values[i]
            if value is not None:
                values[i] = value.isoformat() if texts is None else texts.of(value)
        for i, _, _ in self.enums:
            if values[i] is not None:
                values[i] = values[i].value
        return values

    def from_row(self, row: Sequence[Any]) -> Any:
        """Rebuild the record from :meth:`to_row` output."""
        values = list(row)
        for i, _ in self.datetimes:
            if values[i] is not None:
                values[i] = datetime.fromisoformat(values[i])
        for i, _, members in self.enums:
            if values[i] is not None:
                values[i] = members[values[i]]
        return self.cls(*values)

    def encode(self, obj: Any, texts: IsoTexts | None = None) -> str:
        """Return ``obj`` as a JSON object of its :meth:`to_row` values."""
        row = dict(zip(self.names, self.to_row(obj, texts), strict=True))
        return _json().encode(row)

    def decode(self, text: str) -> Any:
        """Rebuild the record; unknown keys are ignored, missing ones defaulted."""
        raw = _json().decode(text)
        if not raw.keys() <= self.name_set:
            raw = {k: v for k, v in raw.items() if k in self.name_set}
        for _, name in self.datetimes:
            value = raw.get(name)
            if value is not None:
                raw[name] = datetime.fromisoformat(value)
        for _, name, members in self.enums:
            value = raw.get(name)
            if value is not None:
                raw[name] = members[value]
        return self.cls(**raw)


class IsoTexts(dict[int, str]):
    """ISO 8601 texts of the datetimes encoded in one save, by object identity.

    A round in which many monitors fail shares a few datetime objects (the round's
    time) among thousands of events and records. By identity, not by value: equal
    datetimes in different zones have different texts. Use it only while the
    objects are alive, so that no identity is reused.
    """

    def of(self, value: datetime) -> str:
        """Return ``value.isoformat()``, computed once per object."""
        text = self.get(id(value))
        if text is None:
            text = self[id(value)] = value.isoformat()
        return text


class _Members(dict[Any, enum.Enum]):
    """An enum's members by value; an unknown value fails like ``Kind(value)``."""

    def __init__(self, kind: type[enum.Enum]) -> None:
        super().__init__((m.value, m) for m in kind)
        self.kind = kind

    def __missing__(self, value: Any) -> enum.Enum:
        return self.kind(value)


class _Json:
    """json.dumps (minus its per-call keyword checks) and json.loads.

    Made at first use: a round with no alert to record (every check as before)
    encodes states as table rows and never needs json (~1.5 ms of a start, issue 5).
    """

    def __init__(self) -> None:
        import json  # noqa: PLC0415 (see the docstring)

        self.encode = json.JSONEncoder().encode
        self.decode = json.loads


@functools.cache
def _json() -> _Json:
    return _Json()


def codec(cls: type[Any]) -> Codec:
    """Return the (cached) codec of a flat record."""
    found = _CODECS.get(cls)
    if found is None:
        found = _CODECS[cls] = Codec(cls)
    return found


#: Per record class, filled on first use; a constant cache of types, not runtime state.
_CODECS: dict[type[Any], Codec] = {}


def to_json(obj: Any) -> str:
    """Serialise a flat record of str/int/float/bool/datetime/enum fields."""
    return codec(type(obj)).encode(obj)


def from_json(cls: type[T], text: str) -> T:
    """Rebuild ``cls`` from :func:`to_json` output; unknown keys are ignored."""
    result: T = codec(cls).decode(text)
    return result
