"""The template's properties spelled as Terraform attributes (the reverse of the comparison tables).

Collectors and front ends that only know Terraform names (a collector's sub-resource checks read
`inline_policy` / `managed_policy_arns`, a detail pane shows `visibility_timeout_seconds`) can use
this view of a CloudFormation desired resource. Unknown values are left out.
"""

from __future__ import annotations

import json
from typing import Any

from driftdeck.core.compare.cloudformation_properties import (
    MISSING,
    STACK_TAGS_KEY,
    STANDALONE_RULES_KEY,
    cfn_rule_atoms,
    template_value,
    terraform_steps,
)
from driftdeck.core.model import DesiredResource
from driftdeck.core.resource_types.cloudformation import property_maps
from driftdeck.core.unknown import contains_unknown

_TF_SOURCE_FIELD = {"cidr": "cidr_blocks", "cidr6": "ipv6_cidr_blocks", "sg": "security_groups", "pl": "prefix_list_ids"}


def terraform_view(desired: DesiredResource) -> dict[str, Any]:
    """Terraform-named attributes for the properties the template sets (and that are known)."""
    out: dict[str, Any] = {}
    props = desired.attributes
    for row in property_maps(desired.type):
        value = template_value(props, row.cfn)
        if value is MISSING or contains_unknown(value):
            continue
        converted = _CONVERT.get(row.kind, _same)(value, desired)
        if row.live_to_cfn == "versioning_status":
            _set(out, "versioning", [{"enabled": value == "Enabled"}])
            continue
        _set(out, row.tf[0], converted)
    stack_tags = props.get(STACK_TAGS_KEY) or {}
    if stack_tags and "tags" in out:
        out["tags"] = {**stack_tags, **out["tags"]}
    if desired.type == "aws_security_group":
        for direction, tf_name in (("SecurityGroupIngress", "ingress"), ("SecurityGroupEgress", "egress")):
            extra = (props.get(STANDALONE_RULES_KEY) or {}).get(direction) or []
            rules = [e["Rule"] for e in extra if isinstance(e, dict) and not contains_unknown(e.get("Rule"))]
            if rules:
                out[tf_name] = list(out.get(tf_name) or []) + _rules(rules, desired)
    return out


def _same(value: Any, desired: DesiredResource) -> Any:
    return value


def _tags(value: Any, desired: DesiredResource) -> Any:
    return {t["Key"]: t.get("Value", "") for t in value or [] if isinstance(t, dict) and "Key" in t}


def _json(value: Any, desired: DesiredResource) -> Any:
    return value if isinstance(value, str) else json.dumps(value)


def _inline(value: Any, desired: DesiredResource) -> Any:
    return [
        {"name": p.get("PolicyName"), "policy": _json(p.get("PolicyDocument"), desired)}
        for p in value or []
        if isinstance(p, dict)
    ]


def _rules(value: Any, desired: DesiredResource) -> Any:
    blocks = []
    for rule in value or []:
        if not isinstance(rule, dict):
            continue
        for (protocol, from_port, to_port, kind, source), description in cfn_rule_atoms(rule, desired.id):
            block: dict[str, Any] = {
                "protocol": protocol,
                "from_port": 0 if from_port is None else from_port,
                "to_port": 0 if to_port is None else to_port,
                "cidr_blocks": [], "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [],
                "self": False,
                "description": description or "",
            }
            if kind == "sg" and source == desired.id:
                block["self"] = True
            else:
                block[_TF_SOURCE_FIELD[kind]] = [source]
            blocks.append(block)
    return blocks


_CONVERT = {"tags": _tags, "json": _json, "inline_policies": _inline, "rules": _rules, "set": _same}


def _set(out: dict[str, Any], path: str, value: Any) -> None:
    steps = terraform_steps(path)
    current: Any = out
    for step, following in zip(steps, steps[1:], strict=False):
        container: Any = [] if isinstance(following, int) else {}
        if isinstance(step, int):
            while len(current) <= step:
                current.append({} if not isinstance(following, int) else [])
            current = current[step]
        else:
            current = current.setdefault(step, container)
    last = steps[-1]
    if isinstance(last, int):
        while len(current) <= last:
            current.append(None)
    current[last] = value
