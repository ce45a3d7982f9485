"""Attribute comparison: expected (state) vs actual (live), with Terraform-style paths.

Two modes, one module. `compare_attributes` serves the native collectors, which read only some
attributes in their own shapes: empty values (null, "", [], {}) are equal, JSON documents are
compared semantically, Terraform sets ignore order; per-type quirks belong in the collector.
`compare_typed` serves provider reads, where both sides are values of the same schema type: it
judges exactly as Terraform's refresh does (`terraform plan -refresh-only`), nothing normalised.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from deepdiff import DeepDiff

from driftdeck.core.model import ChangeKind, Difference
from driftdeck.core.policy import normalize_policy
from driftdeck.core.provider.cty import CtyType, canonical, values_equal
from driftdeck.core.unknown import UNKNOWN


def compare_attributes(
    expected: dict[str, Any],
    actual: dict[str, Any],
    *,
    json_attributes: Iterable[str] = (),
    set_attributes: Iterable[str] = (),
    sensitive_paths: Iterable[str] = (),
) -> list[Difference]:
    """Differences for every attribute present on both sides.

    An attribute absent from `actual` was not read live: it is not checked, never drift.
    """
    json_attrs = frozenset(json_attributes)
    sets = frozenset(set_attributes)
    sensitive = tuple(sensitive_paths)
    diffs: list[Difference] = []
    for name in sorted(expected):
        if name not in actual:
            continue
        if name in json_attrs:
            diffs.extend(_compare_json(name, expected[name], actual[name]))
        else:
            _walk(name, name, expected[name], actual[name], sets, diffs)
    if sensitive:
        diffs = [
            Difference(d.path, d.expected, d.actual, d.change, d.side, True)
            if any(_within(d.path, s) for s in sensitive)
            else d
            for d in diffs
        ]
    return diffs


def _within(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _compare_json(path: str, expected: Any, actual: Any) -> list[Difference]:
    exp_doc, act_doc = _parse_json(expected), _parse_json(actual)
    if is_empty(exp_doc) and is_empty(act_doc):
        return []
    if normalize_policy(exp_doc) == normalize_policy(act_doc):
        return []
    change = ChangeKind.ADDED if is_empty(exp_doc) else ChangeKind.REMOVED if is_empty(act_doc) else ChangeKind.UPDATED
    return [Difference(path, exp_doc, act_doc, change)]


def _parse_json(value: Any) -> Any:
    if isinstance(value, str) and value.strip():
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _walk(path: str, pattern: str, expected: Any, actual: Any, sets: frozenset[str], out: list[Difference]) -> None:
    if is_empty(expected) and is_empty(actual):
        return
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual), key=str):
            _walk(f"{path}.{key}", f"{pattern}.{key}", expected.get(key), actual.get(key), sets, out)
        return
    if isinstance(expected, list) and isinstance(actual, list):
        if pattern in sets:
            _walk_set(path, pattern, expected, actual, sets, out)
            return
        for i in range(max(len(expected), len(actual))):
            exp = expected[i] if i < len(expected) else None
            act = actual[i] if i < len(actual) else None
            _walk(f"{path}[{i}]", f"{pattern}[]", exp, act, sets, out)
        return
    if _scalar_equal(expected, actual):
        return
    if is_empty(expected):
        out.append(Difference(path, expected, actual, ChangeKind.ADDED))
    elif is_empty(actual):
        out.append(Difference(path, expected, actual, ChangeKind.REMOVED))
    else:
        out.append(Difference(path, expected, actual, ChangeKind.UPDATED))


def _walk_set(path: str, pattern: str, expected: list[Any], actual: list[Any], sets: frozenset[str], out: list[Difference]) -> None:
    """Terraform sets: an element is either present on both sides or it was added/removed."""
    if not DeepDiff(expected, actual, ignore_order=True, ignore_type_in_groups=[(int, str)]):
        return
    unmatched_actual = list(range(len(actual)))
    for i, exp in enumerate(expected):
        match = next((j for j in unmatched_actual if _equivalent(exp, actual[j])), None)
        if match is None:
            out.append(Difference(f"{path}[{i}]", exp, None, ChangeKind.REMOVED))
        else:
            unmatched_actual.remove(match)
    for j in unmatched_actual:
        out.append(Difference(f"{path}[{j}]", None, actual[j], ChangeKind.ADDED))


def _equivalent(a: Any, b: Any) -> bool:
    probe: list[Difference] = []
    _walk("", "", a, b, frozenset(), probe)
    if not probe:
        return True
    # Nested lists inside set elements (cidr_blocks) are sets too in Terraform's schema.
    return not DeepDiff(_emptied(a), _emptied(b), ignore_order=True)


def _emptied(value: Any) -> Any:
    """Drop empty members so that null and [] compare equal inside set elements."""
    if isinstance(value, dict):
        return {k: _emptied(v) for k, v in value.items() if not is_empty(v)}
    if isinstance(value, list):
        return [_emptied(v) for v in value]
    return value


def _scalar_equal(expected: Any, actual: Any) -> bool:
    if expected == actual:
        return True
    # State stores some numbers as strings and vice versa (SQS attributes, ports).
    if isinstance(expected, (int, str, bool)) and isinstance(actual, (int, str, bool)):
        return _as_text(expected) == _as_text(actual)
    return False


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- typed, exact comparison (provider reads) -------------------------------------------------


def compare_typed(
    expected: dict[str, Any],
    actual: dict[str, Any],
    object_type: CtyType,
    *,
    sensitive_paths: Iterable[str] = (),
) -> list[Difference]:
    """Differences between two values of one schema object type, exactly as Terraform judges a
    refresh: null differs from an empty collection, sets ignore order, numbers compare by value.
    Paths as `terraform show -json` spells them (`tags.Env`, `ingress[1].cidr_blocks[0]`); a set
    element that changed is one `removed` (its index before) and one `added` (its index after)."""
    diffs: list[Difference] = []
    for name, ty in object_type.attributes:
        _walk_typed(name, expected.get(name), actual.get(name), ty, diffs)
    return _mark_sensitive(diffs, tuple(sensitive_paths))


def _mark_sensitive(diffs: list[Difference], sensitive: tuple[str, ...]) -> list[Difference]:
    if not sensitive:
        return diffs
    return [
        Difference(d.path, d.expected, d.actual, d.change, d.side, True)
        if any(_within(_pattern(d.path), _pattern(s)) or _within(d.path, s) for s in sensitive)
        else d
        for d in diffs
    ]


def _pattern(path: str) -> str:
    """`a[3].b` -> `a[].b`: schema-derived sensitive paths name any element with `[]`."""
    out, depth = [], 0
    for ch in path:
        if ch == "[":
            depth += 1
            out.append("[")
        elif ch == "]":
            depth -= 1
            out.append("]")
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _walk_typed(path: str, expected: Any, actual: Any, ty: CtyType, out: list[Difference]) -> None:
    if values_equal(expected, actual, ty):
        return
    if expected is UNKNOWN or actual is UNKNOWN:  # a plan's "known after apply": differs, not walkable
        out.append(Difference(path, expected, actual, ChangeKind.UPDATED))
        return
    if expected is None or actual is None or ty.kind in ("string", "number", "bool", "dynamic"):
        change = ChangeKind.ADDED if expected is None else ChangeKind.REMOVED if actual is None else ChangeKind.UPDATED
        out.append(Difference(path, expected, actual, change))
        return
    if ty.kind == "object":
        for name, attr_type in ty.attributes:
            _walk_typed(f"{path}.{name}", expected.get(name), actual.get(name), attr_type, out)
        return
    if ty.kind == "map":
        assert ty.element is not None
        for key in sorted(set(expected) | set(actual)):
            _walk_typed(f"{path}.{key}", expected.get(key), actual.get(key), ty.element, out)
        return
    if ty.kind == "set":
        assert ty.element is not None
        element = ty.element
        before = [canonical(v, element) for v in expected]
        after = [canonical(v, element) for v in actual]
        for i, key in enumerate(before):
            if key not in after:
                out.append(Difference(f"{path}[{i}]", expected[i], None, ChangeKind.REMOVED))
        for j, key in enumerate(after):
            if key not in before:
                out.append(Difference(f"{path}[{j}]", None, actual[j], ChangeKind.ADDED))
        return
    element_types = ty.elements if ty.kind == "tuple" else None
    for i in range(max(len(expected), len(actual))):
        elem_type = element_types[i] if element_types is not None and i < len(element_types) else ty.element
        assert elem_type is not None
        exp = expected[i] if i < len(expected) else None
        act = actual[i] if i < len(actual) else None
        if i >= len(expected):
            out.append(Difference(f"{path}[{i}]", None, act, ChangeKind.ADDED))
        elif i >= len(actual):
            out.append(Difference(f"{path}[{i}]", exp, None, ChangeKind.REMOVED))
        else:
            _walk_typed(f"{path}[{i}]", exp, act, elem_type, out)
