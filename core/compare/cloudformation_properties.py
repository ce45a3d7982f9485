"""How a stack's properties are addressed, and what the desired side reserves.

Shared by the comparison (`core.compare.cloudformation`) and the Terraform view (`tfview`): paths
into the template's properties and into Terraform-named live attributes, the reserved keys
`desired` adds beside the properties, and security group rules broken into comparable atoms (a
template rule and a Terraform block name their sources differently).
"""

from __future__ import annotations

from typing import Any

# The note on a difference for a property the template leaves unset (compared with the service's
# default; CloudFormation's own drift detection never looks at those).
NOT_IN_TEMPLATE = "not in template"
# Reserved key in a security group's desired attributes: rules the stack defines as separate
# AWS::EC2::SecurityGroupIngress/Egress resources, {"SecurityGroupIngress": [{"LogicalId", "Rule"}], ...}.
STANDALONE_RULES_KEY = "driftdeck:StandaloneRules"
# Reserved key: the stack's own tags, which CloudFormation propagates to the resources it creates.
STACK_TAGS_KEY = "driftdeck:StackTags"
RESERVED_PREFIX = "driftdeck:"
# What a path names when nothing is there (unlike None, which is a value).
MISSING = object()


def terraform_steps(path: str) -> list[str | int]:
    """`a.b[0][1]` -> ["a", "b", 0, 1]."""
    steps: list[str | int] = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        if name:
            steps.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            steps.append(int(index))
            rest = rest[1:] if rest.startswith("[") else rest
    return steps


def _follow(value: Any, steps: list[str | int]) -> Any:
    for step in steps:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return MISSING
            value = value[step]
        else:
            if not isinstance(value, dict) or step not in value:
                return MISSING
            value = value[step]
    return value


def live_value(live: dict[str, Any], candidates: tuple[str, ...]) -> tuple[str | None, Any]:
    """The first candidate Terraform path present in the live attributes (None, MISSING when none)."""
    for path in candidates:
        value = _follow(live, terraform_steps(path))
        if value is not MISSING:
            return path, value
        # A nested block that is present but empty ([] / None) means "not configured".
        top = terraform_steps(path)[0]
        if len(terraform_steps(path)) > 1 and top in live and live[top] in (None, [], {}):
            return path, None
    return None, MISSING


def template_value(properties: dict[str, Any], cfn_path: str) -> Any:
    """The value at a CloudFormation property path (`Tags/0/Value`), or MISSING."""
    steps: list[str | int] = [int(p) if p.isdigit() else p for p in cfn_path.split("/")]
    return _follow(properties, steps)


# --- security group rules as atoms ------------------------------------------------------------

_PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}
_CFN_SOURCES = (
    ("CidrIp", "cidr"),
    ("CidrIpv6", "cidr6"),
    ("SourceSecurityGroupId", "sg"),
    ("DestinationSecurityGroupId", "sg"),
    ("SourceSecurityGroupName", "sg"),
    ("SourcePrefixListId", "pl"),
    ("DestinationPrefixListId", "pl"),
)
_TF_SOURCES = (("cidr_blocks", "cidr"), ("ipv6_cidr_blocks", "cidr6"), ("security_groups", "sg"), ("prefix_list_ids", "pl"))
_CFN_FIELD = {"cidr": "CidrIp", "cidr6": "CidrIpv6", "sg": "SourceSecurityGroupId", "pl": "SourcePrefixListId"}

RuleKey = tuple[str, Any, Any, str, str]


def _ports(protocol: str, from_port: Any, to_port: Any) -> tuple[Any, Any]:
    if protocol == "-1":
        return None, None
    def as_int(v: Any) -> Any:
        try:
            return int(v)
        except (TypeError, ValueError):
            return None
    return as_int(from_port), as_int(to_port)


def _protocol(value: Any) -> str:
    text = str(value).lower()
    return _PROTOCOLS.get(text, text)


def cfn_rule_atoms(rule: dict[str, Any], own_id: str) -> list[tuple[RuleKey, Any]]:
    """A template rule as (protocol, from, to, source kind, source) atoms with its description."""
    protocol = _protocol(rule.get("IpProtocol", "-1"))
    ports = _ports(protocol, rule.get("FromPort"), rule.get("ToPort"))
    atoms = []
    for field, kind in _CFN_SOURCES:
        if field in rule:
            atoms.append(((protocol, ports[0], ports[1], kind, str(rule[field])), rule.get("Description")))
    return atoms


def tf_rule_atoms(rule: dict[str, Any], own_id: str) -> list[tuple[RuleKey, Any]]:
    """A Terraform `ingress`/`egress` block as the same atoms (one per source)."""
    protocol = _protocol(rule.get("protocol", "-1"))
    ports = _ports(protocol, rule.get("from_port"), rule.get("to_port"))
    description = rule.get("description")
    atoms = []
    for field, kind in _TF_SOURCES:
        for value in rule.get(field) or []:
            atoms.append(((protocol, ports[0], ports[1], kind, str(value)), description))
    if rule.get("self"):
        atoms.append(((protocol, ports[0], ports[1], "sg", own_id), description))
    return atoms


def rule_as_cfn(key: RuleKey, description: Any) -> dict[str, Any]:
    """One atom spelled as a template rule."""
    protocol, from_port, to_port, kind, value = key
    out: dict[str, Any] = {"IpProtocol": protocol}
    if from_port is not None:
        out["FromPort"] = from_port
    if to_port is not None:
        out["ToPort"] = to_port
    out[_CFN_FIELD[kind]] = value
    if description:
        out["Description"] = description
    return out
