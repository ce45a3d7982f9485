"""What the code sets vs what was applied (or read live): the value rule behind `pending`.

Only what the code sets is compared, and only where the code's value is known: provider
defaults and computed attributes never show up as pending. Maps (e.g. `tags`) compare whole;
nested blocks (lists of objects) compare element-wise on the keys the code sets, in any order
when the provider keeps set-typed blocks in its own; JSON documents in strings compare as IAM
policies (the engine's rule); lists of primitives compare as multisets (sets come back from the
provider in their own order).

Free of the HCL package on purpose: the HCL evaluator asks `code_matches_state` whether a
resource was edited since its last apply.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from driftdeck.core.compare.engine import documents_equal, pair_in_any_order
from driftdeck.core.model import ChangeKind, Difference
from driftdeck.core.unknown import contains_unknown, is_unknown, scalar_text


def code_matches_state(code_attributes: dict[str, Any], state_attributes: dict[str, Any]) -> bool:
    """True when every known value the code sets equals the state's (no pending edit)."""
    diffs: list[Difference] = []
    for name, value in code_attributes.items():
        _diff(name, value, state_attributes.get(name), diffs)
    return not diffs


def diff_attributes(code_attributes: dict[str, Any], actual: dict[str, Any], *, side: str = "code") -> list[Difference]:
    """Differences between what the code sets and `actual` (state or live attributes), with the
    same rules as `compare_code_to_state`; `side` is recorded on each Difference."""
    diffs: list[Difference] = []
    for name, value in code_attributes.items():
        _diff(name, value, actual.get(name), diffs)
    if side != "code":
        diffs = [Difference(d.path, d.expected, d.actual, d.change, side=side) for d in diffs]
    return diffs


def _diff(path: str, code: Any, state: Any, out: list[Difference]) -> None:
    if is_unknown(code):
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
            _diff(f"{path}.{key}", value, state_map.get(key), out)
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
        _diff(f"{path}.{key}", value, state.get(key) if isinstance(state, dict) else None, out)


def _matches_in_any_order(code: list[dict[str, Any]], state: list[Any]) -> bool:
    unpaired_code, _ = pair_in_any_order(code, state, _block_matches)
    return not unpaired_code


def _block_matches(code: dict[str, Any], state: Any) -> bool:
    probe: list[Difference] = []
    _diff_block("", code, state, probe)
    return not probe


def _changed(path: str, code: Any, state: Any) -> Difference:
    change = ChangeKind.ADDED if state is None or state == [] else ChangeKind.UPDATED
    return Difference(path, code, state, change, side="code")


def _is_block_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _equal(code: Any, state: Any) -> bool:
    if isinstance(code, str) and isinstance(state, str):
        return code == state or _json_equal(code, state)
    if isinstance(code, bool) or isinstance(state, bool):
        return scalar_text(code) == scalar_text(state)
    if isinstance(code, (int, float)) and isinstance(state, (int, float)):
        return float(code) == float(state)
    if isinstance(code, list) and isinstance(state, list):
        if all(not isinstance(v, (list, dict)) for v in code + state):
            return Counter(map(scalar_text, code)) == Counter(map(scalar_text, state))
        return len(code) == len(state) and all(_equal(c, s) for c, s in zip(code, state, strict=True))
    if isinstance(code, list) and not code and state is None:
        return True
    if isinstance(code, (str, int, float)) and isinstance(state, (str, int, float)):
        return scalar_text(code) == scalar_text(state)  # "5" in code, 5 in state
    return bool(code == state)


def _json_equal(a: str, b: str) -> bool:
    if not (a.lstrip().startswith(("{", "[")) and b.lstrip().startswith(("{", "["))):
        return False
    # Unparsable text stays text, and two different texts differ.
    return documents_equal(a, b)
