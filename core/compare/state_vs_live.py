"""State vs live: expected (state) vs actual (live) attributes, with Terraform-style paths.

Two modes, one module. `compare_attributes` serves the native collectors, which read only some
attributes in their own shapes: empty values (null, "", [], {}) are equal, JSON documents are
compared semantically, Terraform sets ignore order (the engine's rules and walk); per-type quirks
belong in the collector.
`compare_typed` serves provider reads, where both sides are values of the same schema type: it
judges exactly as Terraform's refresh does (`terraform plan -refresh-only`), nothing normalised.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from driftdeck.core.compare.engine import change_kind, documents_equal, walk, within
from driftdeck.core.cty import CtyType, canonical, values_equal
from driftdeck.core.model import ChangeKind, Difference
from driftdeck.core.unknown import is_unknown


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
            walk(name, expected[name], actual[name], sets, diffs)
    if sensitive:
        diffs = [
            Difference(d.path, d.expected, d.actual, d.change, d.side, True)
            if any(within(d.path, s) for s in sensitive)
            else d
            for d in diffs
        ]
    return diffs


def _compare_json(path: str, expected: Any, actual: Any) -> list[Difference]:
    exp_doc, act_doc = _parse_json(expected), _parse_json(actual)
    if documents_equal(exp_doc, act_doc):
        return []
    return [Difference(path, exp_doc, act_doc, change_kind(exp_doc, act_doc))]


def _parse_json(value: Any) -> Any:
    if isinstance(value, str) and value.strip():
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


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
        if any(within(_pattern(d.path), _pattern(s)) or within(d.path, s) for s in sensitive)
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
    if is_unknown(expected) or is_unknown(actual):  # a plan's "known after apply": differs, not walkable
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
