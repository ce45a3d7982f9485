"""Every per-type fact in one declarative place: one `ResourceType` entry per Terraform type.

Entries are declared per AWS service (`s3`, `ec2`, `iam`, `sqs`, `sns`; `provider_only` for the
types known only by identity and read through the provider); every table the engine
used to keep per type (attribution rows, ForceNew, replacement cost, import arguments, adopt's
computed attributes, revert builders, collector modules, CloudFormation types and physical-id
forms, discovery ARN rows) is computed from them in `projections`. Adding a type is adding one
entry (and, for a native reader or a boto3 revert, the behaviour the entry names).

This package imports nothing else of the engine: it sits below collectors, attribution,
remediation, CloudFormation and discovery, which all read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from driftdeck.core.resource_types import ec2, iam, provider_only, s3, sns, sqs
from driftdeck.core.resource_types.facts import (
    ArnRow,
    EventRow,
    Identity,
    ResourceType,
    Risk,
    Target,
    Unsupported,
)

# Declaration order is meaningful: where one CloudTrail call touches several types, its targets are
# tried in this order (the bucket before its parts, the group before its rules).
REGISTRY: Mapping[str, ResourceType] = MappingProxyType(
    {entry.name: entry for module in (s3, ec2, iam, sqs, sns, provider_only) for entry in module.TYPES}
)


def resource_type(name: str) -> ResourceType | None:
    """The entry for Terraform type `name`, or None when driftdeck knows nothing of it by type."""
    return REGISTRY.get(name)


__all__ = [
    "REGISTRY",
    "ArnRow",
    "EventRow",
    "Identity",
    "ResourceType",
    "Risk",
    "Target",
    "Unsupported",
    "resource_type",
]
