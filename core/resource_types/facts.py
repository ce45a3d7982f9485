"""The shape of one resource type's facts: identity, CloudTrail rows, revert, risks, import, adopt.

Plain frozen data with no imports from the rest of the engine: collectors, attribution, remediation,
CloudFormation and discovery all read these entries (through `resource_types.projections`), so this
module must sit below every one of them.

A fact a type does not have is `Unsupported(reason)`, never silently absent: the contract test
(`tests/resource_types/test_registry.py`) holds every entry to that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeAlias, TypeVar

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class Unsupported:
    """A fact this type deliberately does not have, and why."""

    reason: str


T = TypeVar("T")
Fact: TypeAlias = T | Unsupported  # a fact, or the reason the type has none


# The reasons shared by every type driftdeck reads only through the provider.
PROVIDER_READS = Unsupported("no native collector: read through the provider")
PROVIDER_PLANS = Unsupported("no native collector: only the provider plans its replacement")
PROVIDER_WRITES = Unsupported("no native collector: only the provider writes its import block")
NO_BOTO3_REVERT = Unsupported("no boto3 revert written: the plan reverts it with terraform apply")
NO_CLOUDFORMATION = Unsupported("no CloudFormation mapping")


@dataclass(frozen=True)
class Target:
    """One CloudTrail call's effect on one resource type (see `attribution.rules` for the fields).

    `ids`: dotted record paths (`[*]` for lists) or `{path}` templates for composite ids;
    `match_on`: resource attribute -> record path, for resources whose Terraform id is synthetic;
    `attrs` fixed changed attributes, `keyed` record paths whose keys/values `key_map` translates;
    `effect`: "update", "delete" (explains `missing`) or "create" (explains `unmanaged`)."""

    type: str
    ids: tuple[str, ...] = ()
    attrs: tuple[str, ...] = ()
    keyed: tuple[str, ...] = ()
    key_map: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    match_on: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    effect: str = "update"
    # True when the row can only say "this resource or a sibling" (e.g. a rule revoked by its
    # properties, matched through its group): such matches are resource-level, never exact.
    loose: bool = False


@dataclass(frozen=True)
class EventRow:
    """`event_name` of `event_source` (e.g. "s3.amazonaws.com") changes the type as `target` says."""

    event_name: str
    target: Target


@dataclass(frozen=True)
class Identity:
    """How an object of the type is named.

    `import_id`: what `terraform import` takes, in words (also CloudFormation's physical id form);
    `natural_name`: the attribute a person names the object by (None: it has no name of its own);
    `cfn_type`: the CloudFormation type read as this Terraform type; `cfn_name_property`: the
    template property that gives the Terraform id on its own; `physical_id`: how ids are normalised
    for ownership claims ("exact", "lowercase" or "queue-url-path")."""

    import_id: str
    natural_name: str | None
    cfn_type: Fact[str]
    cfn_name_property: str | None = None
    physical_id: str = "exact"
    # The `terraform import` id as a format over live attributes ("{role}/{policy_arn}"), when it
    # is not the provider's id; used only when every attribute it names was read.
    import_id_from: str | None = None
    # Fn::GetAtt attributes a template can compute from the physical id alone: attribute -> the
    # name of its derivation in `cfn.intrinsics` ("same", "property:VpcId", ...).
    cfn_attributes: Mapping[str, str] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class PropertyMap:
    """One CloudFormation template property and where it lives on the Terraform side (the fields
    are described in `resource_types.cloudformation`)."""

    cfn: str
    tf: tuple[str, ...]
    kind: str = "scalar"
    defaults: tuple[Any, ...] | None = None
    live_to_cfn: str | None = None


def cfn_property(cfn: str, *tf: str, kind: str = "scalar", defaults: tuple[Any, ...] | None = None,
                 conv: str | None = None) -> PropertyMap:
    return PropertyMap(cfn, tuple(tf), kind, defaults, conv)


CFN_TAGS = cfn_property("Tags", "tags", kind="tags", defaults=({},))


@dataclass(frozen=True)
class ArnRow:
    """Discovery by ARN: the ARN's service and resource type ("" for bare S3/SQS/SNS resources), how
    the import id and name come out of it (a name in `discovery.table.DERIVE`), and the names AWS
    creates itself (a name in `discovery.table.AWS_DEFAULTS`, "" for none)."""

    service: str
    arn_type: str
    derive: str
    aws_default: str = ""


@dataclass(frozen=True)
class Risk:
    """What can go wrong: kind "replacement" | "data-loss" | "downtime" | "access" | "irreversible" |
    "note", and the sentence a plan shows. Entries use it for what replacing an object costs."""

    kind: str
    text: str


@dataclass(frozen=True)
class ResourceType:
    """Every per-type fact the engine uses, for one Terraform resource type.

    `collector`: the `driftdeck.core.live.collectors` module holding its native collector, or
    Unsupported (read through the provider). `revert`: the name of the call builder in
    `remediation.revert` that writes its boto3 revert calls; `tag_revert`: the tagging family whose
    tag/untag calls revert its tags. `parent`: the type a sub-resource belongs to."""

    name: str
    service: str
    identity: Identity
    event_source: str
    events: Fact[tuple[EventRow, ...]]
    collector: Fact[str]
    force_new: Fact[frozenset[str]]
    replacement_cost: tuple[Risk, ...]
    import_arguments: Fact[tuple[str, ...]]
    computed_when_unset: frozenset[str]
    revert: Fact[str]
    tag_revert: Fact[str]
    arn: Fact[ArnRow]
    parent: str | None = None
    # Template properties compared for its CloudFormation type (empty without one).
    cfn_properties: tuple[PropertyMap, ...] = ()
    # Attributes whose value changes on every read with nobody touching the object: Terraform
    # reports them as drift on every refresh, driftdeck does not compare them.
    volatile_attributes: frozenset[str] = frozenset()
    # Live values the provider's own validation rejects (hashicorp/aws 5.x): attribute -> (min, max).
    provider_ranges: Mapping[str, tuple[int, int]] = field(default_factory=lambda: MappingProxyType({}))
    # How to find the resource in mutating calls of its service that no row lists (resource-level).
    fallback: tuple[Target, ...] = ()


def target(type_: str, ids: str | tuple[str, ...] = (), attrs: tuple[str, ...] | str = (), **kw: Any) -> Target:
    """A `Target`; a row changing `tags` also changes `tags_all` (the provider's merged default tags)."""
    ids_t = (ids,) if isinstance(ids, str) else ids
    attrs_t = (attrs,) if isinstance(attrs, str) else attrs
    if "tags" in attrs_t and "tags_all" not in attrs_t:
        attrs_t = (*attrs_t, "tags_all")
    return Target(type_, ids_t, attrs_t, **kw)


def row(event_name: str, type_: str, ids: str | tuple[str, ...] = (), attrs: tuple[str, ...] | str = (),
        **kw: Any) -> EventRow:
    """An update row."""
    return EventRow(event_name, target(type_, ids, attrs, **kw))


def delete(event_name: str, type_: str, ids: str | tuple[str, ...] = (), **kw: Any) -> EventRow:
    return EventRow(event_name, target(type_, ids, effect="delete", **kw))


def create(event_name: str, type_: str, ids: str | tuple[str, ...], **kw: Any) -> EventRow:
    return EventRow(event_name, target(type_, ids, effect="create", **kw))
