"""Code vs state: which instances have edits not yet applied (`pending`), attribute by attribute.

Only what the code sets is compared, and only where the code's value is known: provider
defaults and computed attributes never show up as pending. Maps (e.g. `tags`) compare whole;
nested blocks (lists of objects) compare element-wise on the keys the code sets; JSON documents
in strings compare semantically; lists of primitives compare as multisets (sets come back from
the provider in their own order).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from driftdeck.core.hcl.results import NATURAL_NAME_ATTRIBUTE, CodeInstance, apply_moves, strip_instance_keys
from driftdeck.core.hcl.values import UNKNOWN, contains_unknown
from driftdeck.core.model import ChangeKind, DesiredResource, Difference, LiveResource


def compare_code_to_state(
    code_instances: Mapping[str, CodeInstance],
    desired_resources: Iterable[DesiredResource],
    *,
    undecidable: Callable[[str], bool] | None = None,
    moved: Mapping[str, str] | None = None,
    include_type: Callable[[str], bool] | None = None,
) -> dict[str, list[Difference]]:
    """Per instance address, the code-side differences (`Difference(side="code")`).

    For an attribute, `expected` is the code's value and `actual` the state's. An instance in
    code but not in state gives one `added` difference with path ""; one in state but not in
    code gives a `removed` one, unless `undecidable(address)` (e.g.
    `Configuration.is_undecidable`) says code cannot tell. `moved` (`Configuration.moved`) maps
    old state addresses to the code's; results are keyed by the code's address.
    `include_type(type)` limits the comparison to the types the state side covers (e.g.
    `lambda t: t.startswith("aws_")` when the desired resources are AWS-only), so a `random_pet`
    in code is not "added". Data sources are ignored. Addresses without differences are left out.
    """
    out: dict[str, list[Difference]] = {}
    moves = dict(moved or {})
    state = {apply_moves(d.address, moves): d for d in desired_resources if not _is_data(d.address)}
    for address, inst in code_instances.items():
        if inst.mode != "managed" or (include_type is not None and not include_type(inst.type)):
            continue
        desired = state.get(address)
        if desired is None:
            shown = {k: ("(sensitive)" if k in inst.sensitive_paths else v) for k, v in _known_part(inst.attributes).items()}
            out[address] = [Difference("", shown, None, ChangeKind.ADDED, side="code")]
            continue
        if "*" in inst.ignore_changes:
            continue
        diffs: list[Difference] = []
        for name, value in inst.attributes.items():
            _diff(name, value, desired.attributes.get(name), diffs, block_context=False)
        diffs = [d for d in diffs if not _ignored(d.path, inst.ignore_changes)]
        if diffs:
            hidden = desired.sensitive_paths | inst.sensitive_paths
            out[address] = [_mark_sensitive(d, hidden) for d in diffs]
    for address, desired in state.items():
        if address in code_instances or (undecidable is not None and undecidable(address)):
            continue
        if include_type is not None and not include_type(desired.type):
            continue
        out[address] = [Difference("", None, desired.id, ChangeKind.REMOVED, side="code")]
    return out


def code_matches_state(code_attributes: dict[str, Any], state_attributes: dict[str, Any]) -> bool:
    """True when every known value the code sets equals the state's (no pending edit)."""
    diffs: list[Difference] = []
    for name, value in code_attributes.items():
        _diff(name, value, state_attributes.get(name), diffs, block_context=False)
    return not diffs


def _ignored(path: str, ignored: frozenset[str]) -> bool:
    return any(path == p or path.startswith((p + ".", p + "[")) for p in ignored)


def _is_data(address: str) -> bool:
    parts = strip_instance_keys(address).split(".")
    while len(parts) > 2 and parts[0] == "module":
        parts = parts[2:]
    return parts[0] == "data"


def _known_part(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _known_part(v) for k, v in value.items() if v is not UNKNOWN}
    if isinstance(value, list):
        return [_known_part(v) for v in value]
    return value


def _mark_sensitive(diff: Difference, sensitive: frozenset[str]) -> Difference:
    if any(diff.path == p or diff.path.startswith((p + ".", p + "[")) for p in sensitive):
        return Difference(diff.path, diff.expected, diff.actual, diff.change, side=diff.side, sensitive=True)
    return diff


def _diff(path: str, code: Any, state: Any, out: list[Difference], *, block_context: bool) -> None:
    if code is UNKNOWN:
        return
    if isinstance(code, dict) and isinstance(state, list) and len(state) == 1 and isinstance(state[0], dict):
        code = [code]  # a nested block written as an object (JSON syntax): state has a list of one
    if _is_block_list(code):
        if not isinstance(state, list) or len(state) != len(code):
            if not contains_unknown(code):
                out.append(_changed(path, code, state))
            return
        positional: list[Difference] = []
        for i, (c, s) in enumerate(zip(code, state, strict=True)):
            _diff_block(f"{path}[{i}]", c, s, positional)
        if positional and _matches_in_any_order(code, state):
            return  # set-typed blocks (security group rules...): the provider keeps its own order
        out.extend(positional)
        return
    if isinstance(code, dict):
        state_map = state if isinstance(state, dict) else {}
        if state is None and not code:
            return  # `{}` in code and null in state are the same for the provider
        for key, value in code.items():
            _diff(f"{path}.{key}", value, state_map.get(key), out, block_context=block_context)
        for key in state_map:
            if key not in code:
                out.append(Difference(f"{path}.{key}", None, state_map[key], ChangeKind.REMOVED, side="code"))
        return
    if contains_unknown(code):
        return
    if not _equal(code, state):
        out.append(_changed(path, code, state))


def _diff_block(path: str, code: dict[str, Any], state: Any, out: list[Difference]) -> None:
    for key, value in code.items():
        _diff(f"{path}.{key}", value, state.get(key) if isinstance(state, dict) else None, out, block_context=True)


def _matches_in_any_order(code: list[dict[str, Any]], state: list[Any]) -> bool:
    unused = list(range(len(state)))
    for c in code:
        for j in unused:
            probe: list[Difference] = []
            _diff_block("", c, state[j], probe)
            if not probe:
                unused.remove(j)
                break
        else:
            return False
    return True


def _changed(path: str, code: Any, state: Any) -> Difference:
    change = ChangeKind.ADDED if state is None or state == [] else ChangeKind.UPDATED
    return Difference(path, code, state, change, side="code")


def _is_block_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _equal(code: Any, state: Any) -> bool:
    if isinstance(code, str) and isinstance(state, str):
        return code == state or _json_equal(code, state)
    if isinstance(code, bool) or isinstance(state, bool):
        return _scalar_text(code) == _scalar_text(state)
    if isinstance(code, (int, float)) and isinstance(state, (int, float)):
        return float(code) == float(state)
    if isinstance(code, list) and isinstance(state, list):
        if all(not isinstance(v, (list, dict)) for v in code + state):
            return Counter(map(_scalar_text, code)) == Counter(map(_scalar_text, state))
        return len(code) == len(state) and all(_equal(c, s) for c, s in zip(code, state, strict=True))
    if isinstance(code, list) and not code and state is None:
        return True
    if isinstance(code, (str, int, float)) and isinstance(state, (str, int, float)):
        return _scalar_text(code) == _scalar_text(state)  # "5" in code, 5 in state
    return bool(code == state)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _json_equal(a: str, b: str) -> bool:
    if not (a.lstrip().startswith(("{", "[")) and b.lstrip().startswith(("{", "["))):
        return False
    try:
        return _normalize_doc(json.loads(a)) == _normalize_doc(json.loads(b))
    except json.JSONDecodeError:
        return False


def _normalize_doc(value: Any) -> Any:
    """IAM-style equivalence: a one-element list equals its element; key order irrelevant."""
    if isinstance(value, list):
        items = [_normalize_doc(v) for v in value]
        if len(items) == 1:
            return items[0]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, dict):
        return {k: _normalize_doc(v) for k, v in value.items()}
    return value


# --- code vs live, when no state exists --------------------------------------------------------


def diff_attributes(code_attributes: dict[str, Any], actual: dict[str, Any], *, side: str = "code") -> list[Difference]:
    """Differences between what the code sets and `actual` (state or live attributes), with the
    same rules as `compare_code_to_state`; `side` is recorded on each Difference."""
    diffs: list[Difference] = []
    for name, value in code_attributes.items():
        _diff(name, value, actual.get(name), diffs, block_context=False)
    if side != "code":
        diffs = [Difference(d.path, d.expected, d.actual, d.change, side=side) for d in diffs]
    return diffs


def match_code_to_live(
    code_instances: Mapping[str, CodeInstance], live_resources: Iterable[LiveResource]
) -> dict[str, LiveResource | None]:
    """For each managed instance whose code fixes its AWS name (`CodeInstance.natural_name`),
    the live resource of the same type carrying that name (in its attributes, or as its id),
    or None when there is none. Instances without a natural name are left out."""
    by_name: dict[tuple[str, str, str], LiveResource] = {}
    for live in live_resources:
        attr = NATURAL_NAME_ATTRIBUTE.get(live.type)
        if attr is None:
            continue
        name = live.attributes.get(attr)
        for candidate in (name, live.id):
            if isinstance(candidate, str):
                by_name.setdefault((live.type, attr, candidate), live)
    out: dict[str, LiveResource | None] = {}
    for address, inst in code_instances.items():
        natural = inst.natural_name
        if natural is not None:
            out[address] = by_name.get((inst.type, *natural))
    return out
