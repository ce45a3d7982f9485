"""The comparison rules every comparator shares, written once, and the untyped walk.

Rules (where Terraform and the AWS APIs treat values alike, so must we):
- emptiness: null, "", [] and {} are the same "not set" (`is_empty`); which side is empty says
  whether a difference is an addition or a removal (`change_kind`);
- scalars: state and services spell some numbers and booleans as strings (`"5"`, `"true"`), so
  primitives compare by their text (`core.unknown.scalar_text`);
- JSON documents: compared as IAM compares policies (`documents_equal`, via `policy`);
- sets: elements are paired in any order, first match first (`pair_in_any_order`);
- paths: a difference at `a.b[0]` lies within `a` and `a.b` (`within`).
The walk produces Terraform-style paths (`tags.Env`, `ingress[1].cidr_blocks[0]`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from deepdiff import DeepDiff

from driftdeck.core.compare.policy import normalize_policy
from driftdeck.core.model import ChangeKind, Difference
from driftdeck.core.unknown import scalar_text

E = TypeVar("E")
A = TypeVar("A")


def is_empty(value: Any) -> bool:
    """Null, "", [] and {}: all "not set"."""
    return value is None or value == "" or value == [] or value == {}


def change_kind(expected: Any, actual: Any) -> ChangeKind:
    """Added when only `actual` is set, removed when only `expected` is, updated otherwise."""
    if is_empty(expected):
        return ChangeKind.ADDED
    if is_empty(actual):
        return ChangeKind.REMOVED
    return ChangeKind.UPDATED


def within(path: str, prefix: str) -> bool:
    """True when `path` is `prefix` or lies below it (`prefix.key`, `prefix[0]`)."""
    return path == prefix or path.startswith((prefix + ".", prefix + "["))


def documents_equal(expected: Any, actual: Any) -> bool:
    """Two (parsed) JSON documents that say the same: both empty, or the same IAM policy."""
    if is_empty(expected) and is_empty(actual):
        return True
    return bool(normalize_policy(expected) == normalize_policy(actual))


def without_empty_members(value: Any, leaf: Callable[[Any], Any] = lambda v: v) -> Any:
    """The value with empty object members dropped (null and [] alike inside a block), each
    primitive passed through `leaf`."""
    if isinstance(value, dict):
        return {k: without_empty_members(v, leaf) for k, v in value.items() if not is_empty(v)}
    if isinstance(value, list):
        return [without_empty_members(v, leaf) for v in value]
    return leaf(value)


def pair_in_any_order(
    expected: Sequence[E], actual: Sequence[A], same: Callable[[E, A], bool]
) -> tuple[list[int], list[int]]:
    """Set semantics: each expected element takes the first unpaired actual element `same` as it.
    Returns the indices left unpaired on each side (expected, actual), in order."""
    unpaired_actual = list(range(len(actual)))
    unpaired_expected: list[int] = []
    for i, item in enumerate(expected):
        match = next((j for j in unpaired_actual if same(item, actual[j])), None)
        if match is None:
            unpaired_expected.append(i)
        else:
            unpaired_actual.remove(match)
    return unpaired_expected, unpaired_actual


# --- the untyped walk --------------------------------------------------------------------------


def walk(path: str, expected: Any, actual: Any, set_patterns: frozenset[str], out: list[Difference], pattern: str | None = None) -> None:
    """Append to `out` the differences between two plain values under `path`.

    Objects compare key by key, lists index by index unless their pattern (the path with `[]` for
    every index, e.g. `ingress[].cidr_blocks`) is in `set_patterns`, then in any order.
    """
    pattern = path if pattern is None else pattern
    if is_empty(expected) and is_empty(actual):
        return
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual), key=str):
            walk(f"{path}.{key}", expected.get(key), actual.get(key), set_patterns, out, f"{pattern}.{key}")
        return
    if isinstance(expected, list) and isinstance(actual, list):
        if pattern in set_patterns:
            _walk_set(path, expected, actual, out)
            return
        for i in range(max(len(expected), len(actual))):
            exp = expected[i] if i < len(expected) else None
            act = actual[i] if i < len(actual) else None
            walk(f"{path}[{i}]", exp, act, set_patterns, out, f"{pattern}[]")
        return
    if _primitives_equal(expected, actual):
        return
    out.append(Difference(path, expected, actual, change_kind(expected, actual)))


def _primitives_equal(expected: Any, actual: Any) -> bool:
    if expected == actual:
        return True
    # State stores some numbers as strings and vice versa (SQS attributes, ports); floats are
    # left out on purpose: a collector's 5.0 against state's "5" has not been seen to be the same.
    if isinstance(expected, (int, str, bool)) and isinstance(actual, (int, str, bool)):
        return scalar_text(expected) == scalar_text(actual)
    return False


def _walk_set(path: str, expected: list[Any], actual: list[Any], out: list[Difference]) -> None:
    """Terraform sets: an element is either present on both sides or it was added/removed."""
    if not DeepDiff(expected, actual, ignore_order=True, ignore_type_in_groups=[(int, str)]):
        return
    removed, added = pair_in_any_order(expected, actual, _equivalent)
    for i in removed:
        out.append(Difference(f"{path}[{i}]", expected[i], None, ChangeKind.REMOVED))
    for j in added:
        out.append(Difference(f"{path}[{j}]", None, actual[j], ChangeKind.ADDED))


def _equivalent(a: Any, b: Any) -> bool:
    probe: list[Difference] = []
    walk("", a, b, frozenset(), probe)
    if not probe:
        return True
    # Nested lists inside set elements (cidr_blocks) are sets too in Terraform's schema.
    return not DeepDiff(without_empty_members(a), without_empty_members(b), ignore_order=True)
