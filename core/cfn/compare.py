"""Compare a stack's desired properties with live attributes, reporting CloudFormation property paths.

`compare_cfn` is pure: it takes a `DesiredResource` whose `attributes` are the template's evaluated
Properties and the live attributes a collector read (Terraform names), and returns differences with
paths in CloudFormation's PropertyPath style (`/Properties/Tags/1/Value`). Unknown template values
are never compared. Properties the template leaves unset are compared against the service default
and, when they differ, reported with `note="not in template"` (CloudFormation's own drift detection
never looks at those).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from driftdeck.core.cfn.mapping import PropertyMap, mapped_properties, property_maps
from driftdeck.core.cfn.values import Unknown, contains_unknown
from driftdeck.core.model import ChangeKind, DesiredResource, Difference
from driftdeck.core.policy import normalize_policy, parse_policy

NOT_IN_TEMPLATE = "not in template"
# Reserved key in a security group's desired attributes: rules the stack defines as separate
# AWS::EC2::SecurityGroupIngress/Egress resources, {"SecurityGroupIngress": [{"LogicalId", "Rule"}], ...}.
STANDALONE_RULES_KEY = "driftdeck:StandaloneRules"
# Reserved key: the stack's own tags, which CloudFormation propagates to the resources it creates.
STACK_TAGS_KEY = "driftdeck:StackTags"
RESERVED_PREFIX = "driftdeck:"
_MISSING = object()


def _versioning_status(value: Any) -> Any:
    if isinstance(value, bool):
        return "Enabled" if value else None
    return value


LIVE_CONVERTERS: dict[str, Callable[[Any], Any]] = {"versioning_status": _versioning_status}


# ----------------------------------------------------------------------------------- paths


def _tf_steps(path: str) -> list[str | int]:
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


def _walk(value: Any, steps: list[str | int]) -> Any:
    for step in steps:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return _MISSING
            value = value[step]
        else:
            if not isinstance(value, dict) or step not in value:
                return _MISSING
            value = value[step]
    return value


def live_value(live: dict[str, Any], candidates: tuple[str, ...]) -> tuple[str | None, Any]:
    """The first candidate Terraform path present in the live attributes (None, _MISSING when none)."""
    for path in candidates:
        value = _walk(live, _tf_steps(path))
        if value is not _MISSING:
            return path, value
        # A nested block that is present but empty ([] / None) means "not configured".
        top = _tf_steps(path)[0]
        if len(_tf_steps(path)) > 1 and top in live and live[top] in (None, [], {}):
            return path, None
    return None, _MISSING


def template_value(properties: dict[str, Any], cfn_path: str) -> Any:
    steps: list[str | int] = [int(p) if p.isdigit() else p for p in cfn_path.split("/")]
    return _walk(properties, steps)


# ----------------------------------------------------------------------------------- scalars


def _text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower()
    return value


def same_scalar(expected: Any, actual: Any) -> bool:
    if _empty(expected) and _empty(actual):
        return True
    return bool(_text(expected) == _text(actual))


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


# ----------------------------------------------------------------------------------- entry point


def compare_cfn(desired: DesiredResource, live_attributes: dict[str, Any]) -> list[Difference]:
    """Differences between the template's properties and the live attributes (Terraform names)."""
    if desired.reason is not None:
        return []  # the desired side is not known: never drift (the engine reports it unknown)
    diffs: list[Difference] = []
    properties = desired.attributes
    for row in property_maps(desired.type):
        _, live = live_value(live_attributes, row.tf)
        if live is _MISSING:
            continue  # not read live: not checked
        if row.live_to_cfn:
            live = LIVE_CONVERTERS[row.live_to_cfn](live)
        expected = template_value(properties, row.cfn)
        unset = expected is _MISSING
        if unset:
            if row.defaults is None:
                continue
            expected = row.defaults[0]
        elif isinstance(expected, Unknown):
            continue
        found = _COMPARERS[row.kind](row, expected, live, desired, unset)
        top = row.cfn.split("/", 1)[0]
        secret = top in desired.sensitive_paths
        for diff in found:
            if unset and row.kind == "scalar" and any(same_scalar(d, live) for d in row.defaults or ()):
                continue
            diffs.append(
                Difference(
                    diff.path,
                    diff.expected,
                    diff.actual,
                    diff.change,
                    sensitive=secret,
                    note=diff.note or (NOT_IN_TEMPLATE if unset else None),
                )
            )
    return diffs


def unchecked_properties(desired: DesiredResource) -> list[str]:
    """Template properties no comparison row covers (shown as "not checked", never as in sync)."""
    mapped = mapped_properties(desired.type)
    return sorted(k for k in desired.attributes if k not in mapped and not k.startswith(RESERVED_PREFIX))


def _base(row: PropertyMap) -> str:
    return "/Properties/" + row.cfn


def _change(expected: Any, actual: Any) -> ChangeKind:
    if _empty(expected):
        return ChangeKind.ADDED
    if _empty(actual):
        return ChangeKind.REMOVED
    return ChangeKind.UPDATED


def _scalar(row: PropertyMap, expected: Any, live: Any, desired: DesiredResource, unset: bool) -> list[Difference]:
    if isinstance(expected, (dict, list)) or isinstance(live, (dict, list)):
        if contains_unknown(expected) or _normalized(expected) == _normalized(live):
            return []
        return [Difference(_base(row), expected, live, _change(expected, live))]
    if same_scalar(expected, live):
        return []
    return [Difference(_base(row), expected, live, _change(expected, live))]


def _normalized(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normalized(v) for k, v in value.items() if not _empty(v)}
    if isinstance(value, list):
        return [_normalized(v) for v in value]
    return _text(value)


def _json(row: PropertyMap, expected: Any, live: Any, desired: DesiredResource, unset: bool) -> list[Difference]:
    if contains_unknown(expected):
        return []
    exp_doc, act_doc = parse_policy(expected), parse_policy(live)
    if _empty(exp_doc) and _empty(act_doc):
        return []
    if normalize_policy(_numbers_as_text(exp_doc)) == normalize_policy(_numbers_as_text(act_doc)):
        return []
    return [Difference(_base(row), exp_doc, act_doc, _change(exp_doc, act_doc))]


def _numbers_as_text(doc: Any) -> Any:
    # Templates write `maxReceiveCount: 5`, services echo "5": the same document.
    if isinstance(doc, dict):
        return {k: _numbers_as_text(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_numbers_as_text(v) for v in doc]
    return _text(doc)


def _tags(row: PropertyMap, expected: Any, live: Any, desired: DesiredResource, unset: bool) -> list[Difference]:
    live_tags = {k: v for k, v in (live or {}).items() if not str(k).startswith("aws:")}
    template_tags = expected if isinstance(expected, list) else []
    out: list[Difference] = []
    seen: set[str] = set()
    undecidable = False
    base = _base(row)
    for i, tag in enumerate(template_tags):
        key = tag.get("Key") if isinstance(tag, dict) else None
        if not isinstance(key, str) or isinstance(key, Unknown):
            undecidable = True  # an unknown key could be any live tag
            continue
        seen.add(key)
        value = tag.get("Value", "")
        if key not in live_tags:
            out.append(Difference(f"{base}/{i}", {"Key": key, "Value": value}, None, ChangeKind.REMOVED))
        elif not isinstance(value, Unknown) and not same_scalar(value, live_tags[key]):
            out.append(Difference(f"{base}/{i}/Value", value, live_tags[key], ChangeKind.UPDATED))
    # Stack-level tags reach most resource types (not all): present with another value is drift,
    # absent is not.
    stack_tags = desired.attributes.get(STACK_TAGS_KEY) or {}
    stack_only = sorted((k, v) for k, v in stack_tags.items() if k not in seen)
    for k, (key, value) in enumerate(stack_only):
        seen.add(key)
        if key in live_tags and not same_scalar(value, live_tags[key]):
            out.append(
                Difference(f"{base}/{len(template_tags) + k}/Value", value, live_tags[key], ChangeKind.UPDATED, note="stack tag")
            )
    if not undecidable:
        extra = sorted(k for k in live_tags if k not in seen)
        for j, key in enumerate(extra):
            out.append(
                Difference(
                    f"{base}/{len(template_tags) + len(stack_only) + j}",
                    None,
                    {"Key": key, "Value": live_tags[key]},
                    ChangeKind.ADDED,
                )
            )
    return out


def _set(row: PropertyMap, expected: Any, live: Any, desired: DesiredResource, unset: bool) -> list[Difference]:
    wanted = expected if isinstance(expected, list) else [expected]
    have = list(live or []) if isinstance(live, (list, tuple, set)) else [live]
    pool = [_text(v) for v in have]
    out: list[Difference] = []
    undecidable = False
    base = _base(row)
    for i, item in enumerate(wanted):
        if contains_unknown(item):
            undecidable = True
            continue
        if _text(item) in pool:
            pool.remove(_text(item))
        else:
            out.append(Difference(f"{base}/{i}", item, None, ChangeKind.REMOVED))
    if not undecidable:
        leftovers = [v for v in have if _text(v) in pool]
        for j, item in enumerate(sorted(leftovers, key=str)):
            out.append(Difference(f"{base}/{len(wanted) + j}", None, item, ChangeKind.ADDED))
    return out


def _inline_policies(row: PropertyMap, expected: Any, live: Any, desired: DesiredResource, unset: bool) -> list[Difference]:
    wanted = expected if isinstance(expected, list) else []
    have = {
        p.get("name"): p.get("policy")
        for p in (live or [])
        if isinstance(p, dict) and p.get("name")
    }
    out: list[Difference] = []
    undecidable = False
    base = _base(row)
    seen: set[str] = set()
    for i, policy in enumerate(wanted):
        name = policy.get("PolicyName") if isinstance(policy, dict) else None
        if not isinstance(name, str) or isinstance(name, Unknown):
            undecidable = True
            continue
        seen.add(name)
        if name not in have:
            out.append(Difference(f"{base}/{i}", policy, None, ChangeKind.REMOVED))
            continue
        doc = policy.get("PolicyDocument")
        if contains_unknown(doc):
            continue
        live_doc = parse_policy(have[name])
        if normalize_policy(_numbers_as_text(parse_policy(doc))) != normalize_policy(_numbers_as_text(live_doc)):
            out.append(Difference(f"{base}/{i}/PolicyDocument", parse_policy(doc), live_doc, ChangeKind.UPDATED))
    if not undecidable:
        for j, name in enumerate(sorted(str(n) for n in have if n not in seen)):
            out.append(
                Difference(
                    f"{base}/{len(wanted) + j}",
                    None,
                    {"PolicyName": name, "PolicyDocument": parse_policy(have[name])},
                    ChangeKind.ADDED,
                )
            )
    return out


# ----------------------------------------------------------------------------------- security group rules

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


def _cfn_rule_atoms(rule: dict[str, Any], own_id: str) -> list[tuple[RuleKey, Any]]:
    protocol = _protocol(rule.get("IpProtocol", "-1"))
    ports = _ports(protocol, rule.get("FromPort"), rule.get("ToPort"))
    atoms = []
    for field, kind in _CFN_SOURCES:
        if field in rule:
            atoms.append(((protocol, ports[0], ports[1], kind, str(rule[field])), rule.get("Description")))
    return atoms


def _tf_rule_atoms(rule: dict[str, Any], own_id: str) -> list[tuple[RuleKey, Any]]:
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


def _rule_as_cfn(key: RuleKey, description: Any) -> dict[str, Any]:
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


def _rules(row: PropertyMap, expected: Any, live: Any, desired: DesiredResource, unset: bool) -> list[Difference]:
    wanted = expected if isinstance(expected, list) else []
    pool: list[tuple[RuleKey, Any]] = []
    for rule in live or []:
        if isinstance(rule, dict):
            pool.extend(_tf_rule_atoms(rule, desired.id))
    out: list[Difference] = []
    undecidable = False
    base = _base(row)
    for i, rule in enumerate(wanted):
        if not isinstance(rule, dict) or contains_unknown(rule):
            undecidable = True
            continue
        for key, description in _cfn_rule_atoms(rule, desired.id):
            match = next((atom for atom in pool if atom[0] == key), None)
            if match is None:
                out.append(Difference(f"{base}/{i}", rule, None, ChangeKind.REMOVED))
                continue
            pool.remove(match)
            if not same_scalar(description, match[1]):
                out.append(Difference(f"{base}/{i}/Description", description, match[1], _change(description, match[1])))
    # Rules the stack defines as separate AWS::EC2::SecurityGroupIngress/Egress resources belong to
    # this group too: without them every such rule would look like an out-of-band addition.
    standalone = (desired.attributes.get(STANDALONE_RULES_KEY) or {}).get(row.cfn) or []
    for k, entry in enumerate(standalone):
        rule, logical = entry.get("Rule"), entry.get("LogicalId")
        if not isinstance(rule, dict) or contains_unknown(rule):
            undecidable = True
            continue
        for key, _description in _cfn_rule_atoms(rule, desired.id):
            match = next((atom for atom in pool if atom[0] == key), None)
            if match is None:
                out.append(
                    Difference(f"{base}/{len(wanted) + k}", rule, None, ChangeKind.REMOVED, note=f"defined by {logical}")
                )
            else:
                pool.remove(match)
    if not undecidable:
        offset = len(wanted) + len(standalone)
        for j, (key, description) in enumerate(sorted(pool, key=str)):
            out.append(Difference(f"{base}/{offset + j}", None, _rule_as_cfn(key, description), ChangeKind.ADDED))
    return out


_COMPARERS: dict[str, Callable[[PropertyMap, Any, Any, DesiredResource, bool], list[Difference]]] = {
    "scalar": _scalar,
    "json": _json,
    "tags": _tags,
    "set": _set,
    "inline_policies": _inline_policies,
    "rules": _rules,
}


# ----------------------------------------------------------------------------------- code vs deployed


def compare_code(desired: DesiredResource) -> list[Difference]:
    """Pending edits: the workspace template's properties vs the deployed ones (side="code").

    As for Terraform code, `expected` is the code's (workspace template's) value and `actual` the
    deployed one; `added` means the code adds it, `removed` that the code drops it.
    """
    if desired.code_attributes is None:
        return []
    out: list[Difference] = []
    deployed = {k: v for k, v in desired.attributes.items() if not k.startswith(RESERVED_PREFIX)}
    _diff_tree("/Properties", deployed, desired.code_attributes, out)
    secret = desired.sensitive_paths
    return [
        Difference(d.path, d.expected, d.actual, d.change, side="code", sensitive=True)
        if d.path.split("/")[2] in secret
        else d
        for d in out
    ]


def _diff_tree(path: str, deployed: Any, code: Any, out: list[Difference]) -> None:
    if isinstance(deployed, Unknown) or isinstance(code, Unknown):
        return
    if isinstance(deployed, dict) and isinstance(code, dict):
        for key in sorted(set(deployed) | set(code)):
            _diff_tree(f"{path}/{key}", deployed.get(key), code.get(key), out)
        return
    if isinstance(deployed, list) and isinstance(code, list) and len(deployed) == len(code):
        for i, (a, b) in enumerate(zip(deployed, code, strict=True)):
            _diff_tree(f"{path}/{i}", a, b, out)
        return
    if isinstance(deployed, (dict, list)) or isinstance(code, (dict, list)):
        if _normalized(deployed) != _normalized(code) and not contains_unknown(deployed) and not contains_unknown(code):
            out.append(Difference(path, code, deployed, _code_change(code, deployed), side="code"))
        return
    if not same_scalar(deployed, code):
        out.append(Difference(path, code, deployed, _code_change(code, deployed), side="code"))


def _code_change(code: Any, deployed: Any) -> ChangeKind:
    if _empty(deployed):
        return ChangeKind.ADDED
    if _empty(code):
        return ChangeKind.REMOVED
    return ChangeKind.UPDATED
