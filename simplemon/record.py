"""Records: small value classes declared like frozen dataclasses, built for start-up.

``@record`` reads a class's annotations and gives it ``__init__``, ``__eq__``,
``__hash__``, ``__repr__`` and ``__match_args__``, frozen by default. Unlike
``dataclasses`` it generates no code: every record shares the same methods, which
read a per-class table. A ``-1`` defines ~20 such classes; as dataclasses each cost
0.4-1.6 ms to build (``exec`` of generated methods) and importing ``dataclasses``
(which imports ``inspect``) ~8 ms more (issue 5, start-up time).

Supported: defaults, ``field(default=..., default_factory=..., metadata=...)``,
``__post_init__``, inheritance from other records (inherited fields first),
``fields()``, ``replace()``. Not supported: ``ClassVar``/``InitVar`` annotations,
keyword-only fields, per-field ``init``/``repr``/``compare`` flags.

A record's ``__dict__`` holds exactly its fields; ``__init__`` fills it directly.
This module makes classes records and works on them; declaring fields, the
per-class table and the shared ``__init__`` live in :mod:`simplemon.record_fields`
(re-exported here: ``from simplemon.record import field, MISSING`` is plugin API).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

from simplemon.record_fields import MISSING, Field, RecordSpec, field, make_init

T = TypeVar("T")

__all__ = [
    "MISSING",
    "Field",
    "FrozenRecordError",
    "field",
    "fields",
    "is_record",
    "record",
    "replace",
]


class FrozenRecordError(AttributeError):
    """Raised on assignment to (or deletion of) a field of a frozen record."""


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenRecordError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenRecordError(f"cannot delete field {name!r}")


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        values = self.__record__.values
        return values(self) == values(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self.__record__.values(self))


def _repr(self: Any) -> str:
    spec: RecordSpec = self.__record__
    inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in spec.names)
    return f"{type(self).__qualname__}({inner})"


def _own_fields(cls: type) -> list[Field]:
    """Return the fields ``cls`` itself declares; leave plain defaults on the class."""
    result = []
    # Not inspect.get_annotations: importing inspect is what records avoid.
    for name in cls.__dict__.get("__annotations__", {}):  # noqa: RUF063
        value = cls.__dict__.get(name, MISSING)
        if isinstance(value, Field):
            f = value
            if f.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
        else:
            f = Field(default=value)
        f.name = name
        if f.default is not MISSING and type(f.default).__hash__ is None:
            raise ValueError(
                f"mutable default {type(f.default)} for field {name} is not "
                "allowed: use default_factory"
            )
        result.append(f)
    return result


def _all_fields(cls: type, frozen: bool) -> tuple[Field, ...]:
    """Return the inherited fields, then the class's own, checked for order."""
    by_name: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        base_spec = base.__dict__.get("__record__")
        if base_spec is not None:
            if base_spec.frozen != frozen:
                raise TypeError("cannot mix frozen and mutable records")
            by_name.update((f.name, f) for f in base_spec.fields)
    by_name.update((f.name, f) for f in _own_fields(cls))
    seen_default = False
    for f in by_name.values():
        if f.default is not MISSING or f.default_factory is not MISSING:
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
    return tuple(by_name.values())


def _build(cls: type[T], frozen: bool) -> type[T]:
    spec = RecordSpec(cls, _all_fields(cls, frozen), frozen)
    attrs: dict[str, Any] = {
        "__record__": spec,
        "__init__": make_init(spec),
        "__match_args__": spec.names,
    }
    if "__repr__" not in cls.__dict__:
        attrs["__repr__"] = _repr
    if "__eq__" not in cls.__dict__:
        attrs["__eq__"] = _eq
        attrs["__hash__"] = _hash if frozen else None
    if frozen:
        attrs["__setattr__"] = _frozen_setattr
        attrs["__delattr__"] = _frozen_delattr
    for name, value in attrs.items():
        setattr(cls, name, value)
    return cls


@overload
def record(cls: type[T], /) -> type[T]: ...  # pragma: no cover
@overload
def record(
    *, frozen: bool = True
) -> Callable[[type[T]], type[T]]: ...  # pragma: no cover
# simplemon.options.opt is not listed as a field specifier: mypy reads only keyword
# arguments of specifiers, so ``opt(5, help=...)`` would look required to it. Unlisted,
# an ``opt()`` field counts as defaulted, as it did with dataclasses.
@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def record(cls: Any = None, /, *, frozen: bool = True) -> Any:
    """Make ``cls`` a record: ``@record`` (frozen) or ``@record(frozen=False)``."""
    if cls is None:
        return lambda c: _build(c, frozen)
    return _build(cls, frozen)


def fields(obj: Any) -> tuple[Field, ...]:
    """Return the fields of a record class or instance, in declaration order."""
    spec = getattr(obj, "__record__", None)
    if not isinstance(spec, RecordSpec):
        raise TypeError(f"{obj!r} is not a record class or instance")
    return spec.fields


def is_record(obj: Any) -> bool:
    """Whether ``obj`` is a record class or instance."""
    return isinstance(getattr(obj, "__record__", None), RecordSpec)


def replace(obj: T, /, **changes: Any) -> T:
    """Return a copy of the record ``obj`` with ``changes`` applied.

    Runs ``__post_init__`` like a new instance; an unknown field is a TypeError.
    """
    cls = type(obj)
    spec: RecordSpec = cls.__record__  # type: ignore[attr-defined]
    if not changes.keys() <= spec.name_set:
        unknown = next(k for k in changes if k not in spec.name_set)
        raise TypeError(
            f"{cls.__qualname__}.__init__() got an unexpected keyword argument "
            f"{unknown!r}"
        )
    new = object.__new__(cls)
    d = new.__dict__
    current = obj.__dict__
    if len(current) == spec.count:
        d.update(current)
    else:  # a mutable record given other attributes: copy only the fields
        d.update((n, current[n]) for n in spec.names)
    d.update(changes)
    if spec.post_init:
        new.__post_init__()  # type: ignore[attr-defined]
    return new
