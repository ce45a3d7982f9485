"""Data: how CloudFormation resource types and properties correspond to Terraform types and attributes.

The live collectors speak Terraform (`visibility_timeout_seconds`, `tags.Env`); templates speak
CloudFormation (`VisibilityTimeout`, `/Properties/Tags/0/Value`). Each table row says where a
template property lives on the live side and how to compare it. The rows live with their type in
`driftdeck.core.resource_types` (`ResourceType.cfn_properties`); adding a property is adding a row
there. The tables here are projections of the registry.

Row fields:
- `cfn`: property path below `Properties`, `/`-separated (`VersioningConfiguration/Status`);
- `tf`: candidate Terraform attribute paths, tried in order (the first present in the live
  attributes is used; absent everywhere means "not read live", never drift);
- `kind`: how values compare: `scalar`, `tags` (Key/Value list vs map), `json` (policy documents,
  semantic), `set` (list of scalars, order-free), `rules` (security-group rules),
  `inline_policies` (IAM role `Policies` vs `inline_policy`);
- `defaults`: the service's value(s) when the template leaves the property unset; when given, a live
  value outside them is reported as "not in template". `None` means unset is not checked (e.g. a
  name CloudFormation generates).
- `live_to_cfn`: name of a converter in `compare.LIVE_CONVERTERS` (live value -> template spelling).
"""

from __future__ import annotations

from driftdeck.core.resource_types.facts import PropertyMap
from driftdeck.core.resource_types.projections import (
    cfn_property_maps,
    cloudformation_types,
    physical_id_forms,
)

__all__ = ["PROPERTY_MAPS", "TERRAFORM_TYPES", "CLOUDFORMATION_TYPES", "PHYSICAL_ID_FORM", "PropertyMap",
           "terraform_type", "property_maps", "mapped_properties"]

# CloudFormation type -> Terraform type, for the types the engine's collectors read
# (`ResourceType.identity.cfn_type`).
TERRAFORM_TYPES: dict[str, str] = cloudformation_types()

CLOUDFORMATION_TYPES: dict[str, str] = {tf: cfn for cfn, tf in TERRAFORM_TYPES.items()}

# What CloudFormation's physical id is, in the form the Terraform provider uses as the id.
PHYSICAL_ID_FORM: dict[str, str] = physical_id_forms()

# Terraform type -> its template property rows (`ResourceType.cfn_properties`).
PROPERTY_MAPS: dict[str, tuple[PropertyMap, ...]] = cfn_property_maps()


def terraform_type(cfn_type: str) -> str | None:
    """The Terraform type for a CloudFormation type, or None when the engine has no collector for it."""
    return TERRAFORM_TYPES.get(cfn_type)


def property_maps(tf_type: str) -> tuple[PropertyMap, ...]:
    return PROPERTY_MAPS.get(tf_type, ())


def mapped_properties(tf_type: str) -> frozenset[str]:
    """Top-level template properties that are compared for this type (others are not checked)."""
    return frozenset(row.cfn.split("/", 1)[0] for row in property_maps(tf_type))
