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
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar, dataclass_transform, overload

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


class _Missing:
    """The type of :data:`MISSING`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


#: "No default": a field whose default is MISSING (and no factory) is required.
MISSING: Any = _Missing()

_EMPTY: Mapping[Any, Any] = MappingProxyType({})


class FrozenRecordError(AttributeError):
    """Raised on assignment to (or deletion of) a field of a frozen record."""


class Field:
    """One declared field: its name, default or default factory, and metadata."""

    __slots__ = ("default", "default_factory", "metadata", "name")

    def __init__(
        self,
        default: Any = MISSING,
        default_factory: Any = MISSING,
        metadata: Mapping[Any, Any] | None = None,
    ) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""  # set by @record
        self.default = default
        self.default_factory = default_factory
        self.metadata = _EMPTY if not metadata else MappingProxyType(dict(metadata))

    def __repr__(self) -> str:
        return (
            f"Field(name={self.name!r}, default={self.default!r}, "
            f"default_factory={self.default_factory!r}, metadata={self.metadata!r})"
        )


@overload
def field(
    *, default: T, metadata: Mapping[Any, Any] | None = None
) -> T: ...  # pragma: no cover
@overload
def field(
    *, default_factory: Callable[[], T], metadata: Mapping[Any, Any] | None = None
) -> T: ...  # pragma: no cover
@overload
def field(*, metadata: Mapping[Any, Any] | None = None) -> Any: ...  # pragma: no cover
def field(
    *,
    default: Any = MISSING,
    default_factory: Any = MISSING,
    metadata: Mapping[Any, Any] | None = None,
) -> Any:
    """Declare a field with a default, a default factory, or metadata."""
    return Field(default, default_factory, metadata)


class _Spec:
    """A record class's field table, read by the shared methods."""

    __slots__ = (
        "count",
        "defaults",
        "factories",
        "fields",
        "frozen",
        "name_set",
        "names",
        "post_init",
        "required",
        "tails",
        "values",
    )

    def __init__(self, cls: type, fields: tuple[Field, ...], frozen: bool) -> None:
        names = tuple(f.name for f in fields)
        self.fields = fields
        self.names = names
        self.name_set = frozenset(names)
        self.count = len(names)
        self.frozen = frozen
        # Plain defaults, in declaration order: __init__ starts from a copy.
        self.defaults = {f.name: f.default for f in fields if f.default is not MISSING}
        self.factories = tuple(
            (f.name, f.default_factory)
            for f in fields
            if f.default_factory is not MISSING
        )
        # Required fields come first (checked by @record): a positional call of at
        # least this many arguments and no keywords sets every required field.
        self.required = sum(
            1 for f in fields if f.default is MISSING and f.default_factory is MISSING
        )
        # Per number of positional arguments: the defaults and factories of the
        # fields after them.
        self.tails = tuple(
            (
                {f.name: f.default for f in fields[i:] if f.default is not MISSING},
                tuple(
                    (f.name, f.default_factory)
                    for f in fields[i:]
                    if f.default_factory is not MISSING
                ),
            )
            for i in range(len(fields) + 1)
        )
        self.post_init = hasattr(cls, "__post_init__")
        # The field values as a tuple (for __eq__, __hash__, fields order).
        self.values: Callable[[Any], tuple[Any, ...]]
        if len(names) > 1:
            self.values = operator.attrgetter(*names)
        elif names:
            getter = operator.attrgetter(names[0])
            self.values = lambda obj: (getter(obj),)
        else:
            self.values = lambda obj: ()


def _make_init(spec: _Spec) -> Callable[..., None]:  # noqa: C901
    """Return the ``__init__`` of one record class.

    The same code for every record (nothing is compiled per class): the closure only
    holds the class's field table, read faster from cells than from attributes.
    Positional-only calls (the usual ``CheckResult(False, message, duration)``) take
    a short path; anything else is checked like a Python signature would be.
    """
    names = spec.names
    name_set = spec.name_set
    count = spec.count
    required = spec.required
    defaults = spec.defaults
    factories = spec.factories
    tails = spec.tails
    post_init = spec.post_init

    # One function, no helper calls on the usual paths: this runs 1,000s of times
    # per round (MonitorState, MonitorSnapshot, CheckResult).
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: C901, PLR0912
        d = self.__dict__
        if not kwargs and required <= len(args) <= count:
            if args:
                d.update(zip(names, args, strict=False))
            tail_defaults, tail_factories = tails[len(args)]
            if tail_defaults:
                d.update(tail_defaults)
            for name, factory in tail_factories:
                d[name] = factory()
        else:
            d.update(defaults)
            if args:
                if len(args) > count:
                    _too_many(self, spec, args)
                d.update(zip(names, args, strict=False))
            if kwargs:
                if not kwargs.keys() <= name_set or (
                    args and not kwargs.keys().isdisjoint(names[: len(args)])
                ):
                    _bad_keywords(self, spec, args, kwargs)
                d.update(kwargs)
            if len(d) != count:
                for name, factory in factories:
                    if name not in d:
                        d[name] = factory()
                if len(d) != count:
                    _missing(self, spec, d)
        if post_init:
            self.__post_init__()

    return __init__


def _too_many(self: Any, spec: _Spec, args: tuple[Any, ...]) -> None:
    raise TypeError(
        f"{type(self).__qualname__}.__init__() takes {spec.count + 1} "
        f"positional arguments but {len(args) + 1} were given"
    )


def _bad_keywords(
    self: Any, spec: _Spec, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    for name in kwargs:
        if name not in spec.name_set:
            raise TypeError(
                f"{type(self).__qualname__}.__init__() got an unexpected "
                f"keyword argument {name!r}"
            )
    for name in spec.names[: len(args)]:
        if name in kwargs:
            raise TypeError(
                f"{type(self).__qualname__}.__init__() got multiple "
                f"values for argument {name!r}"
            )


def _missing(self: Any, spec: _Spec, d: dict[str, Any]) -> None:
    missing = [n for n in spec.names if n not in d]
    listed = " and ".join(
        [", ".join(repr(n) for n in missing[:-1]), repr(missing[-1])]
        if len(missing) > 1
        else [repr(missing[0])]
    )
    s = "s" if len(missing) > 1 else ""
    raise TypeError(
        f"{type(self).__qualname__}.__init__() missing {len(missing)} required "
        f"positional argument{s}: {listed}"
    )


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
    spec: _Spec = self.__record__
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
    spec = _Spec(cls, _all_fields(cls, frozen), frozen)
    attrs: dict[str, Any] = {
        "__record__": spec,
        "__init__": _make_init(spec),
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
    if not isinstance(spec, _Spec):
        raise TypeError(f"{obj!r} is not a record class or instance")
    return spec.fields


def is_record(obj: Any) -> bool:
    """Whether ``obj`` is a record class or instance."""
    return isinstance(getattr(obj, "__record__", None), _Spec)


def replace(obj: T, /, **changes: Any) -> T:
    """Return a copy of the record ``obj`` with ``changes`` applied.

    Runs ``__post_init__`` like a new instance; an unknown field is a TypeError.
    """
    cls = type(obj)
    spec: _Spec = cls.__record__  # type: ignore[attr-defined]
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
