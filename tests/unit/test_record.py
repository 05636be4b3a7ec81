"""simplemon.record: the value classes that replace dataclasses (issue 5, start-up)."""

import pytest

from simplemon.model import CheckResult, MonitorState, Status
from simplemon.record import (
    MISSING,
    FrozenRecordError,
    field,
    fields,
    is_record,
    record,
    replace,
)


@record
class Point:
    x: int
    y: int
    label: str = "p"
    tags: list[str] = field(default_factory=list)


@record
class Checked:
    low: int
    high: int = 10

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError("low must not exceed high")


@record(frozen=False)
class Tally:
    name: str
    seen: list[str] = field(default_factory=list)
    count: int = 0


@record
class Base:
    a: int
    b: str = "b"


@record
class Derived(Base):
    c: float = 1.5


def test_positional_and_keyword_arguments_fill_fields_and_defaults():
    assert (Point(1, 2).x, Point(1, 2).y, Point(1, 2).label) == (1, 2, "p")
    p = Point(1, y=2, label="q")
    assert (p.x, p.y, p.label, p.tags) == (1, 2, "q", [])
    assert Point(y=2, x=1, tags=["t"]).tags == ["t"]
    assert Point(1, 2, "r", ["u"]).tags == ["u"]


def test_default_factory_gives_each_instance_its_own_object():
    first, second = Point(1, 2), Point(3, 4)
    assert first.tags == []
    assert first.tags is not second.tags
    # also on the keyword path
    assert Point(x=1, y=2).tags is not Point(x=1, y=2).tags


def test_missing_required_fields_are_named():
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'y'"):
        Point(1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"missing 2 required .*: 'x' and 'y'"):
        Point(label="q")  # type: ignore[call-arg]


def test_unknown_keyword_is_rejected():
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        Point(1, 2, z=3)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        Point(x=1, y=2, z=3)  # type: ignore[call-arg]


def test_too_many_positional_arguments_are_rejected():
    with pytest.raises(TypeError, match=r"takes 5 positional arguments but 6"):
        Point(1, 2, "p", [], "extra")  # type: ignore[call-arg]


def test_a_field_given_positionally_and_by_keyword_is_rejected():
    with pytest.raises(TypeError, match="multiple values for argument 'x'"):
        Point(1, 2, x=3)  # type: ignore[misc]


def test_frozen_record_refuses_assignment_and_deletion():
    p = Point(1, 2)
    with pytest.raises(FrozenRecordError, match="cannot assign to field 'x'"):
        p.x = 5  # type: ignore[misc]
    with pytest.raises(FrozenRecordError, match="cannot assign to field 'other'"):
        p.other = 5  # type: ignore[attr-defined]
    with pytest.raises(FrozenRecordError, match="cannot delete field 'x'"):
        del p.x
    assert isinstance(FrozenRecordError("x"), AttributeError)
    assert p.x == 1


def test_equality_compares_fields_of_the_same_class_only():
    assert Point(1, 2) == Point(1, 2, "p", [])
    assert Point(1, 2) != Point(1, 3)
    assert Point(1, 2, tags=["a"]) != Point(1, 2, tags=["b"])
    assert Base(1) != Derived(1)
    assert Point(1, 2).__eq__((1, 2, "p", [])) is NotImplemented


def test_frozen_records_hash_by_their_fields():
    assert hash(Base(1, "x")) == hash(Base(1, "x"))
    assert len({Base(1, "x"), Base(1, "x"), Base(2, "x")}) == 2
    assert hash(MonitorState()) == hash(MonitorState())


def test_repr_names_the_class_and_every_field():
    assert repr(Point(1, 2)) == "Point(x=1, y=2, label='p', tags=[])"
    assert repr(CheckResult(False, "refused", 0.5)) == (
        "CheckResult(ok=False, message='refused', duration=0.5, details={})"
    )


def test_match_args_follow_declaration_order():
    assert Point.__match_args__ == ("x", "y", "label", "tags")
    match Point(1, 2):
        case Point(x, y):
            assert (x, y) == (1, 2)
        case _:  # pragma: no cover
            pytest.fail("no match")


def test_fields_lists_names_defaults_factories_and_metadata_in_order():
    @record
    class Meta:
        a: int
        b: int = field(default=3, metadata={"option": "spec"})
        c: list[int] = field(default_factory=list)

    a, b, c = fields(Meta)
    assert [f.name for f in (a, b, c)] == ["a", "b", "c"]
    assert a.default is MISSING
    assert a.default_factory is MISSING
    assert b.default == 3
    assert b.metadata["option"] == "spec"
    assert c.default is MISSING
    assert c.default_factory is list
    assert a.metadata == {}
    assert fields(Meta(1)) == fields(Meta)
    # plain defaults stay readable on the class, like dataclasses
    assert Meta.b == 3
    with pytest.raises(TypeError, match="not a record"):
        fields(int)


def test_inherited_fields_come_first():
    assert [f.name for f in fields(Derived)] == ["a", "b", "c"]
    d = Derived(1, "x", 2.5)
    assert (d.a, d.b, d.c) == (1, "x", 2.5)
    assert repr(Derived(1)) == "Derived(a=1, b='b', c=1.5)"


def test_replace_changes_the_given_fields_only():
    p = Point(1, 2, tags=["t"])
    q = replace(p, y=5)
    assert (q.x, q.y, q.label, q.tags) == (1, 5, "p", ["t"])
    assert (p.x, p.y) == (1, 2)
    assert type(q) is Point
    state = replace(MonitorState(), status=Status.OK, checks=3)
    assert state == MonitorState(status=Status.OK, checks=3)


def test_replace_rejects_unknown_fields():
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        replace(Point(1, 2), z=3)


def test_post_init_runs_on_construction_and_replace():
    assert Checked(1).high == 10
    with pytest.raises(ValueError, match="low must not exceed high"):
        Checked(11)
    with pytest.raises(ValueError, match="low must not exceed high"):
        Checked(low=3, high=2)
    with pytest.raises(ValueError, match="low must not exceed high"):
        replace(Checked(1), low=20)


def test_mutable_records_can_be_assigned_and_are_unhashable():
    t = Tally("a")
    t.count += 1
    t.seen.append("x")
    assert t == Tally("a", ["x"], 1)
    assert Tally("b").seen is not Tally("b").seen
    with pytest.raises(TypeError, match="unhashable"):
        hash(t)
    t.note = "extra"  # type: ignore[attr-defined]
    assert replace(t, name="c") == Tally("c", ["x"], 1)
    assert not hasattr(replace(t, name="c"), "note")


def test_declaration_errors_are_reported_when_the_class_is_built():
    with pytest.raises(TypeError, match="non-default argument 'b' follows default"):

        @record
        class _Order:
            a: int = 1
            b: int  # type: ignore[misc]

    with pytest.raises(ValueError, match="mutable default"):

        @record
        class _Shared:
            items: list[int] = []  # noqa: RUF012

    with pytest.raises(ValueError, match="both default and default_factory"):
        field(default=1, default_factory=list)  # type: ignore[call-overload]


def test_is_record_tells_records_from_other_classes():
    assert is_record(Point)
    assert is_record(Point(1, 2))
    assert not is_record(int)
    assert not is_record(object())
