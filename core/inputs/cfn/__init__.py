"""CloudFormation as a desired-state source: templates and deployed stacks through the same engine.

Public API
----------
Everything at once (`driftdeck.core.inputs.cfn.source`), for the scan:
    load_cloudformation_state(root, session_or_client_factory, region, *, mapping=None,
                              stack_names=None) -> CloudFormationState
        stacks, templates, matches (template file -> stack), resources (DesiredResource), warnings;
        .sources() -> list[SourceInfo] (kind "cloudformation"), .claims() -> stack claims.

Templates (`driftdeck.core.inputs.cfn.template`, `.parameters`):
    load_template(path, parameters=None, pseudo=None, *, physical_ids=None, attributes=None,
                  exports=None, availability_zones=None, resolved_parameters=None) -> Template
        YAML (every short-form tag: !Ref, !Sub, !GetAtt incl. `A.B`, !If, !Join, !Select, !Split,
        !FindInMap, !Base64, !Cidr, !GetAZs, !ImportValue, !Equals/!And/!Or/!Not, !Condition;
        unknown tags such as !Transform or !Rain::Embed are kept, not rejected) or JSON.
        `parameters`: a mapping or a parameters-file path (CLI list, {"Parameters": {...}}, plain
        mapping, `Key=Value` lines). `pseudo`: {"AWS::Region": ..., "AWS::AccountId": ...} (the
        `AWS::` prefix is optional; Partition and URLSuffix follow the region).
        Raises `driftdeck.core.errors.InputError` with file:line for malformed input.
    parse_template(text, file, parameters=None, pseudo=None, **same keywords) -> Template
    load_parameters_file(path) -> dict[str, Any]
    Template: file, text, format ("yaml"|"json"), data (positions kept), parameters,
        resources: dict[logical_id, TemplateResource], transforms, conditions, warnings
    TemplateResource: logical_id, type, file, line, properties (evaluated), condition,
        included (True/False/None=unknown), evaluated, not_evaluated_reason, secret_properties, raw
    DeployTimeUnknown (a str, and a `core.unknown.Unknown`) marks values not knowable without
        deploying, with the reason; `core.unknown.is_unknown(value)`. Never compared, never drift.

Stacks (`driftdeck.core.inputs.cfn.stacks`):
    discover_stacks(session_or_client_factory, region, *, names=None, max_workers=8)
        -> list[DeployedStack]
        `session_or_client_factory`: a boto3 Session, an `AwsContext`, or `(service, region) -> client`.
        Uses describe_stacks, list_stack_resources, get_template (the processed template, so SAM and
        macros are already expanded) and follows nested stacks recursively (concurrently per
        level); parents come first. Per-stack read failures land in `DeployedStack.error`.
    DeployedStack: name, stack_id, region, status, parameters, resolved_parameters, resources
        (StackResource: logical_id, physical_id, type, status), template_body, tags, outputs,
        known_attributes (nested stacks' `Outputs.X`), parent, root, error;
        .physical_ids, .account_id, .is_nested, .pseudo_parameters(), .template(**options)
    find_templates(root) -> list[Path]
    list_exports(session_or_client_factory, region) -> dict[str, str]   (for Fn::ImportValue)
    match_templates(templates, stacks, mapping=None, *, root=None) -> dict[Path, DeployedStack]
        explicit mapping (file -> stack name) first, else file stem == stack name.

Desired resources (`driftdeck.core.inputs.cfn.desired`):
    desired_resources(stack_or_template, *, workspace_template=None, **template_options)
        -> list[DesiredResource]
        type = Terraform type, id = physical id in the provider's id form, address
        `cfn:<stack>/<LogicalId>`, source = SourceRef(kind="cloudformation", file, line, stack,
        logical_id, state=stack id), attributes = evaluated Properties of the deployed template,
        code_attributes = the workspace template's (when given), reason set when not evaluable.
    What a workspace template would change in its stack (`pending`) is a comparison of the two:
    `driftdeck.core.scan.pending.pending_changes`, beside the Terraform code-vs-state one.

Comparison lives in `driftdeck.core.compare.cloudformation` (`compare_cfn`, `compare_code`,
`unchecked_properties`, `NOT_IN_TEMPLATE`); the tables it reads are in `.mapping`, the property
paths, reserved `driftdeck:` keys and rule atoms it shares with `terraform_view` in `.properties`.
Terraform view and tables (`driftdeck.core.inputs.cfn.tfview`, `.mapping`):
    terraform_view(desired) -> dict   (the template's known properties in Terraform attribute names,
        e.g. for collectors' sub-resource checks that read `inline_policy` / `managed_policy_arns`)
    TERRAFORM_TYPES, PROPERTY_MAPS, terraform_type(cfn_type), mapped_properties(tf_type)

Ownership (`driftdeck.core.inputs.cfn.ownership`):
    stack_claims(stacks) -> dict[(tf_type, id), StackClaim]
    claimed_ids(desired_resources) -> set[(tf_type, id)];  is_claimed(claims, tf_type, id) -> bool
    find_double_ownership(resources, stacks=None) -> list[DoubleOwnership]

Remediation text (change sets, template patches) is `driftdeck.core.remediation.cloudformation_text`.
"""

from __future__ import annotations

from driftdeck.core.inputs.cfn.deploy_time import DeployTimeUnknown
from driftdeck.core.inputs.cfn.desired import address_for, desired_resources
from driftdeck.core.inputs.cfn.ownership import (
    DoubleOwnership,
    StackClaim,
    claimed_ids,
    find_double_ownership,
    is_claimed,
    stack_claims,
)
from driftdeck.core.inputs.cfn.parameters import load_parameters_file
from driftdeck.core.inputs.cfn.source import CloudFormationState, load_cloudformation_state
from driftdeck.core.inputs.cfn.stacks import (
    DeployedStack,
    StackResource,
    discover_stacks,
    find_templates,
    match_templates,
)
from driftdeck.core.inputs.cfn.template import (
    Template,
    TemplateParameter,
    TemplateResource,
    load_template,
    parse_template,
)
from driftdeck.core.inputs.cfn.tfview import terraform_view
from driftdeck.core.resource_types.cloudformation import (
    PROPERTY_MAPS,
    TERRAFORM_TYPES,
    mapped_properties,
    terraform_type,
)

__all__ = [
    "CloudFormationState",
    "list_exports",
    "load_cloudformation_state",
    "PROPERTY_MAPS",
    "TERRAFORM_TYPES",
    "DeployedStack",
    "DoubleOwnership",
    "StackClaim",
    "StackResource",
    "Template",
    "TemplateParameter",
    "TemplateResource",
    "DeployTimeUnknown",
    "address_for",
    "claimed_ids",
    "desired_resources",
    "discover_stacks",
    "find_double_ownership",
    "find_templates",
    "is_claimed",
    "load_parameters_file",
    "load_template",
    "mapped_properties",
    "match_templates",
    "parse_template",
    "stack_claims",
    "terraform_type",
    "terraform_view",
]
