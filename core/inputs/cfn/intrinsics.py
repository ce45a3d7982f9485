"""Evaluate CloudFormation intrinsic functions where their inputs are known.

Whatever depends on something only a deployment knows (an attribute of a resource not yet read, a
parameter with no value, a macro) evaluates to an `DeployTimeUnknown`, which comparison never reports as drift.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from driftdeck.core.inputs.cfn.deploy_time import NO_VALUE, DeployTimeUnknown, first_unknown
from driftdeck.core.inputs.cfn.parse import Node
from driftdeck.core.model import partition_for
from driftdeck.core.resource_types.projections import cfn_attributes
from driftdeck.core.unknown import scalar_text

PSEUDO_PARAMETERS = (
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
)


def normalize_pseudo(pseudo: dict[str, Any] | None) -> dict[str, Any]:
    """Accept `{"AWS::Region": ...}` or `{"Region": ...}`; derive Partition/URLSuffix from the region."""
    out: dict[str, Any] = {}
    for key, value in (pseudo or {}).items():
        name = key if key.startswith("AWS::") else f"AWS::{key}"
        if name not in PSEUDO_PARAMETERS:
            raise ValueError(f"unknown pseudo parameter {key!r}")
        out[name] = value
    region = out.get("AWS::Region")
    if isinstance(region, str) and region:
        out.setdefault("AWS::Partition", partition_for(region))
        out.setdefault("AWS::URLSuffix", "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com")
    return out


# How to compute an attribute of a deployed resource from its physical id, for the types we support.
def _last(sep: str) -> Callable[[str, EvalContext, Node], Any]:
    return lambda pid, ctx, res: pid.rsplit(sep, 1)[-1]


def _arn(service: str, fmt: str, regional: bool = True, account: bool = True) -> Callable[..., Any]:
    def build(pid: str, ctx: EvalContext, res: Node) -> Any:
        part = ctx.pseudo.get("AWS::Partition")
        region = ctx.pseudo.get("AWS::Region") if regional else ""
        acct = ctx.pseudo.get("AWS::AccountId") if account else ""
        for needed in (part, region, acct):
            if needed is None:
                return DeployTimeUnknown(f"{service} ARN needs the account and region")
        return f"arn:{part}:{service}:{region}:{acct}:" + fmt.format(id=pid, name=pid.rsplit("/", 1)[-1])

    return build


def _s3_arn(pid: str, ctx: EvalContext, res: Node) -> Any:
    return f"arn:{ctx.pseudo.get('AWS::Partition', 'aws')}:s3:::{pid}"


def _same(pid: str, ctx: EvalContext, res: Node) -> Any:
    return pid


def _property(name: str) -> Callable[[str, EvalContext, Node], Any]:
    def read(pid: str, ctx: EvalContext, res: Node) -> Any:
        props = res.get("Properties")
        if isinstance(props, dict) and name in props:
            return ctx.evaluate(props[name])
        return DeployTimeUnknown(f"{name} is set by the service")

    return read


def _role_arn(pid: str, ctx: EvalContext, res: Node) -> Any:
    acct = ctx.pseudo.get("AWS::AccountId")
    if acct is None:
        return DeployTimeUnknown("role ARN needs the account id")
    props = res.get("Properties") if isinstance(res.get("Properties"), dict) else {}
    path = ctx.evaluate(props.get("Path", "/")) if props else "/"
    if isinstance(path, DeployTimeUnknown):
        return path
    return f"arn:{ctx.pseudo.get('AWS::Partition', 'aws')}:iam::{acct}:role{path}{pid}"


# Derivation name (`Identity.cfn_attributes`) -> how the value follows from the physical id.
_DERIVATIONS: dict[str, Callable[[str, EvalContext, Node], Any]] = {
    "same": _same,
    "s3_arn": _s3_arn,
    "s3_domain_name": lambda pid, ctx, res: f"{pid}.s3.amazonaws.com",
    "last_path_segment": _last("/"),
    "last_arn_segment": _last(":"),
    "sqs_arn": _arn("sqs", "{name}"),
    "role_arn": _role_arn,
}


def _derivation(name: str) -> Callable[[str, EvalContext, Node], Any]:
    prefix, _, prop = name.partition(":")
    return _property(prop) if prefix == "property" else _DERIVATIONS[name]


# CloudFormation type -> Fn::GetAtt attribute -> its value from the physical id (from the registry).
KNOWN_ATTRIBUTES: dict[str, dict[str, Callable[[str, EvalContext, Node], Any]]] = {
    cfn_type: {attribute: _derivation(how) for attribute, how in attributes.items()}
    for cfn_type, attributes in cfn_attributes().items()
}


@dataclass
class EvalContext:
    """Everything intrinsic functions may read, for one template."""

    file: str
    parameters: dict[str, Any] = field(default_factory=dict)
    no_echo: set[str] = field(default_factory=set)
    mappings: dict[str, Any] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)
    pseudo: dict[str, Any] = field(default_factory=dict)
    physical_ids: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], Any] = field(default_factory=dict)
    exports: dict[str, Any] | None = None
    availability_zones: list[str] | None = None
    warnings: list[str] = field(default_factory=list)
    # Set when a NoEcho parameter was read since the last reset (the value is a secret).
    touched_secret: bool = False
    _condition_values: dict[str, Any] = field(default_factory=dict)
    _evaluating: set[str] = field(default_factory=set)

    # ------------------------------------------------------------------ entry points

    def evaluate(self, value: Any) -> Any:
        """The value with every intrinsic function resolved (or DeployTimeUnknown); NO_VALUE when removed."""
        if isinstance(value, dict):
            if len(value) == 1:
                (key, arg), = value.items()
                handler = _FUNCTIONS.get(key)
                if handler is not None and not (key == "Condition" and not isinstance(arg, str)):
                    return handler(self, arg)
                if key.startswith("Fn::") or ("::" in key and not key.startswith("AWS::")):
                    return DeployTimeUnknown(f"{key} is not evaluated")
            out: dict[str, Any] = {}
            for key, item in value.items():
                evaluated = self.evaluate(item)
                if evaluated is not NO_VALUE:
                    out[key] = evaluated
            return out
        if isinstance(value, list):
            return [e for e in (self.evaluate(item) for item in value) if e is not NO_VALUE]
        return value

    def condition(self, name: str) -> Any:
        """True/False, or DeployTimeUnknown when the condition depends on something unknown."""
        if name in self._condition_values:
            return self._condition_values[name]
        if name not in self.conditions:
            self.warnings.append(f"{self.file}: condition {name!r} is not defined")
            return DeployTimeUnknown(f"condition {name} is not defined")
        if name in self._evaluating:
            self.warnings.append(f"{self.file}: condition {name!r} refers to itself")
            return DeployTimeUnknown(f"condition {name} is circular")
        self._evaluating.add(name)
        try:
            result = _truth(self.evaluate(self.conditions[name]))
        finally:
            self._evaluating.discard(name)
        self._condition_values[name] = result
        return result

    # ------------------------------------------------------------------ helpers

    def ref(self, name: Any) -> Any:
        if isinstance(name, DeployTimeUnknown):
            return name
        if not isinstance(name, str):
            name = self.evaluate(name)
            if not isinstance(name, str) or isinstance(name, DeployTimeUnknown):
                return DeployTimeUnknown("Ref to a computed name")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            if name in self.no_echo:
                self.touched_secret = True
            return self.parameters[name]
        if name.startswith("AWS::"):
            if name in self.pseudo:
                return self.pseudo[name]
            if name not in PSEUDO_PARAMETERS:
                self.warnings.append(f"{self.file}: Ref to unknown pseudo parameter {name}")
            return DeployTimeUnknown(f"{name} is not known")
        if name in self.resources:
            if name in self.physical_ids:
                return self.physical_ids[name]
            return DeployTimeUnknown(f"physical id of {name}")
        self.warnings.append(f"{self.file}: Ref to undefined name {name!r}")
        return DeployTimeUnknown(f"{name} is not defined")

    def get_att(self, logical: str, attribute: str) -> Any:
        if (logical, attribute) in self.attributes:
            return self.attributes[(logical, attribute)]
        resource = self.resources.get(logical)
        if not isinstance(resource, dict):
            self.warnings.append(f"{self.file}: GetAtt on undefined resource {logical!r}")
            return DeployTimeUnknown(f"{logical} is not defined")
        pid = self.physical_ids.get(logical)
        rtype = resource.get("Type")
        if pid is not None and isinstance(rtype, str):
            derive = KNOWN_ATTRIBUTES.get(rtype, {}).get(attribute)
            if derive is not None:
                return derive(pid, self, resource)  # type: ignore[arg-type]
        return DeployTimeUnknown(f"{logical}.{attribute}")


def _truth(value: Any) -> Any:
    if isinstance(value, DeployTimeUnknown):
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return DeployTimeUnknown(f"not a condition value: {value!r}")


def _args(arg: Any, count: int, name: str) -> list[Any] | None:
    if isinstance(arg, list) and len(arg) >= count:
        return arg
    return None


# ---------------------------------------------------------------------------------- functions


def _fn_ref(ctx: EvalContext, arg: Any) -> Any:
    return ctx.ref(arg)


def _fn_condition(ctx: EvalContext, arg: Any) -> Any:
    return ctx.condition(arg)


def _fn_get_att(ctx: EvalContext, arg: Any) -> Any:
    if isinstance(arg, str):
        logical, _, attribute = arg.partition(".")
    elif isinstance(arg, list) and len(arg) == 2:
        logical = arg[0]
        attribute = ctx.evaluate(arg[1])
        if isinstance(attribute, DeployTimeUnknown):
            return attribute
    else:
        return DeployTimeUnknown("malformed Fn::GetAtt")
    if not isinstance(logical, str) or not isinstance(attribute, str):
        return DeployTimeUnknown("malformed Fn::GetAtt")
    return ctx.get_att(logical, attribute)


_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


def _fn_sub(ctx: EvalContext, arg: Any) -> Any:
    if isinstance(arg, str):
        text, variables = arg, {}
    elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], dict):
        text = arg[0]
        variables = {k: ctx.evaluate(v) for k, v in arg[1].items()}
    else:
        return DeployTimeUnknown("malformed Fn::Sub")
    unknown: list[DeployTimeUnknown] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        name = name.strip()
        if name in variables:
            value = variables[name]
        elif "." in name and not name.startswith("AWS::"):
            logical, _, attribute = name.partition(".")
            value = ctx.get_att(logical, attribute)
        else:
            value = ctx.ref(name)
        if isinstance(value, DeployTimeUnknown):
            unknown.append(value)
            return ""
        if isinstance(value, (list, dict)) or value is NO_VALUE:
            unknown.append(DeployTimeUnknown(f"${{{name}}} is not a string"))
            return ""
        return scalar_text(value)

    result = _SUB_VAR.sub(replace, text)
    if unknown:
        if len(unknown) == 1 and _SUB_VAR.fullmatch(text):
            return unknown[0]
        return DeployTimeUnknown("Fn::Sub of " + ", ".join(u.reason for u in unknown))
    return result


def _fn_join(ctx: EvalContext, arg: Any) -> Any:
    args = _args(arg, 2, "Fn::Join")
    if args is None:
        return DeployTimeUnknown("malformed Fn::Join")
    delimiter = ctx.evaluate(args[0])
    items = ctx.evaluate(args[1])
    blocker = first_unknown([delimiter, items])
    if blocker is not None:
        return DeployTimeUnknown(f"Fn::Join of {blocker.reason}")
    if not isinstance(items, list):
        return DeployTimeUnknown("Fn::Join of a non-list")
    return scalar_text(delimiter).join(scalar_text(i) for i in items)


def _fn_select(ctx: EvalContext, arg: Any) -> Any:
    args = _args(arg, 2, "Fn::Select")
    if args is None:
        return DeployTimeUnknown("malformed Fn::Select")
    index = ctx.evaluate(args[0])
    items = ctx.evaluate(args[1])
    if isinstance(index, DeployTimeUnknown):
        return index
    if isinstance(items, DeployTimeUnknown):
        return DeployTimeUnknown(f"Fn::Select from {items.reason}")
    try:
        return items[int(index)]
    except (ValueError, TypeError, IndexError):
        return DeployTimeUnknown(f"Fn::Select index {index!r} out of range")


def _fn_split(ctx: EvalContext, arg: Any) -> Any:
    args = _args(arg, 2, "Fn::Split")
    if args is None:
        return DeployTimeUnknown("malformed Fn::Split")
    delimiter, source = ctx.evaluate(args[0]), ctx.evaluate(args[1])
    blocker = first_unknown([delimiter, source])
    if blocker is not None:
        return DeployTimeUnknown(f"Fn::Split of {blocker.reason}")
    return scalar_text(source).split(scalar_text(delimiter))


def _fn_find_in_map(ctx: EvalContext, arg: Any) -> Any:
    args = _args(arg, 3, "Fn::FindInMap")
    if args is None:
        return DeployTimeUnknown("malformed Fn::FindInMap")
    keys = [ctx.evaluate(a) for a in args[:3]]
    default = None
    if len(args) > 3 and isinstance(args[3], dict) and "DefaultValue" in args[3]:
        default = ctx.evaluate(args[3]["DefaultValue"])
    blocker = first_unknown(keys)
    if blocker is not None:
        return DeployTimeUnknown(f"Fn::FindInMap key {blocker.reason}")
    try:
        return ctx.evaluate(ctx.mappings[scalar_text(keys[0])][scalar_text(keys[1])][scalar_text(keys[2])])
    except (KeyError, TypeError):
        if default is not None:
            return default
        ctx.warnings.append(f"{ctx.file}: Fn::FindInMap {keys!r} has no entry")
        return DeployTimeUnknown(f"no mapping entry {keys!r}")


def _fn_base64(ctx: EvalContext, arg: Any) -> Any:
    value = ctx.evaluate(arg)
    if isinstance(value, DeployTimeUnknown):
        return DeployTimeUnknown(f"Fn::Base64 of {value.reason}")
    return base64.b64encode(scalar_text(value).encode()).decode()


def _fn_cidr(ctx: EvalContext, arg: Any) -> Any:
    args = _args(arg, 3, "Fn::Cidr")
    if args is None:
        return DeployTimeUnknown("malformed Fn::Cidr")
    block, count, bits = (ctx.evaluate(a) for a in args[:3])
    blocker = first_unknown([block, count, bits])
    if blocker is not None:
        return DeployTimeUnknown(f"Fn::Cidr of {blocker.reason}")
    try:
        network = ipaddress.ip_network(scalar_text(block), strict=False)
        prefix = network.max_prefixlen - int(bits)
        subnets = network.subnets(new_prefix=prefix)
        return [str(next(subnets)) for _ in range(int(count))]
    except (ValueError, StopIteration):
        return DeployTimeUnknown(f"Fn::Cidr {block}/{count}/{bits} is not valid")


def _fn_get_azs(ctx: EvalContext, arg: Any) -> Any:
    region = ctx.evaluate(arg)
    if ctx.availability_zones is not None and region in ("", ctx.pseudo.get("AWS::Region")):
        return list(ctx.availability_zones)
    return DeployTimeUnknown("availability zones of the region")


def _fn_import_value(ctx: EvalContext, arg: Any) -> Any:
    name = ctx.evaluate(arg)
    if isinstance(name, DeployTimeUnknown):
        return name
    if ctx.exports is not None and name in ctx.exports:
        return ctx.exports[name]
    return DeployTimeUnknown(f"export {name}")


def _fn_if(ctx: EvalContext, arg: Any) -> Any:
    args = _args(arg, 3, "Fn::If")
    if args is None or not isinstance(args[0], str):
        return DeployTimeUnknown("malformed Fn::If")
    chosen = ctx.condition(args[0])
    if isinstance(chosen, DeployTimeUnknown):
        return DeployTimeUnknown(f"Fn::If on {chosen.reason}")
    return ctx.evaluate(args[1] if chosen else args[2])


def _fn_equals(ctx: EvalContext, arg: Any) -> Any:
    args = _args(arg, 2, "Fn::Equals")
    if args is None:
        return DeployTimeUnknown("malformed Fn::Equals")
    left, right = ctx.evaluate(args[0]), ctx.evaluate(args[1])
    blocker = first_unknown([left, right])
    if blocker is not None:
        return blocker
    if isinstance(left, (list, dict)) or isinstance(right, (list, dict)):
        return left == right
    return scalar_text(left) == scalar_text(right)


def _logical(combine: Callable[[list[bool]], bool]) -> Callable[[EvalContext, Any], Any]:
    def run(ctx: EvalContext, arg: Any) -> Any:
        if not isinstance(arg, list):
            return DeployTimeUnknown("malformed condition function")
        values = [_truth(ctx.evaluate(a)) for a in arg]
        known = [v for v in values if not isinstance(v, DeployTimeUnknown)]
        # A known False decides an And, a known True decides an Or, even with unknowns around.
        if combine is all and False in known:
            return False
        if combine is any and True in known:
            return True
        if len(known) != len(values):
            return next(v for v in values if isinstance(v, DeployTimeUnknown))
        return combine(known)

    return run


def _fn_not(ctx: EvalContext, arg: Any) -> Any:
    inner = arg[0] if isinstance(arg, list) and len(arg) == 1 else arg
    value = _truth(ctx.evaluate(inner))
    if isinstance(value, DeployTimeUnknown):
        return value
    return not value


def _fn_length(ctx: EvalContext, arg: Any) -> Any:
    value = ctx.evaluate(arg)
    if isinstance(value, list):
        return len(value)
    return DeployTimeUnknown("Fn::Length of a non-list")


def _fn_to_json_string(ctx: EvalContext, arg: Any) -> Any:
    value = ctx.evaluate(arg)
    blocker = first_unknown(value)
    if blocker is not None:
        return DeployTimeUnknown(f"Fn::ToJsonString of {blocker.reason}")
    return json.dumps(value, separators=(",", ":"))


def _fn_transform(ctx: EvalContext, arg: Any) -> Any:
    name = arg.get("Name") if isinstance(arg, dict) else None
    return DeployTimeUnknown(f"macro {name or '?'} is not evaluated")


_FUNCTIONS: dict[str, Callable[[EvalContext, Any], Any]] = {
    "Ref": _fn_ref,
    "Condition": _fn_condition,
    "Fn::GetAtt": _fn_get_att,
    "Fn::Sub": _fn_sub,
    "Fn::Join": _fn_join,
    "Fn::Select": _fn_select,
    "Fn::Split": _fn_split,
    "Fn::FindInMap": _fn_find_in_map,
    "Fn::Base64": _fn_base64,
    "Fn::Cidr": _fn_cidr,
    "Fn::GetAZs": _fn_get_azs,
    "Fn::ImportValue": _fn_import_value,
    "Fn::If": _fn_if,
    "Fn::Equals": _fn_equals,
    "Fn::And": _logical(all),
    "Fn::Or": _logical(any),
    "Fn::Not": _fn_not,
    "Fn::Length": _fn_length,
    "Fn::ToJsonString": _fn_to_json_string,
    "Fn::Transform": _fn_transform,
}
