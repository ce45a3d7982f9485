"""Terraform's value types (cty) and their msgpack wire form, as providers exchange them.

Values cross the plugin protocol as msgpack documents whose shape only the schema explains: an
object is a map holding *every* attribute (null where unset), a number may arrive as an integer,
a float or a decimal string, a value of the dynamic pseudo-type carries its own type as JSON, and
an unknown value is a msgpack extension. This module turns schema types into `CtyType` objects
and converts between Python values and that wire form, driven by the type.

Python side: null is `None`, an unknown value is `UNKNOWN`, strings `str`, numbers `int` (when
integral) or `float` / `Decimal` (when a float would lose digits), bools `bool`, lists, sets and
tuples `list`, maps and objects `dict`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation
from typing import Any

import msgpack

from driftdeck.core.unknown import UNKNOWN

# cty writes an unknown value as extension type 0 (one zero byte); newer versions write
# extension 12 for an unknown value with refinements (e.g. "not null"). Both mean unknown.
_UNKNOWN_EXT = 0
_REFINED_UNKNOWN_EXT = 12


class CtyError(ValueError):
    """A value or type that does not fit the schema (a provider or driftdeck bug, never input)."""




@dataclass(frozen=True)
class CtyType:
    """One cty type. `kind` is string, number, bool, dynamic, list, set, map, object or tuple."""

    kind: str
    element: CtyType | None = None  # list, set, map
    attributes: tuple[tuple[str, CtyType], ...] = ()  # object, sorted by name
    elements: tuple[CtyType, ...] = ()  # tuple
    optional: frozenset[str] = frozenset()  # object attributes declared optional (type constraints)

    @property
    def is_collection(self) -> bool:
        return self.kind in ("list", "set", "map")

    def attribute_types(self) -> dict[str, CtyType]:
        return dict(self.attributes)

    def to_json(self) -> Any:
        """The type in cty's JSON notation (what the schema and dynamic values carry)."""
        if self.kind in _PRIMITIVES:
            return self.kind
        if self.is_collection:
            assert self.element is not None
            return [self.kind, self.element.to_json()]
        if self.kind == "object":
            body: list[Any] = ["object", {name: t.to_json() for name, t in self.attributes}]
            if self.optional:
                body.append(sorted(self.optional))
            return body
        return ["tuple", [t.to_json() for t in self.elements]]


_PRIMITIVES = frozenset({"string", "number", "bool", "dynamic"})

STRING = CtyType("string")
NUMBER = CtyType("number")
BOOL = CtyType("bool")
DYNAMIC = CtyType("dynamic")


def list_of(element: CtyType) -> CtyType:
    return CtyType("list", element=element)


def set_of(element: CtyType) -> CtyType:
    return CtyType("set", element=element)


def map_of(element: CtyType) -> CtyType:
    return CtyType("map", element=element)


def object_of(attributes: dict[str, CtyType], optional: frozenset[str] = frozenset()) -> CtyType:
    return CtyType("object", attributes=tuple(sorted(attributes.items())), optional=optional)


def tuple_of(elements: list[CtyType]) -> CtyType:
    return CtyType("tuple", elements=tuple(elements))


def parse_type(spec: bytes | str) -> CtyType:
    """A type from its JSON text (`"string"`, `["list","string"]`, `["object",{...}]`...)."""
    if isinstance(spec, (bytes, str)):
        try:
            spec = json.loads(spec)
        except ValueError as exc:
            raise CtyError(f"type is not JSON: {exc}") from None
    return type_from_json(spec)


def type_from_json(spec: Any) -> CtyType:
    """A type from its already-parsed JSON notation."""
    if isinstance(spec, str):
        if spec in _PRIMITIVES:
            return CtyType(spec)
        raise CtyError(f"unknown primitive type {spec!r}")
    if isinstance(spec, list) and spec and isinstance(spec[0], str):
        kind = spec[0]
        if kind in ("list", "set", "map") and len(spec) == 2:
            return CtyType(kind, element=type_from_json(spec[1]))
        if kind == "object" and len(spec) in (2, 3) and isinstance(spec[1], dict):
            optional = frozenset(spec[2]) if len(spec) == 3 and isinstance(spec[2], list) else frozenset()
            return object_of({str(k): type_from_json(v) for k, v in spec[1].items()}, optional)
        if kind == "tuple" and len(spec) == 2 and isinstance(spec[1], list):
            return tuple_of([type_from_json(t) for t in spec[1]])
    raise CtyError(f"malformed type {str(spec)[:80]}")


def infer_type(value: Any) -> CtyType:
    """The type cty would give a plain value (for the dynamic pseudo-type)."""
    if value is None or value is UNKNOWN:
        return DYNAMIC
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, float, Decimal)):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if isinstance(value, (list, tuple)):
        return tuple_of([infer_type(v) for v in value])
    if isinstance(value, dict):
        return object_of({str(k): infer_type(v) for k, v in value.items()})
    raise CtyError(f"no cty type for a {type(value).__name__}")


# --- encoding ---------------------------------------------------------------------------------


def encode(value: Any, ty: CtyType) -> bytes:
    """`value` in cty's msgpack form for type `ty`."""
    packer = msgpack.Packer(use_bin_type=True)
    return packer.pack(_to_wire(value, ty, ""))


def _to_wire(value: Any, ty: CtyType, path: str) -> Any:
    if value is UNKNOWN:
        return msgpack.ExtType(_UNKNOWN_EXT, b"\x00")
    if value is None:
        return None
    kind = ty.kind
    if kind == "dynamic":
        actual = infer_type(value)
        return [json.dumps(actual.to_json(), separators=(",", ":")).encode(), _to_wire(value, actual, path)]
    if kind == "string":
        # Terraform converts primitives to string where the schema asks for one (true -> "true").
        if isinstance(value, bool):
            return "true" if value else "false"
        if not isinstance(value, (str, int, float, Decimal)):
            raise CtyError(f"{path or 'value'}: expected a string, got {type(value).__name__}")
        return value if isinstance(value, str) else _number_text(value)
    if kind == "number":
        return _number_to_wire(value, path)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise CtyError(f"{path or 'value'}: expected a bool, got {type(value).__name__}")
    if kind in ("list", "set"):
        assert ty.element is not None
        if not isinstance(value, (list, tuple, set, frozenset)):
            raise CtyError(f"{path or 'value'}: expected a {kind}, got {type(value).__name__}")
        return [_to_wire(v, ty.element, f"{path}[{i}]") for i, v in enumerate(value)]
    if kind == "map":
        assert ty.element is not None
        if not isinstance(value, dict):
            raise CtyError(f"{path or 'value'}: expected a map, got {type(value).__name__}")
        return {str(k): _to_wire(value[k], ty.element, f"{path}.{k}") for k in sorted(value, key=str)}
    if kind == "object":
        if not isinstance(value, dict):
            raise CtyError(f"{path or 'value'}: expected an object, got {type(value).__name__}")
        extra = set(value) - {name for name, _ in ty.attributes}
        if extra:
            raise CtyError(f"{path or 'value'}: unsupported attribute {sorted(extra)[0]!r}")
        return {name: _to_wire(value.get(name), t, f"{path}.{name}" if path else name) for name, t in ty.attributes}
    if kind == "tuple":
        if not isinstance(value, (list, tuple)) or len(value) != len(ty.elements):
            raise CtyError(f"{path or 'value'}: expected a tuple of {len(ty.elements)}")
        return [_to_wire(v, t, f"{path}[{i}]") for i, (v, t) in enumerate(zip(value, ty.elements, strict=True))]
    raise CtyError(f"unknown type kind {kind!r}")


def _number_to_wire(value: Any, path: str) -> Any:
    if isinstance(value, bool):
        raise CtyError(f"{path or 'value'}: expected a number, got a bool")
    if isinstance(value, str):
        value = _parse_number(value, path)
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CtyError(f"{path or 'value'}: a number must be finite")
        # A float stands for its shortest decimal text (what JSON held, and what values_equal
        # compares): 5.403193841521135e16 is 54031938415211350, not its binary 54031938415211352.
        return value if not value.is_integer() else _number_to_wire(Decimal(repr(value)), path)
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return _number_to_wire(int(value), path)
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else _number_text(value)
    raise CtyError(f"{path or 'value'}: expected a number, got {type(value).__name__}")


def _number_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(_normalized(value), "f")
    return str(value)


def _normalized(value: Decimal) -> Decimal:
    # normalize() rounds to the context's precision (28 digits by default): allow every digit.
    return value.normalize(Context(prec=max(1, len(value.as_tuple().digits))))


def _parse_number(text: str, path: str) -> int | float | Decimal:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CtyError(f"{path or 'value'}: {text[:40]!r} is not a number") from None
    if not number.is_finite():
        raise CtyError(f"{path or 'value'}: a number must be finite")
    if number == number.to_integral_value():
        return int(number)
    as_float = float(number)
    return as_float if Decimal(repr(as_float)) == number else number


# --- decoding ---------------------------------------------------------------------------------


def decode(data: bytes, ty: CtyType) -> Any:
    """A msgpack document of type `ty` as a Python value (CtyError when it does not fit)."""
    try:
        raw = msgpack.unpackb(data, raw=False, strict_map_key=False, ext_hook=_ext_hook)
    except (ValueError, msgpack.UnpackException) as exc:
        raise CtyError(f"not a msgpack value: {exc}") from None
    return _from_wire(raw, ty, "")


def _ext_hook(code: int, data: bytes) -> Any:
    if code in (_UNKNOWN_EXT, _REFINED_UNKNOWN_EXT):
        return UNKNOWN
    raise CtyError(f"unexpected msgpack extension {code}")


def _from_wire(raw: Any, ty: CtyType, path: str) -> Any:
    if raw is UNKNOWN or raw is None:
        return raw
    kind = ty.kind
    where = path or "value"
    if kind == "dynamic":
        if not isinstance(raw, list) or len(raw) != 2 or not isinstance(raw[0], (bytes, str)):
            raise CtyError(f"{where}: a dynamic value must be [type, value]")
        return _from_wire(raw[1], parse_type(raw[0]), path)
    if kind == "string":
        if isinstance(raw, bytes):
            return raw.decode("utf-8", errors="replace")
        if not isinstance(raw, str):
            raise CtyError(f"{where}: expected a string")
        return raw
    if kind == "number":
        if isinstance(raw, bool):
            raise CtyError(f"{where}: expected a number")
        if isinstance(raw, int):
            return raw
        if isinstance(raw, float):
            return int(raw) if raw.is_integer() and abs(raw) < 2**63 else raw
        if isinstance(raw, str):
            return _parse_number(raw, path)
        raise CtyError(f"{where}: expected a number")
    if kind == "bool":
        if not isinstance(raw, bool):
            raise CtyError(f"{where}: expected a bool")
        return raw
    if kind in ("list", "set"):
        assert ty.element is not None
        if not isinstance(raw, list):
            raise CtyError(f"{where}: expected a {kind}")
        return [_from_wire(v, ty.element, f"{path}[{i}]") for i, v in enumerate(raw)]
    if kind == "map":
        assert ty.element is not None
        if not isinstance(raw, dict):
            raise CtyError(f"{where}: expected a map")
        return {str(k): _from_wire(v, ty.element, f"{path}.{k}") for k, v in raw.items()}
    if kind == "object":
        if not isinstance(raw, dict):
            raise CtyError(f"{where}: expected an object")
        return {name: _from_wire(raw.get(name), t, f"{path}.{name}" if path else name) for name, t in ty.attributes}
    if kind == "tuple":
        if not isinstance(raw, list) or len(raw) != len(ty.elements):
            raise CtyError(f"{where}: expected a tuple of {len(ty.elements)}")
        return [_from_wire(v, t, f"{path}[{i}]") for i, (v, t) in enumerate(zip(raw, ty.elements, strict=True))]
    raise CtyError(f"unknown type kind {kind!r}")


# --- equality ---------------------------------------------------------------------------------


def values_equal(a: Any, b: Any, ty: CtyType) -> bool:
    """cty's `Equals` for known values: null equals only null, sets ignore order, numbers compare
    by value. (An unknown value equals nothing, as a refresh never returns one.)"""
    if a is UNKNOWN or b is UNKNOWN:
        return False
    if a is None or b is None:
        return a is None and b is None
    kind = ty.kind
    if kind == "dynamic":
        return values_equal(a, b, infer_type(a)) if infer_type(a) == infer_type(b) else _plain_equal(a, b)
    if kind in ("string", "bool"):
        return bool(a == b)
    if kind == "number":
        return _as_decimal(a) == _as_decimal(b)
    if kind == "list":
        assert ty.element is not None
        return len(a) == len(b) and all(values_equal(x, y, ty.element) for x, y in zip(a, b, strict=True))
    if kind == "set":
        assert ty.element is not None
        return _set_equal(a, b, ty.element)
    if kind == "map":
        assert ty.element is not None
        return set(a) == set(b) and all(values_equal(a[k], b[k], ty.element) for k in a)
    if kind == "object":
        return all(values_equal(a.get(name), b.get(name), t) for name, t in ty.attributes)
    if kind == "tuple":
        return len(a) == len(b) and all(values_equal(x, y, t) for x, y, t in zip(a, b, ty.elements, strict=True))
    return bool(a == b)


def _set_equal(a: list[Any], b: list[Any], element: CtyType) -> bool:
    # cty sets hold distinct values; compare as sets of canonical forms.
    return {canonical(x, element) for x in a} == {canonical(y, element) for y in b}


def canonical(value: Any, ty: CtyType) -> str:
    """A string equal for equal values of type `ty` (sets sorted, numbers normalised)."""
    return json.dumps(_canonical(value, ty), sort_keys=True, separators=(",", ":"))


def _canonical(value: Any, ty: CtyType) -> Any:
    if value is None:
        return None
    if value is UNKNOWN:
        return {"$unknown": True}
    kind = ty.kind
    if kind == "dynamic":
        return _canonical(value, infer_type(value))
    if kind == "number":
        return {"$n": format(_normalized(_as_decimal(value)), "f")}
    if kind in ("string", "bool"):
        return value
    if kind == "list":
        assert ty.element is not None
        return [_canonical(v, ty.element) for v in value]
    if kind == "set":
        assert ty.element is not None
        element = ty.element
        return sorted((_canonical(v, element) for v in value), key=lambda c: json.dumps(c, sort_keys=True))
    if kind == "map":
        assert ty.element is not None
        element = ty.element
        return {k: _canonical(v, element) for k, v in value.items()}
    if kind == "object":
        return {name: _canonical(value.get(name), t) for name, t in ty.attributes}
    return [_canonical(v, t) for v, t in zip(value, ty.elements, strict=True)]


def _as_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _plain_equal(a: Any, b: Any) -> bool:
    return bool(a == b)
