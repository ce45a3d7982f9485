"""The per-type tables the engine reads, each computed from the registry (never written by hand)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from driftdeck.core.resource_types import REGISTRY
from driftdeck.core.resource_types.model import ArnRow, ResourceType, Risk, Target, Unsupported

# eventSource -> eventName -> targets (in registry order).
AttributionTable = Mapping[str, Mapping[str, tuple[Target, ...]]]


def _supported(entries: Mapping[str, ResourceType], fact: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, entry in entries.items():
        value = getattr(entry, fact)
        if not isinstance(value, Unsupported):
            out[name] = value
    return out


def attribution_rules(entries: Mapping[str, ResourceType] = REGISTRY) -> AttributionTable:
    """eventSource -> eventName -> the targets it changes: what `attribution.rules.RULES` holds."""
    grouped: dict[str, dict[str, list[Target]]] = {}
    for entry in entries.values():
        table = grouped.setdefault(entry.event_source, {})
        for event in entry.events:
            table.setdefault(event.event_name, []).append(event.target)
    return MappingProxyType({
        source: MappingProxyType({name: tuple(targets) for name, targets in table.items()})
        for source, table in grouped.items()
    })


def attribution_fallback(entries: Mapping[str, ResourceType] = REGISTRY) -> Mapping[str, tuple[Target, ...]]:
    """eventSource -> where unlisted mutating calls of the service name their resource."""
    grouped: dict[str, list[Target]] = {}
    for entry in entries.values():
        if entry.fallback:
            grouped.setdefault(entry.event_source, []).extend(entry.fallback)
    return MappingProxyType({source: tuple(targets) for source, targets in grouped.items()})


def natively_collected(entries: Mapping[str, ResourceType] = REGISTRY) -> tuple[str, ...]:
    """Types with a native collector, in registry order."""
    return tuple(name for name, entry in entries.items() if not isinstance(entry.collector, Unsupported))


def collector_modules(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, str]:
    """type -> the `driftdeck.core.collectors` module that registers its collector."""
    return {name: str(module) for name, module in _supported(entries, "collector").items()}


def force_new(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, frozenset[str]]:
    """type -> attributes that force a replacement (hashicorp/aws 5.x), for natively read types."""
    return {name: frozenset(value) for name, value in _supported(entries, "force_new").items()}  # type: ignore[call-overload]


def replacement_cost(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, tuple[Risk, ...]]:
    """type -> what losing and re-creating the object costs (types with a known cost only)."""
    return {name: entry.replacement_cost for name, entry in entries.items() if entry.replacement_cost}


def import_arguments(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, tuple[str, ...]]:
    """type -> arguments an import block writes when no provider writes it."""
    return {name: tuple(value) for name, value in _supported(entries, "import_arguments").items()}  # type: ignore[call-overload]


def computed_when_unset(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, frozenset[str]]:
    """type -> Optional+Computed attributes adopt leaves alone when the code does not set them."""
    return {name: entry.computed_when_unset for name, entry in entries.items() if entry.computed_when_unset}


def revert_builders(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, str]:
    """type -> the name of its boto3 revert builder in `remediation.revert`."""
    return {name: str(value) for name, value in _supported(entries, "revert").items()}


def tag_reverts(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, str]:
    """type -> the tagging family whose calls revert its tags."""
    return {name: str(value) for name, value in _supported(entries, "tag_revert").items()}


def cloudformation_types(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, str]:
    """CloudFormation type -> Terraform type, for the types read from stacks."""
    return {str(entry.identity.cfn_type): name for name, entry in entries.items()
            if not isinstance(entry.identity.cfn_type, Unsupported)}


def physical_id_forms(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, str]:
    """type -> the form of CloudFormation's physical id (the Terraform import id), in words."""
    return {name: entry.identity.import_id for name, entry in entries.items()
            if not isinstance(entry.identity.cfn_type, Unsupported)}


def physical_id_rules(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, str]:
    """type -> how its ids are normalised for ownership claims ("exact" types left out)."""
    return {name: entry.identity.physical_id for name, entry in entries.items()
            if entry.identity.physical_id != "exact"}


def cfn_name_properties(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, str]:
    """type -> the template property that is its Terraform id on its own (BucketName...)."""
    return {name: entry.identity.cfn_name_property for name, entry in entries.items()
            if entry.identity.cfn_name_property}


def natural_names(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, str]:
    """type -> the attribute a person names the object by."""
    return {name: entry.identity.natural_name for name, entry in entries.items() if entry.identity.natural_name}


def arn_rows(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, ArnRow]:
    """type -> how discovery recognises its ARN."""
    return {name: entry.arn for name, entry in entries.items() if isinstance(entry.arn, ArnRow)}


def parents(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, str]:
    """sub-resource type -> the type it belongs to."""
    return {name: entry.parent for name, entry in entries.items() if entry.parent}
