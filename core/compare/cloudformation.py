"""Compare a stack's desired properties with live attributes, reporting CloudFormation property paths.

`compare_cfn` is pure: it takes a `DesiredResource` whose `attributes` are the template's evaluated
Properties and the live attributes a collector read (Terraform names), and returns differences with
paths in CloudFormation's PropertyPath style (`/Properties/Tags/1/Value`). Unknown template values
are never compared. Properties the template leaves unset are compared against the service default
and, when they differ, reported with `note="not in template"` (CloudFormation's own drift detection
never looks at those). `compare_code` gives the pending edits: workspace template vs deployed.

Emptiness, JSON policy documents and order-free matching are the engine's rules; what is
CloudFormation's own is the spelling of scalars (templates write `true` and `5` where services
echo "True" and "5"), the property rows and their paths.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from driftdeck.core.compare.cloudformation_properties import (
    MISSING,
    NOT_IN_TEMPLATE,
    RESERVED_PREFIX,
    STACK_TAGS_KEY,
    STANDALONE_RULES_KEY,
    RuleKey,
    cfn_rule_atoms,
    live_value,
    rule_as_cfn,
    template_value,
    tf_rule_atoms,
)
from driftdeck.core.compare.engine import (
    change_kind,
    documents_equal,
    is_empty,
    pair_in_any_order,
    without_empty_members,
)
from driftdeck.core.compare.policy import parse_policy
from driftdeck.core.model import ChangeKind, DesiredResource, Difference
from driftdeck.core.resource_types.cloudformation import PropertyMap, mapped_properties, property_maps
from driftdeck.core.unknown import contains_unknown, is_unknown, scalar_text


def _versioning_status(value: Any) -> Any:
    if isinstance(value, bool):
        return "Enabled" if value else None
    return value


LIVE_CONVERTERS: dict[str, Callable[[Any], Any]] = {"versioning_status": _versioning_status}


# ----------------------------------------------------------------------------------- scalars


def _text(value: Any) -> Any:
    """A scalar as the template would write it: booleans and whole numbers as text, "True" as
    "true"; other values (fractions, null, collections) unchanged."""
    if isinstance(value, str):
        return value.lower() if value.lower() in ("true", "false") else value
    if isinstance(value, (bool, int)) or (isinstance(value, float) and value.is_integer()):
        return scalar_text(value)
    return value


def same_scalar(expected: Any, actual: Any) -> bool:
    """Both empty, or the same once spelled as the template would."""
    if is_empty(expected) and is_empty(actual):
        return True
    return bool(_text(expected) == _text(actual))


# ----------------------------------------------------------------------------------- entry point


def compare_cfn(desired: DesiredResource, live_attributes: dict[str, Any]) -> list[Difference]:
    """Differences between the template's properties and the live attributes (Terraform names)."""
    if desired.reason is not None:
        return []  # the desired side is not known: never drift (the engine reports it unknown)
    diffs: list[Difference] = []
    properties = desired.attributes
    for row in property_maps(desired.type):
        _, live = live_value(live_attributes, row.tf)
        if live is MISSING:
            continue  # not read live: not checked
        if row.live_to_cfn:
            live = LIVE_CONVERTERS[row.live_to_cfn](live)
        expected = template_value(properties, row.cfn)
        unset = expected is MISSING
        if unset:
            if row.defaults is None:
                continue
            expected = row.defaults[0]
        elif is_unknown(expected):
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


def _scalar(row: PropertyMap, expected: Any, live: Any, desired: DesiredResource, unset: bool) -> list[Difference]:
    if is_empty(expected) and is_empty(live):
        return []  # a property unset in the template and an empty collection live are the same
    if isinstance(expected, (dict, list)) or isinstance(live, (dict, list)):
        if contains_unknown(expected) or _normalized(expected) == _normalized(live):
            return []
        return [Difference(_base(row), expected, live, change_kind(expected, live))]
    if same_scalar(expected, live):
        return []
    return [Difference(_base(row), expected, live, change_kind(expected, live))]


def _normalized(value: Any) -> Any:
    return without_empty_members(value, _text)


def _json(row: PropertyMap, expected: Any, live: Any, desired: DesiredResource, unset: bool) -> list[Difference]:
    if contains_unknown(expected):
        return []
    exp_doc, act_doc = parse_policy(expected), parse_policy(live)
    if documents_equal(_numbers_as_text(exp_doc), _numbers_as_text(act_doc)):
        return []
    return [Difference(_base(row), exp_doc, act_doc, change_kind(exp_doc, act_doc))]


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
        if not isinstance(key, str) or is_unknown(key):
            undecidable = True  # an unknown key could be any live tag
            continue
        seen.add(key)
        value = tag.get("Value", "")
        if key not in live_tags:
            out.append(Difference(f"{base}/{i}", {"Key": key, "Value": value}, None, ChangeKind.REMOVED))
        elif not is_unknown(value) and not same_scalar(value, live_tags[key]):
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
    known = [i for i, item in enumerate(wanted) if not contains_unknown(item)]
    missing, surplus = pair_in_any_order([wanted[i] for i in known], have, lambda w, h: bool(_text(w) == _text(h)))
    base = _base(row)
    out = [Difference(f"{base}/{known[k]}", wanted[known[k]], None, ChangeKind.REMOVED) for k in missing]
    if len(known) == len(wanted):  # an unknown member could be any live one: no additions then
        leftovers = [have[j] for j in surplus]
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
        if not isinstance(name, str) or is_unknown(name):
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
        if not documents_equal(_numbers_as_text(parse_policy(doc)), _numbers_as_text(live_doc)):
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


def _rules(row: PropertyMap, expected: Any, live: Any, desired: DesiredResource, unset: bool) -> list[Difference]:
    wanted = expected if isinstance(expected, list) else []
    pool: list[tuple[RuleKey, Any]] = []
    for rule in live or []:
        if isinstance(rule, dict):
            pool.extend(tf_rule_atoms(rule, desired.id))
    out: list[Difference] = []
    undecidable = False
    base = _base(row)
    for i, rule in enumerate(wanted):
        if not isinstance(rule, dict) or contains_unknown(rule):
            undecidable = True
            continue
        for key, description in cfn_rule_atoms(rule, desired.id):
            match = _take_atom(pool, key)
            if match is None:
                out.append(Difference(f"{base}/{i}", rule, None, ChangeKind.REMOVED))
                continue
            if not same_scalar(description, match[1]):
                out.append(Difference(f"{base}/{i}/Description", description, match[1], change_kind(description, match[1])))
    # Rules the stack defines as separate AWS::EC2::SecurityGroupIngress/Egress resources belong to
    # this group too: without them every such rule would look like an out-of-band addition.
    standalone = (desired.attributes.get(STANDALONE_RULES_KEY) or {}).get(row.cfn) or []
    for k, entry in enumerate(standalone):
        rule, logical = entry.get("Rule"), entry.get("LogicalId")
        if not isinstance(rule, dict) or contains_unknown(rule):
            undecidable = True
            continue
        for key, _description in cfn_rule_atoms(rule, desired.id):
            if _take_atom(pool, key) is None:
                out.append(
                    Difference(f"{base}/{len(wanted) + k}", rule, None, ChangeKind.REMOVED, note=f"defined by {logical}")
                )
    if not undecidable:
        offset = len(wanted) + len(standalone)
        for j, (key, description) in enumerate(sorted(pool, key=str)):
            out.append(Difference(f"{base}/{offset + j}", None, rule_as_cfn(key, description), ChangeKind.ADDED))
    return out


def _take_atom(pool: list[tuple[RuleKey, Any]], key: RuleKey) -> tuple[RuleKey, Any] | None:
    """The first live atom with this key, taken out of the pool (each live rule pairs once)."""
    match = next((atom for atom in pool if atom[0] == key), None)
    if match is not None:
        pool.remove(match)
    return match


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
    if is_unknown(deployed) or is_unknown(code):
        return
    if is_empty(deployed) and is_empty(code):
        return  # null, "", [] and {} all leave the property unset
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
    # The code adds what is not deployed and removes what it no longer sets.
    return change_kind(deployed, code)
