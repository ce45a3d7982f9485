"""cty types and their msgpack codec: property round trips over random types and values, known
answers in the bytes Go's cty writes, and `values_equal`'s rules."""

from __future__ import annotations

import json
from decimal import Decimal, localcontext
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftdeck.core.cty import (
    BOOL,
    DYNAMIC,
    NUMBER,
    STRING,
    CtyError,
    CtyType,
    canonical,
    decode,
    encode,
    list_of,
    map_of,
    object_of,
    parse_type,
    set_of,
    tuple_of,
    values_equal,
)
from driftdeck.core.unknown import UNKNOWN, contains_unknown

PROPERTY = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- strategies -------------------------------------------------------------------------------

_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)  # any encodable str
_NAMES = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=6)


def _object_types(inner: st.SearchStrategy[CtyType]) -> st.SearchStrategy[CtyType]:
    def with_optional(attrs: dict[str, CtyType]) -> st.SearchStrategy[CtyType]:
        names = sorted(attrs)
        optional = st.frozensets(st.sampled_from(names)) if names else st.just(frozenset[str]())
        return optional.map(lambda opt: object_of(attrs, opt))

    return st.dictionaries(_NAMES, inner, max_size=4).flatmap(with_optional)


def cty_types() -> st.SearchStrategy[CtyType]:
    """Any cty type, a few levels deep."""
    primitives = st.sampled_from([STRING, NUMBER, BOOL, DYNAMIC])
    return st.recursive(
        primitives,
        lambda inner: st.one_of(
            inner.map(list_of),
            inner.map(set_of),
            inner.map(map_of),
            _object_types(inner),
            st.lists(inner, max_size=3).map(tuple_of),
        ),
        max_leaves=8,
    )


_INT64 = 2**63
_numbers = st.one_of(
    st.integers(-(2**31), 2**31),
    st.integers(min_value=_INT64).map(lambda n: n * 10**30),  # beyond int64 and a float's precision
    st.integers(max_value=-_INT64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
    # Decimals with many digits (and a few with few), exponent either side.
    st.builds(lambda sign, digits, exp: Decimal(f"{sign}{digits}E{exp}"),
              st.sampled_from(["", "-"]), st.integers(1, 10**45), st.integers(-45, 20)),
)


def values_of(ty: CtyType) -> st.SearchStrategy[Any]:
    """Values of `ty`, with null and unknown possible at every level."""
    concrete: st.SearchStrategy[Any]
    if ty.kind == "string":
        concrete = _TEXT
    elif ty.kind == "number":
        concrete = _numbers
    elif ty.kind == "bool":
        concrete = st.booleans()
    elif ty.kind == "dynamic":
        # Any value of any type: it comes back typed as cty infers it.
        concrete = cty_types().filter(lambda t: t.kind != "dynamic").flatmap(values_of)
    elif ty.kind in ("list", "set"):
        assert ty.element is not None
        concrete = st.lists(values_of(ty.element), max_size=3)
    elif ty.kind == "map":
        assert ty.element is not None
        concrete = st.dictionaries(_TEXT, values_of(ty.element), max_size=3)
    elif ty.kind == "object":
        # Attributes left out are null on the wire and come back as None.
        concrete = st.fixed_dictionaries({}, optional={name: values_of(t) for name, t in ty.attributes})
    else:
        concrete = st.tuples(*(values_of(t) for t in ty.elements)).map(list)
    return st.one_of(concrete, concrete, concrete, st.sampled_from([None, UNKNOWN]))


typed_values = cty_types().flatmap(lambda t: st.tuples(st.just(t), values_of(t)))


# --- properties -------------------------------------------------------------------------------


@PROPERTY
@given(typed_values)
def test_encode_decode_round_trip(case: tuple[CtyType, Any]) -> None:
    """decode(encode(v)) is v again: equal under `values_equal` and in `canonical` form. (An
    unknown equals nothing by design, so values holding one are held to `canonical` alone.)"""
    ty, value = case
    back = decode(encode(value, ty), ty)
    assert canonical(back, ty) == canonical(value, ty)
    if not contains_unknown(value):
        assert values_equal(back, value, ty)
        assert values_equal(value, back, ty)
    # What decode produced is stable: a second trip changes nothing at all.
    assert encode(back, ty) == encode(decode(encode(back, ty), ty), ty)


@PROPERTY
@given(cty_types())
def test_type_json_round_trip(ty: CtyType) -> None:
    """A type survives its JSON notation (as schemas and dynamic values carry it)."""
    assert parse_type(json.dumps(ty.to_json())) == ty
    assert parse_type(json.dumps(ty.to_json()).encode()) == ty


@PROPERTY
@given(_numbers)
def test_number_round_trip(number: int | float | Decimal) -> None:
    """Every number comes back with the same value, digit for digit (cty numbers are
    arbitrary-precision)."""
    back = decode(encode(number, NUMBER), NUMBER)
    assert Decimal(repr(back) if isinstance(back, float) else back) == Decimal(
        repr(number) if isinstance(number, float) else number)
    assert values_equal(back, number, NUMBER)


@PROPERTY
@given(st.one_of(st.integers(10**27, 10**60), _numbers.filter(lambda n: isinstance(n, Decimal))),
       st.integers(1, 1000), st.integers(-50, 0))
def test_canonical_tells_close_numbers_apart(number: int | Decimal, delta: int, exp: int) -> None:
    """Distinct numbers never share a canonical form, however many digits they share (sets
    compare through canonical forms)."""
    with localcontext(prec=500):  # exact arithmetic for the test's own sum
        other = number + Decimal(delta).scaleb(exp) if isinstance(number, Decimal) else number + delta
    assert other != number
    assert canonical(number, NUMBER) != canonical(other, NUMBER)
    assert not values_equal([number], [other], set_of(NUMBER))


# --- known answers: the bytes Go's cty writes --------------------------------------------------

PI_TEXT = "3.14159265358979323846264338327950288"


def test_unknown_known_answer() -> None:
    """cty's unknown value is msgpack fixext1, type 0, one zero byte, whatever the type."""
    for ty in (STRING, NUMBER, list_of(STRING), object_of({"a": STRING}), DYNAMIC):
        assert decode(b"\xd4\x00\x00", ty) is UNKNOWN
        assert encode(UNKNOWN, ty) == b"\xd4\x00\x00"


def test_refined_unknown_known_answer() -> None:
    """An unknown with refinements (ext 12, e.g. "not null" as {1: true}) is still unknown."""
    refined = b"\xc7\x03\x0c\x81\x01\xc3"
    assert msgpack.unpackb(refined, ext_hook=lambda code, data: (code, data)) == (12, b"\x81\x01\xc3")
    assert decode(refined, STRING) is UNKNOWN
    assert decode(b"\x82\xa1a" + refined + b"\xa1b\x01", object_of({"a": STRING, "b": NUMBER})) == {
        "a": UNKNOWN, "b": 1,
    }


def test_other_extensions_are_rejected() -> None:
    with pytest.raises(CtyError, match="extension 5"):
        decode(b"\xd4\x05\x00", STRING)


def test_number_as_decimal_string_known_answer() -> None:
    """A number more precise than a float arrives as its decimal text and keeps every digit, both
    ways."""
    wire = msgpack.packb(PI_TEXT)
    value = decode(wire, NUMBER)
    assert value == Decimal(PI_TEXT)
    assert encode(value, NUMBER) == wire
    assert canonical(value, NUMBER) == json.dumps({"$n": PI_TEXT}, separators=(",", ":"))
    assert not values_equal(value, Decimal(PI_TEXT[:-1]), NUMBER)
    assert not values_equal([value], [Decimal(PI_TEXT[:-1] + "9")], set_of(NUMBER))


def test_numbers_in_every_wire_form() -> None:
    """Integers, floats and decimal strings all decode; integral values come back as int."""
    assert decode(b"\x2a", NUMBER) == 42
    assert decode(b"\xcb\x40\x09\x21\xf9\xf0\x1b\x86\x6e", NUMBER) == 3.14159
    assert decode(b"\xcb\x40\x45\x00\x00\x00\x00\x00\x00", NUMBER) == 42 and isinstance(
        decode(b"\xcb\x40\x45\x00\x00\x00\x00\x00\x00", NUMBER), int)
    big = 2**64 + 1
    assert decode(msgpack.packb(str(big)), NUMBER) == big
    assert encode(big, NUMBER) == msgpack.packb(str(big))
    assert encode(2**63 - 1, NUMBER) == msgpack.packb(2**63 - 1)
    assert decode(msgpack.packb("1e3"), NUMBER) == 1000


def test_dynamic_value_known_answer() -> None:
    """A dynamic value is [its type as JSON bytes, the value]."""
    assert decode(b"\x92\xc4\x08\"string\"\xa2hi", DYNAMIC) == "hi"
    type_json = b'["object",{"a":"number","b":["list","bool"]}]'
    wire = b"\x92\xc4" + bytes([len(type_json)]) + type_json + b"\x82\xa1a\x07\xa1b\x91\xc3"
    assert decode(wire, DYNAMIC) == {"a": 7, "b": [True]}
    assert encode("hi", DYNAMIC) == b"\x92\xc4\x08\"string\"\xa2hi"
    assert encode(None, DYNAMIC) == b"\xc0"


def test_object_known_answer() -> None:
    """An object is a map of *every* attribute, in name order, null where unset."""
    ty = object_of({"b": STRING, "a": NUMBER})
    wire = b"\x82\xa1a\x01\xa1b\xc0"
    assert decode(wire, ty) == {"a": 1, "b": None}
    assert encode({"a": 1}, ty) == wire
    with pytest.raises(CtyError, match="unsupported attribute 'c'"):
        encode({"a": 1, "c": 2}, ty)


def test_map_known_answer() -> None:
    ty = map_of(STRING)
    wire = b"\x82\xa1x\xa11\xa1y\xa12"
    assert decode(wire, ty) == {"x": "1", "y": "2"}
    assert encode({"y": "2", "x": "1"}, ty) == wire


def test_list_set_and_tuple_known_answers() -> None:
    assert decode(b"\x92\xa1a\xa1b", list_of(STRING)) == ["a", "b"]
    assert decode(b"\x90", set_of(NUMBER)) == []
    assert decode(b"\x92\xa1a\x02", tuple_of([STRING, NUMBER])) == ["a", 2]
    assert encode([], list_of(STRING)) == b"\x90"
    with pytest.raises(CtyError):
        decode(b"\x91\xa1a", tuple_of([STRING, NUMBER]))


# --- values_equal -----------------------------------------------------------------------------


def test_values_equal_rules() -> None:
    """null is not an empty collection, sets ignore order, numbers compare by value, strings do not
    equal numbers, an unknown equals nothing."""
    assert not values_equal(None, [], list_of(STRING))
    assert not values_equal([], None, set_of(STRING))
    assert not values_equal(None, {}, map_of(STRING))
    assert values_equal(["a", "b"], ["b", "a"], set_of(STRING))
    assert not values_equal(["a", "b"], ["b", "a"], list_of(STRING))
    assert values_equal(1, 1.0, NUMBER)
    assert values_equal(Decimal("1.50"), 1.5, NUMBER)
    assert not values_equal("1", 1, STRING)
    assert values_equal({"a": None}, {}, object_of({"a": STRING}))
    assert not values_equal(UNKNOWN, UNKNOWN, STRING)
    assert values_equal([{"n": 1}], [{"n": 1.0}], set_of(object_of({"n": NUMBER})))
    assert not values_equal(10**40, 10**40 + 1, NUMBER)
    assert not values_equal([10**40], [10**40 + 1], set_of(NUMBER))
