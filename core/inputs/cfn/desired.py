"""Turn stacks (and templates) into the engine's `DesiredResource`s, keyed to Terraform types and ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from driftdeck.core.compare.cloudformation_properties import STACK_TAGS_KEY, STANDALONE_RULES_KEY
from driftdeck.core.inputs.cfn.deploy_time import DeployTimeUnknown
from driftdeck.core.inputs.cfn.stacks import DeployedStack, StackResource
from driftdeck.core.inputs.cfn.template import Template, TemplateResource, load_template
from driftdeck.core.model import DesiredResource, SourceRef
from driftdeck.core.resource_types.cloudformation import mapped_properties, terraform_type
from driftdeck.core.resource_types.projections import cfn_name_properties

SOURCE_KIND = "cloudformation"


def address_for(stack_or_file: str, logical_id: str) -> str:
    """The resource address used in reports: `cfn:<stack>/<LogicalId>`."""
    return f"cfn:{stack_or_file}/{logical_id}"


def desired_resources(
    stack_or_template: DeployedStack | Template,
    *,
    workspace_template: Template | str | Path | None = None,
    **template_options: Any,
) -> list[DesiredResource]:
    """Desired resources of the supported types.

    From a `DeployedStack`: one per stack resource that has a physical id; `attributes` are the
    deployed template's evaluated Properties (what CloudFormation applied) and, when
    `workspace_template` (the template file matched to the stack) is given, `code_attributes` are
    that file's evaluated Properties and `source.file/line` point into it.

    From a `Template` alone (not deployed, or no access to CloudFormation): only resources whose
    Terraform id is a name the template sets (bucket, role, user names) can be keyed; others are skipped.
    """
    if isinstance(stack_or_template, DeployedStack):
        return _from_stack(stack_or_template, workspace_template, template_options)
    return _from_template(stack_or_template)


def _from_stack(stack: DeployedStack, workspace: Template | str | Path | None, options: dict[str, Any]) -> list[DesiredResource]:
    deployed = stack.template(**options) if stack.template_body is not None else None
    code = _workspace(stack, workspace, options)
    standalone = _standalone_rules(deployed) if deployed else {}
    out: list[DesiredResource] = []
    for res in stack.resources:
        if res.type == NESTED_STACK_TYPE or not res.physical_id:
            continue  # a nested stack's resources come with it; no physical id: nothing exists to read
        tf_type = terraform_type(res.type)
        if tf_type is None:
            # Listed, never dropped: no collector reads this type, so the scan reports it `unknown`.
            out.append(_unsupported(stack, res))
            continue
        applied = deployed.resources.get(res.logical_id) if deployed else None
        written = code.resources.get(res.logical_id) if code else None
        reason = None
        if stack.error and applied is None:
            reason = f"stack {stack.name} could not be read: {stack.error}"
        elif applied is None:
            reason = f"{res.logical_id} is not in the deployed template of {stack.name}"
        elif not applied.evaluated:
            reason = applied.not_evaluated_reason
        out.append(
            DesiredResource(
                address=address_for(stack.name, res.logical_id),
                type=tf_type,
                id=res.physical_id,
                attributes=_with_stack_tags(
                    _with_standalone(applied, standalone.get(res.physical_id)), stack.tags, tf_type
                ),
                source=SourceRef(
                    kind=SOURCE_KIND,
                    file=code.file if written and code else None,
                    line=written.line if written else None,
                    state=stack.stack_id,
                    stack=stack.name,
                    logical_id=res.logical_id,
                ),
                sensitive_paths=applied.secret_properties if applied else frozenset(),
                code_attributes=dict(written.properties) if written and written.evaluated else None,
                reason=reason,
            )
        )
    return out


def _workspace(stack: DeployedStack, workspace: Template | str | Path | None, options: dict[str, Any]) -> Template | None:
    if workspace is None or isinstance(workspace, Template):
        return workspace
    # Evaluate the file as it would deploy into this stack: same parameters, pseudo parameters, ids.
    return load_template(
        workspace,
        parameters=stack.parameters,
        pseudo=stack.pseudo_parameters(),
        physical_ids=stack.physical_ids,
        resolved_parameters=stack.resolved_parameters,
        **options,
    )


_RULE_TYPES = {
    "AWS::EC2::SecurityGroupIngress": "SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress": "SecurityGroupEgress",
}


def _standalone_rules(template: Template) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Security group id -> rules defined as separate resources in the same stack."""
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for res in template.resources.values():
        direction = _RULE_TYPES.get(res.type)
        if direction is None or not res.evaluated or res.included is False:
            continue
        group = res.properties.get("GroupId")
        if not isinstance(group, str) or isinstance(group, DeployTimeUnknown):
            continue
        rule = {k: v for k, v in res.properties.items() if k not in ("GroupId", "GroupName")}
        out.setdefault(group, {}).setdefault(direction, []).append({"LogicalId": res.logical_id, "Rule": rule})
    return out


def _with_standalone(applied: TemplateResource | None, rules: dict[str, Any] | None) -> dict[str, Any]:
    if applied is None or not applied.evaluated:
        return {}
    attributes = dict(applied.properties)
    if rules and applied.type == "AWS::EC2::SecurityGroup":
        attributes[STANDALONE_RULES_KEY] = rules
    return attributes


def _with_stack_tags(attributes: dict[str, Any], tags: dict[str, str], tf_type: str) -> dict[str, Any]:
    if attributes and tags and "Tags" in mapped_properties(tf_type):
        attributes[STACK_TAGS_KEY] = dict(tags)
    return attributes


NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"


def _unsupported(stack: DeployedStack, res: StackResource) -> DesiredResource:
    """A stack resource of a type driftdeck has no mapping for, keyed by its CloudFormation type."""
    return DesiredResource(
        address=address_for(stack.name, res.logical_id),
        type=res.type,
        id=res.physical_id or "",
        attributes={},
        source=SourceRef(kind=SOURCE_KIND, state=stack.stack_id, stack=stack.name, logical_id=res.logical_id),
    )


# Terraform ids that a template can name by itself.
_NAME_IDS = cfn_name_properties()


def _from_template(template: Template) -> list[DesiredResource]:
    out: list[DesiredResource] = []
    stem = Path(template.file).stem
    for res in template.resources.values():
        tf_type = terraform_type(res.type)
        if tf_type is None or res.included is False:
            continue
        pid = _named_id(tf_type, res)
        if pid is None:
            continue
        out.append(
            DesiredResource(
                address=address_for(stem, res.logical_id),
                type=tf_type,
                id=pid,
                attributes=dict(res.properties),
                source=SourceRef(kind=SOURCE_KIND, file=template.file, line=res.line, logical_id=res.logical_id),
                sensitive_paths=res.secret_properties,
                code_attributes=dict(res.properties),
                reason=None if res.evaluated else res.not_evaluated_reason,
            )
        )
    return out


def _named_id(tf_type: str, res: TemplateResource) -> str | None:
    prop = _NAME_IDS.get(tf_type)
    value = res.properties.get(prop) if prop else None
    if isinstance(value, str) and not isinstance(value, DeployTimeUnknown) and value:
        return value
    return None
