"""The per-type tables the engine reads, each computed from the registry (never written by hand)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from driftdeck.core.resource_types import REGISTRY
from driftdeck.core.resource_types.facts import ArnRow, PropertyMap, ResourceType, Risk, Target, Unsupported

# eventSource -> eventName -> targets (in registry order).
AttributionTable = Mapping[str, Mapping[str, tuple[Target, ...]]]


def attribution_rules(entries: Mapping[str, ResourceType] = REGISTRY) -> AttributionTable:
    """eventSource -> eventName -> the targets it changes: what `attribution.rules.RULES` holds."""
    grouped: dict[str, dict[str, list[Target]]] = {}
    for entry in entries.values():
        if isinstance(entry.events, Unsupported):
            continue
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
    """type -> the `driftdeck.core.live.collectors` module that registers its collector."""
    return {name: e.collector for name, e in entries.items() if not isinstance(e.collector, Unsupported)}


def force_new(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, frozenset[str]]:
    """type -> attributes that force a replacement (hashicorp/aws 5.x), for natively read types."""
    return {name: e.force_new for name, e in entries.items() if not isinstance(e.force_new, Unsupported)}


def replacement_cost(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, tuple[Risk, ...]]:
    """type -> what losing and re-creating the object costs (types with a known cost only)."""
    return {name: entry.replacement_cost for name, entry in entries.items() if entry.replacement_cost}


def import_arguments(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, tuple[str, ...]]:
    """type -> arguments an import block writes when no provider writes it."""
    return {name: e.import_arguments for name, e in entries.items() if not isinstance(e.import_arguments, Unsupported)}


def computed_when_unset(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, frozenset[str]]:
    """type -> Optional+Computed attributes adopt leaves alone when the code does not set them."""
    return {name: entry.computed_when_unset for name, entry in entries.items() if entry.computed_when_unset}


def revert_builders(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, str]:
    """type -> the name of its boto3 revert builder in `remediation.revert`."""
    return {name: e.revert for name, e in entries.items() if not isinstance(e.revert, Unsupported)}


def tag_reverts(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, str]:
    """type -> the tagging family whose calls revert its tags."""
    return {name: e.tag_revert for name, e in entries.items() if not isinstance(e.tag_revert, Unsupported)}


def cloudformation_types(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, str]:
    """CloudFormation type -> Terraform type, for the types read from stacks."""
    return {entry.identity.cfn_type: name for name, entry in entries.items()
            if not isinstance(entry.identity.cfn_type, Unsupported)}


def cfn_property_maps(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, tuple[PropertyMap, ...]]:
    """Terraform type -> the template properties compared for it."""
    return {name: entry.cfn_properties for name, entry in entries.items() if entry.cfn_properties}


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


def cfn_attributes(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, Mapping[str, str]]:
    """CloudFormation type -> Fn::GetAtt attribute -> the name of its derivation."""
    return {entry.identity.cfn_type: entry.identity.cfn_attributes for entry in entries.values()
            if not isinstance(entry.identity.cfn_type, Unsupported) and entry.identity.cfn_attributes}


def import_id_formats(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, str]:
    """type -> its `terraform import` id as a format over live attributes (types whose id differs)."""
    return {name: entry.identity.import_id_from for name, entry in entries.items() if entry.identity.import_id_from}


def provider_ranges(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[tuple[str, str], tuple[int, int]]:
    """(type, attribute) -> the range the provider accepts."""
    return {(name, attribute): bounds for name, entry in entries.items()
            for attribute, bounds in entry.provider_ranges.items()}


def volatile_attributes(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, frozenset[str]]:
    """type -> attributes that move on every read (never compared)."""
    return {name: entry.volatile_attributes for name, entry in entries.items() if entry.volatile_attributes}


def natural_names(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, str]:
    """type -> the attribute a person names the object by."""
    return {name: entry.identity.natural_name for name, entry in entries.items() if entry.identity.natural_name}


def arn_rows(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, ArnRow]:
    """type -> how discovery recognises its ARN."""
    return {name: entry.arn for name, entry in entries.items() if isinstance(entry.arn, ArnRow)}


def parents(entries: Mapping[str, ResourceType] = REGISTRY) -> dict[str, str]:
    """sub-resource type -> the type it belongs to."""
    return {name: entry.parent for name, entry in entries.items() if entry.parent}


# The AWS provider names every bucket-level resource `aws_s3_bucket_*` (also those read only through
# the provider and not registered here), so the prefix alone says the bucket is the parent.
_BUCKET_PART_PREFIX = "aws_s3_bucket_"


def parent_type(rtype: str, entries: Mapping[str, ResourceType] = REGISTRY) -> str | None:
    """The type `rtype` is a piece of (a registered parent, or the bucket for any bucket part)."""
    entry = entries.get(rtype)
    if entry is not None and entry.parent:
        return entry.parent
    return "aws_s3_bucket" if rtype.startswith(_BUCKET_PART_PREFIX) else None
