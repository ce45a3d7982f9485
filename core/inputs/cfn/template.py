"""Load a CloudFormation template: resources with their evaluated properties and where they are defined."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftdeck.core.errors import InputError
from driftdeck.core.inputs.cfn.deploy_time import NO_VALUE, DeployTimeUnknown
from driftdeck.core.inputs.cfn.intrinsics import EvalContext, normalize_pseudo
from driftdeck.core.inputs.cfn.parameters import load_parameters_file
from driftdeck.core.inputs.cfn.parse import Node, looks_like_json, parse_template_text

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
# Transforms whose effect we reproduce (or that only touch resources we can identify).
_UNDERSTOOD_TRANSFORMS = {SAM_TRANSFORM, LANGUAGE_EXTENSIONS}
_MASKED = "****"  # how DescribeStacks shows a NoEcho parameter


@dataclass
class TemplateParameter:
    name: str
    type: str
    default: Any
    no_echo: bool
    value: Any  # what Ref returns: given value, default, or DeployTimeUnknown
    line: int | None


@dataclass
class TemplateResource:
    """One resource of a template, with its properties evaluated as far as the inputs allow."""

    logical_id: str
    type: str
    file: str
    line: int | None
    properties: dict[str, Any]
    condition: str | None = None
    # False when its Condition is false (CloudFormation does not create it); None when unknown.
    included: bool | None = True
    # False when a transform (SAM, a macro, a preprocessor) rewrites it; `not_evaluated_reason` says which.
    evaluated: bool = True
    not_evaluated_reason: str | None = None
    # Top-level property names whose value comes from a NoEcho parameter (never shown).
    secret_properties: frozenset[str] = frozenset()
    raw: Any = None


@dataclass
class Template:
    file: str
    text: str
    format: str  # "yaml" | "json"
    data: Node
    parameters: dict[str, TemplateParameter]
    resources: dict[str, TemplateResource]
    transforms: list[str] = field(default_factory=list)
    conditions: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def resource(self, logical_id: str) -> TemplateResource:
        return self.resources[logical_id]


def load_template(
    path: str | Path,
    parameters: Mapping[str, Any] | str | Path | None = None,
    pseudo: Mapping[str, Any] | None = None,
    **options: Any,
) -> Template:
    """Read and evaluate a template file (YAML or JSON).

    `parameters`: overrides, as a mapping or a parameters file path (see `load_parameters_file`).
    `pseudo`: pseudo parameter values, e.g. `{"AWS::Region": "eu-west-1", "AWS::AccountId": "1234..."}`.
    `options`: as for `parse_template`.
    Raises InputError (file:line) for unreadable or malformed templates.
    """
    file = str(path)
    try:
        # newline="": keep CRLF as written, so patches keep the file's line endings; -sig drops a BOM.
        with open(path, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read template: {exc}", file=file) from None
    values = load_parameters_file(parameters) if isinstance(parameters, (str, Path)) else parameters
    return parse_template(text, file, parameters=values, pseudo=pseudo, **options)


def parse_template(
    text: str,
    file: str,
    parameters: Mapping[str, Any] | None = None,
    pseudo: Mapping[str, Any] | None = None,
    *,
    physical_ids: Mapping[str, str] | None = None,
    attributes: Mapping[tuple[str, str], Any] | None = None,
    exports: Mapping[str, Any] | None = None,
    availability_zones: list[str] | None = None,
    resolved_parameters: Mapping[str, Any] | None = None,
) -> Template:
    """Evaluate template text. `physical_ids` (logical id -> physical id) come from a deployed stack;
    `resolved_parameters` are SSM-typed parameter values as the stack resolved them."""
    if not text.strip():
        raise InputError("template is empty", file=file, line=1)
    data = parse_template_text(text, file)
    if not isinstance(data, Node):
        raise InputError("template must be a mapping at the top level", file=file, line=1)
    warnings: list[str] = []
    ctx = EvalContext(
        file=file,
        pseudo=normalize_pseudo(dict(pseudo or {})),
        physical_ids=dict(physical_ids or {}),
        attributes=dict(attributes or {}),
        exports=dict(exports) if exports is not None else None,
        availability_zones=availability_zones,
        warnings=warnings,
    )
    params = _parameters(data, file, dict(parameters or {}), dict(resolved_parameters or {}), warnings)
    ctx.parameters = {p.name: p.value for p in params.values()}
    ctx.no_echo = {p.name for p in params.values() if p.no_echo}
    ctx.mappings = _section(data, "Mappings", file)
    ctx.conditions = _section(data, "Conditions", file)
    transforms = _transforms(data)
    raw_resources = _raw_resources(data, file, ctx, transforms)
    ctx.resources = raw_resources
    resources = {
        logical: _resource(logical, raw, raw_resources, file, ctx, transforms)
        for logical, raw in raw_resources.items()
    }
    conditions = {name: ctx.condition(name) for name in ctx.conditions}
    return Template(
        file=file,
        text=text,
        format="json" if looks_like_json(text) else "yaml",
        data=data,
        parameters=params,
        resources=resources,
        transforms=transforms,
        conditions=conditions,
        warnings=warnings,
    )


def _section(data: Node, name: str, file: str) -> dict[str, Any]:
    section = data.get(name)
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise InputError(f"{name} must be a mapping", file=file, line=data.key_lines.get(name))
    return section


def _parameters(
    data: Node, file: str, overrides: dict[str, Any], resolved: dict[str, Any], warnings: list[str]
) -> dict[str, TemplateParameter]:
    section = _section(data, "Parameters", file)
    out: dict[str, TemplateParameter] = {}
    for name, spec in section.items():
        line = section.key_lines.get(name) if isinstance(section, Node) else None
        if not isinstance(spec, dict) or "Type" not in spec:
            raise InputError(f"parameter {name!r} needs a Type", file=file, line=line)
        ptype = str(spec["Type"])
        no_echo = str(spec.get("NoEcho", "false")).lower() == "true"
        if name in resolved:
            value: Any = resolved[name]
        elif name in overrides:
            value = overrides[name]
            if ptype.startswith("AWS::SSM::Parameter::Value<"):
                value = DeployTimeUnknown(f"SSM parameter {value} (resolved at deploy time)")
        elif "Default" in spec:
            value = spec["Default"]
            if ptype.startswith("AWS::SSM::Parameter::Value<"):
                value = DeployTimeUnknown(f"SSM parameter {value} (resolved at deploy time)")
        else:
            value = DeployTimeUnknown(f"parameter {name} has no value")
        if value == _MASKED and no_echo:
            value = DeployTimeUnknown(f"NoEcho parameter {name}")
        if not isinstance(value, DeployTimeUnknown):
            value = _typed(ptype, value)
        out[name] = TemplateParameter(name, ptype, spec.get("Default"), no_echo, value, line)
    for name in sorted(set(overrides) - set(section)):
        # CloudFormation rejects undeclared parameters at deploy time; here it is only noted.
        warnings.append(f"{file}: parameter {name!r} is given a value but not declared")
    return out


def _typed(ptype: str, value: Any) -> Any:
    if ptype == "CommaDelimitedList" or ptype.startswith("List<"):
        if isinstance(value, list):
            return [str(v) for v in value]
        text = str(value)
        return [part.strip() for part in text.split(",")] if text else []
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) and ptype != "Number":
        return str(value)
    return value


def _transforms(data: Node) -> list[str]:
    value = data.get("Transform")
    items = value if isinstance(value, list) else [value] if value is not None else []
    names: list[str] = []
    for item in items:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict) and isinstance(item.get("Name"), str):
            names.append(item["Name"])
    return names


def _raw_resources(data: Node, file: str, ctx: EvalContext, transforms: list[str]) -> dict[str, Any]:
    section = data.get("Resources")
    if section is None:
        raise InputError("template has no Resources section", file=file, line=1)
    if not isinstance(section, Node):
        raise InputError("Resources must be a mapping", file=file, line=data.key_lines.get("Resources"))
    out: dict[str, Any] = {}
    for logical, raw in section.items():
        line = section.key_lines.get(logical)
        if logical.startswith("Fn::ForEach::"):
            out.update(_expand_for_each(logical, raw, line, ctx))
            continue
        if not isinstance(raw, dict):
            raise InputError(f"resource {logical!r} must be a mapping", file=file, line=line)
        if "Type" not in raw:
            raise InputError(f"resource {logical!r} has no Type", file=file, line=line)
        if not re.fullmatch(r"[A-Za-z0-9]+", logical):
            ctx.warnings.append(f"{file}:{line}: logical id {logical!r} is not alphanumeric")
        raw = _with_line(raw, line)
        out[logical] = raw
    return out


def _with_line(raw: Any, line: int | None) -> Any:
    if isinstance(raw, Node):
        raw.line = line or raw.line
        return raw
    node = Node()
    node.update(raw)
    node.line = line or 0
    return node


# ---------------------------------------------------------------- Fn::ForEach (LanguageExtensions)


def _expand_for_each(key: str, raw: Any, line: int | None, ctx: EvalContext) -> dict[str, Any]:
    if not (isinstance(raw, list) and len(raw) == 3 and isinstance(raw[0], str) and isinstance(raw[2], dict)):
        ctx.warnings.append(f"{ctx.file}:{line}: malformed {key}")
        return {}
    identifier, collection, fragment = raw
    values = ctx.evaluate(collection)
    if isinstance(values, DeployTimeUnknown) or not isinstance(values, list) or any(isinstance(v, DeployTimeUnknown) for v in values):
        ctx.warnings.append(f"{ctx.file}:{line}: {key} over an unknown collection is not expanded")
        return {}
    out: dict[str, Any] = {}
    for value in values:
        text = str(value)
        for name_template, body in fragment.items():
            if name_template.startswith("Fn::ForEach::"):
                nested = _substitute(body, identifier, text)
                out.update(_expand_for_each(name_template, nested, line, ctx))
                continue
            name = name_template.replace("${" + identifier + "}", text).replace(
                "&{" + identifier + "}", re.sub(r"[^A-Za-z0-9]", "", text)
            )
            out[name] = _with_line(_substitute(body, identifier, text), line)
    return out


def _substitute(value: Any, identifier: str, text: str) -> Any:
    if isinstance(value, dict):
        if value.keys() == {"Ref"} and value["Ref"] == identifier:
            return text
        node = Node()
        for k, v in value.items():
            node[k] = _substitute(v, identifier, text)
        if isinstance(value, Node):
            node.line = value.line
        return node
    if isinstance(value, list):
        return [_substitute(v, identifier, text) for v in value]
    if isinstance(value, str):
        return value.replace("${" + identifier + "}", text).replace(
            "&{" + identifier + "}", re.sub(r"[^A-Za-z0-9]", "", text)
        )
    return value


# ---------------------------------------------------------------- resources


def _not_evaluated_reason(raw: Any, rtype: Any, transforms: list[str]) -> str | None:
    if not isinstance(rtype, str):
        return "resource Type is set by a preprocessor directive"
    if rtype.startswith("AWS::Serverless::"):
        return f"SAM resource: expanded by the {SAM_TRANSFORM} transform, not evaluated"
    macros = [t for t in transforms if t not in _UNDERSTOOD_TRANSFORMS]
    if macros:
        return f"template transform {', '.join(macros)} (macro) is not evaluated"
    directive = _find_directive(raw)
    if directive:
        return f"{directive} is not evaluated"
    return None


def _find_directive(raw: Any) -> str | None:
    """A macro or preprocessor that rewrites the resource or its whole Properties block.

    Deeper ones (`Fn::Transform` inside one property) only make that value unknown.
    """
    props = raw.get("Properties") if isinstance(raw, dict) else None
    for level in (raw, props):
        if not isinstance(level, dict):
            continue
        for key, item in level.items():
            if key == "Fn::Transform":
                name = item.get("Name") if isinstance(item, dict) else None
                return f"Fn::Transform {name or ''}".strip()
            if "::" in key and not key.startswith(("Fn::", "AWS::")) and len(level) == 1:
                return f"preprocessor directive {key}"
    return None


def _resource(
    logical: str, raw: Node, all_raw: dict[str, Any], file: str, ctx: EvalContext, transforms: list[str]
) -> TemplateResource:
    rtype = raw.get("Type")
    line = raw.line or None
    condition = raw.get("Condition") if isinstance(raw.get("Condition"), str) else None
    included: bool | None = True
    if condition is not None:
        decided = ctx.condition(condition)
        included = None if isinstance(decided, DeployTimeUnknown) else bool(decided)
    reason = _not_evaluated_reason(raw, rtype, transforms)
    type_name = rtype if isinstance(rtype, str) else str(next(iter(rtype.values()), "?")) if isinstance(rtype, dict) else "?"
    if reason is not None:
        return TemplateResource(logical, type_name, file, line, {}, condition, included, False, reason, raw=raw)
    raw_props = raw.get("Properties", {})
    if raw_props is None:
        raw_props = {}
    if not isinstance(raw_props, dict):
        raise InputError(
            f"Properties of {logical!r} must be a mapping", file=file, line=raw.key_lines.get("Properties", line)
        )
    properties: dict[str, Any] = {}
    secrets: set[str] = set()
    if name_is_plain(raw_props):
        for name, value in raw_props.items():
            ctx.touched_secret = False
            result = ctx.evaluate(value)
            if result is NO_VALUE:
                continue
            properties[name] = result
            if ctx.touched_secret:
                secrets.add(name)
    else:
        # The whole Properties block is one intrinsic (e.g. Fn::If over two property sets).
        whole = ctx.evaluate(raw_props)
        if isinstance(whole, DeployTimeUnknown):
            return TemplateResource(logical, type_name, file, line, {}, condition, included, False, whole.reason, raw=raw)
        if isinstance(whole, dict):
            properties = whole
    return TemplateResource(
        logical, type_name, file, line, properties, condition, included, True, None, frozenset(secrets), raw
    )


def name_is_plain(props: dict[str, Any]) -> bool:
    """True unless the whole Properties mapping is a single intrinsic function."""
    if len(props) != 1:
        return True
    (key,) = props.keys()
    return not (key in ("Ref", "Condition") or key.startswith("Fn::"))
