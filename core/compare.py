"""Attribute comparison: expected (state) vs actual (live), with Terraform-style paths.

Normalisations that apply to every type live here: empty values (null, "", [], {}) are equal,
JSON documents are compared semantically, Terraform sets ignore order. Per-type quirks belong in
the collector that produces the live attributes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from deepdiff import DeepDiff

from driftdeck.core.model import ChangeKind, Difference
from driftdeck.core.policy import normalize_policy


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
