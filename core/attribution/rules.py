"""Which API call changes which Terraform resource and attribute: data, from the type registry.

A `Target` says, for one event name, which resource type it touches, where in the record the
resource's id is (`ids`: dotted paths with `[*]` for lists, or `{path}` templates for composite ids;
`match_on`: resource attribute -> record path, for resources whose Terraform id is synthetic), and
which attributes it changes: fixed (`attrs`) and/or named by the request itself (`keyed`: paths whose
dict keys or string value are looked up in `key_map`). `effect` is "update", "delete" (explains a
`missing` resource) or "create" (explains an `unmanaged` one).

The rows live with their type in `driftdeck.core.resource_types` (`ResourceType.events`); the
tables here are projections of it. `FALLBACK` says how to find the resource in mutating calls the
tables do not list: such a match is resource-level only (the changed attributes are unknown).
"""

from __future__ import annotations

from collections.abc import Mapping

from driftdeck.core.resource_types.facts import Target
from driftdeck.core.resource_types.projections import (
    attribution_fallback,
    attribution_rules,
    natively_collected,
)

Table = Mapping[str, tuple[Target, ...]]

# eventSource -> eventName -> targets.
RULES: Mapping[str, Table] = attribution_rules()

# Mutating calls not in the tables still name their resource in these places (attributes unknown).
FALLBACK: Mapping[str, tuple[Target, ...]] = attribution_fallback()

# The types the engine collects natively; the tables must cover each of them.
COVERED_TYPES: tuple[str, ...] = natively_collected()


def rules_for(event_source: str, event_name: str) -> tuple[Target, ...]:
    return RULES.get(event_source, {}).get(event_name, ())


def services_for_type(resource_type: str) -> frozenset[str]:
    """eventSources whose tables can change this resource type (for time-proximity candidates)."""
    return frozenset(
        source
        for source, table in RULES.items()
        if any(target.type == resource_type for targets in table.values() for target in targets)
    )
