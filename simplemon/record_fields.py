"""A record's fields: declared by ``field()``, tabled per class, set by ``__init__``.

Kept apart from :mod:`simplemon.record` (the ``@record`` decorator and the functions
on records) so that each stays small. :class:`RecordSpec` is the per-class table the
shared methods read; :func:`make_init` returns the one ``__init__`` every record
uses, which compiles nothing per class (why records exist: issue 5, start-up time).
Plugins import ``field`` and ``MISSING`` from :mod:`simplemon.record`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar, overload

T = TypeVar("T")


class _Missing:
    """The type of :data:`MISSING`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


#: "No default": a field whose default is MISSING (and no factory) is required.
MISSING: Any = _Missing()

_EMPTY: Mapping[Any, Any] = MappingProxyType({})


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


class RecordSpec:
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


def make_init(spec: RecordSpec) -> Callable[..., None]:  # noqa: C901
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


def _too_many(self: Any, spec: RecordSpec, args: tuple[Any, ...]) -> None:
    raise TypeError(
        f"{type(self).__qualname__}.__init__() takes {spec.count + 1} "
        f"positional arguments but {len(args) + 1} were given"
    )


def _bad_keywords(
    self: Any, spec: RecordSpec, args: tuple[Any, ...], kwargs: dict[str, Any]
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


def _missing(self: Any, spec: RecordSpec, d: dict[str, Any]) -> None:
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
