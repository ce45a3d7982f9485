"""Code vs state: which instances have edits not yet applied (`pending`), and code vs live by name.

Instance by instance over a configuration's `CodeInstance`s and a state's resources (moves,
data sources, `ignore_changes`, sensitivity); each attribute is judged by `code_rules`.
`pending_changes` is the same question for CloudFormation: a workspace template against the
deployed stack, resource by resource through `compare.cloudformation.compare_code`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from driftdeck.core.compare.cloudformation import compare_code
from driftdeck.core.compare.code_rules import diff_attributes
from driftdeck.core.compare.engine import within
from driftdeck.core.inputs.cfn.desired import address_for
from driftdeck.core.inputs.cfn.template import Template
from driftdeck.core.inputs.hcl.results import (
    NATURAL_NAME_ATTRIBUTE,
    CodeInstance,
    apply_moves,
    strip_instance_keys,
)
from driftdeck.core.model import ChangeKind, DesiredResource, Difference, LiveResource
from driftdeck.core.resource_types.cloudformation import terraform_type
from driftdeck.core.unknown import UNKNOWN


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
        diffs = [d for d in diff_attributes(inst.attributes, desired.attributes) if not _ignored(d.path, inst.ignore_changes)]
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


def _ignored(path: str, ignored: frozenset[str]) -> bool:
    return any(within(path, p) for p in ignored)


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
    if any(within(diff.path, p) for p in sensitive):
        return Difference(diff.path, diff.expected, diff.actual, diff.change, side=diff.side, sensitive=True)
    return diff


# --- code vs live, when no state exists --------------------------------------------------------


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


def pending_changes(
    workspace: Template, stack_name: str, resources: Iterable[DesiredResource]
) -> dict[str, list[Difference]]:
    """Per address, what the workspace template would change in the stack (side="code").

    `resources` are the stack's desired resources built with this template as `workspace_template`.
    A supported resource in the template but not in the stack gives one `added` difference with path
    ""; one in the stack but no longer in the template a `removed` one (the next update deletes it).
    """
    by_logical = {d.source.logical_id: d for d in resources if d.source.stack == stack_name}
    out: dict[str, list[Difference]] = {}
    for logical, res in workspace.resources.items():
        if terraform_type(res.type) is None or res.included is False:
            continue
        desired = by_logical.get(logical)
        if desired is None:
            shown = {k: v for k, v in res.properties.items() if k not in res.secret_properties}
            out[address_for(stack_name, logical)] = [Difference("", shown, None, ChangeKind.ADDED, side="code")]
            continue
        diffs = compare_code(desired)
        if diffs:
            out[desired.address] = diffs
    for logical, desired in by_logical.items():
        if logical not in workspace.resources:
            out[desired.address] = [Difference("", None, desired.id, ChangeKind.REMOVED, side="code")]
    return out
