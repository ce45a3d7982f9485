"""Import: a Terraform `import {}` block and a resource block written from live attributes.

With a provider, `core.live.provider.generate` decides the arguments from the provider's schema for any
type and `generated_resource_text` writes them. The per-type tables below (`ARGUMENTS`, `_DEFAULTS`,
`PROVIDER_RANGES`) are the fallback for plans without a provider (`--reader native`, no provider
binary, an import the provider refused): only arguments a configuration may set are written
(computed attributes such as `arn` or `owner_id` would make `terraform plan` fail), and empty values
are left to the provider defaults, so that the plan after import shows no change.
"""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING, Any

from driftdeck.core.compare.engine import is_empty
from driftdeck.core.inputs.hcl.fmt import realign
from driftdeck.core.inputs.hcl.render import hcl_json_document, hcl_string, hcl_value
from driftdeck.core.model import ResourceResult
from driftdeck.core.resource_types.projections import import_arguments, import_id_formats, provider_ranges

if TYPE_CHECKING:  # the provider modules load only when a provider writes the block
    from driftdeck.core.cty import CtyType
    from driftdeck.core.live.provider.generate import GeneratedConfig
    from driftdeck.core.live.provider.schema import BlockSchema

# Arguments written per type, in the order `terraform fmt`-style configs usually list them
# (`ResourceType.import_arguments`).
ARGUMENTS: dict[str, tuple[str, ...]] = import_arguments()
JSON_ARGUMENTS = frozenset({"policy", "assume_role_policy", "redrive_policy", "redrive_allow_policy", "delivery_policy"})
# Nested blocks (lists of objects in state) rather than attributes.
BLOCK_ARGUMENTS = frozenset({"ingress", "egress", "versioning_configuration", "rule",
                             "apply_server_side_encryption_by_default"})
# Values that equal the provider default and need not be written.
_DEFAULTS: dict[str, Any] = {
    "path": "/", "max_session_duration": 3600, "instance_tenancy": "default", "enable_dns_support": True,
    "enable_dns_hostnames": False, "fifo_queue": False, "content_based_deduplication": False, "delay_seconds": 0,
    "max_message_size": 262144, "message_retention_seconds": 345600, "receive_wait_time_seconds": 0,
    "visibility_timeout_seconds": 30, "map_public_ip_on_launch": False, "fifo_topic": False,
}


# Live values the provider's own validation rejects (hashicorp/aws 5.x): written as a comment, since
# writing them would fail `terraform plan` and leaving them out silently would hide the difference.
PROVIDER_RANGES: dict[tuple[str, str], tuple[int, int]] = provider_ranges()  # `ResourceType.provider_ranges`
_IMPORT_ID_FORMATS = import_id_formats()  # `Identity.import_id_from`


def out_of_range(rtype: str, name: str, value: Any) -> tuple[int, int] | None:
    bounds = PROVIDER_RANGES.get((rtype, name))
    if bounds is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return None if bounds[0] <= number <= bounds[1] else bounds


def resource_name(resource_id: str, taken: set[str] | None = None) -> str:
    """A Terraform resource name from a provider id: lower case, `_` for anything else, unique."""
    tail = resource_id.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1] or resource_id
    name = re.sub(r"[^a-z0-9_]+", "_", tail.lower()).strip("_") or "imported"
    if name[0].isdigit():
        name = f"r_{name}"
    base, n = name, 2
    while taken is not None and name in taken:
        name = f"{base}_{n}"
        n += 1
    if taken is not None:
        taken.add(name)
    return name


def import_id(result: ResourceResult) -> str:
    """The id `terraform import` expects for the type (most types: the provider id)."""
    live = result.live or {}
    form = _IMPORT_ID_FORMATS.get(result.type)
    if form is not None:
        fields = [name for _, name, _, _ in string.Formatter().parse(form) if name]
        if all(live.get(name) for name in fields):
            return form.format(**{name: live[name] for name in fields})
    return result.id


def resource_arguments(result: ResourceResult) -> dict[str, Any]:
    """The arguments to write for an imported resource, from its live attributes."""
    live = result.live or {}
    names = ARGUMENTS.get(result.type)
    if names is None:
        names = tuple(k for k in live if k not in ("id", "arn", "owner_id", "tags_all", "url", "unique_id", "create_date"))
    out: dict[str, Any] = {}
    for name in names:
        value = live.get(name)
        if is_empty(value) or (name in _DEFAULTS and _same(value, _DEFAULTS[name])):
            continue
        if name in BLOCK_ARGUMENTS and isinstance(value, list):
            value = [_clean_block(v) for v in value if isinstance(v, dict)]
        out[name] = value
    return out


def _same(a: Any, b: Any) -> bool:
    return a == b or str(a).lower() == str(b).lower()


def _clean_block(block: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in block.items():
        if is_empty(v):
            continue
        if isinstance(v, list) and v and all(isinstance(e, dict) for e in v):
            v = [_clean_block(e) for e in v]
        out[k] = v
    return out


def import_block(address: str, rid: str) -> str:
    return f"import {{\n  to = {address}\n  id = {hcl_string(rid)}\n}}\n"


def resource_block(rtype: str, name: str, arguments: dict[str, Any]) -> str:
    lines = [f'resource "{rtype}" "{name}" {{']
    plain = [k for k in arguments if k not in BLOCK_ARGUMENTS or not isinstance(arguments[k], list)]
    width = max((len(k) for k in plain), default=0)
    for key in plain:
        value = arguments[key]
        bounds = out_of_range(rtype, key, value)
        if bounds is not None:
            lines.append(f"  # {key.ljust(width)} = {hcl_value(value)}  # live value; the provider accepts only "
                         f"{bounds[0]}-{bounds[1]}, so Terraform will plan a change here")
            continue
        if key in JSON_ARGUMENTS:
            text = hcl_json_document(_parsed(value), "  ") if not isinstance(_parsed(value), str) else hcl_value(value, "  ")
        else:
            text = hcl_value(value, "  ")
        lines.append(f"  {key.ljust(width)} = {text}")
    for key, value in arguments.items():
        if key in plain:
            continue
        for element in value:
            lines.append("")
            lines.extend(_nested_block(key, element, "  "))
    lines.append("}")
    # align `=` per group as terraform fmt does (a multi-line value ends its group)
    return realign("", "\n".join(lines) + "\n")


def _nested_block(name: str, element: dict[str, Any], indent: str) -> list[str]:
    lines = [f"{indent}{name} {{"]
    inner = indent + "  "
    plain = {k: v for k, v in element.items() if not (isinstance(v, list) and v and all(isinstance(e, dict) for e in v))}
    width = max((len(k) for k in plain), default=0)
    for key, value in plain.items():
        lines.append(f"{inner}{key.ljust(width)} = {hcl_value(value, inner)}")
    for key, value in element.items():
        if key not in plain:
            for sub in value:
                lines.extend(_nested_block(key, sub, inner))
    lines.append(f"{indent}}}")
    return lines


def _parsed(value: Any) -> Any:
    import json

    if isinstance(value, str) and value.strip().startswith(("{", "[")):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# ---------------------------------------------------------------------------------------------
# Written from the provider's schema (any type): core.live.provider.generate decides the arguments
# ---------------------------------------------------------------------------------------------

_NESTED_SINGLE, _NESTED_MAP, _NESTED_GROUP = 1, 4, 5


def generated_resource_text(name: str, generated: GeneratedConfig) -> tuple[str, list[str]]:
    """The `resource` block for a provider-generated configuration (terraform fmt layout), preceded
    by a `variable` block per sensitive value; also returns the variables' names."""
    variables: list[tuple[str, str]] = []
    lines = [f'resource "{generated.resource_type}" "{name}" {{']
    refused = []
    for key, summary in generated.rejected.items():
        attr = generated.block.attributes.get(key)
        if attr is None or attr.sensitive:
            continue
        reason = " ".join(summary.split())[:160]
        refused.append(f"  # {key} = {hcl_value(generated.live.get(key))}  # live value, refused by the provider: {reason}")
    lines.extend(_generated_body(generated.block, generated.arguments, "  ", name, variables, top=True,
                                 comments=refused))
    lines.append("}")
    resource = realign("", "\n".join(lines) + "\n")
    declared = "".join(
        f'variable "{var}" {{\n  type      = {type_text}\n  sensitive = true\n}}\n\n' for var, type_text in variables
    )
    return declared + resource, [var for var, _ in variables]


def _generated_body(block: BlockSchema, arguments: dict[str, Any], indent: str, prefix: str,
                    variables: list[tuple[str, str]], *, top: bool = False, comments: list[str] | None = None) -> list[str]:
    from driftdeck.core.live.provider.generate import (  # deferred: provider session, only for generated config (bench/import_time.py)
        JsonDocument,
        Sensitive,
    )

    lines: list[str] = []
    for key, value in arguments.items():
        if key in block.blocks:
            continue
        if isinstance(value, Sensitive):
            var = _variable_name(f"{prefix}_{key}", {v for v, _ in variables})
            variables.append((var, _type_text(value.type)))
            text = f"var.{var}"
        elif isinstance(value, JsonDocument):
            text = hcl_json_document(value.parsed, indent)
        else:
            text = hcl_value(value, indent)
        lines.append(f"{indent}{key} = {text}")
    lines.extend(comments or [])
    for key, value in arguments.items():
        nested = block.blocks.get(key)
        if nested is None:
            continue
        if nested.nesting in (_NESTED_SINGLE, _NESTED_GROUP):
            bodies: list[tuple[str, dict[str, Any]]] = [("", value)]
        elif nested.nesting == _NESTED_MAP:
            bodies = [(f" {hcl_string(str(label))}", body) for label, body in value.items()]
        else:
            bodies = [("", body) for body in value]
        for label, body in bodies:
            if top:
                lines.append("")
            lines.append(f"{indent}{key}{label} {{")
            lines.extend(_generated_body(nested.block, body, indent + "  ", f"{prefix}_{key}", variables))
            lines.append(f"{indent}}}")
    return lines


def _variable_name(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while name in taken:
        name = f"{base}_{n}"
        n += 1
    return name


def _type_text(ty: CtyType) -> str:
    """A variable's `type` constraint for a schema type."""
    if ty.kind in ("string", "number", "bool"):
        return ty.kind
    if ty.kind in ("list", "set", "map") and ty.element is not None:
        return f"{ty.kind}({_type_text(ty.element)})"
    if ty.kind == "object":
        return "object({ " + ", ".join(f"{n} = {_type_text(t)}" for n, t in ty.attributes) + " })"
    return "any"
