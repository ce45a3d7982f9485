"""Configuration for an object Terraform does not manage yet, written from the provider's schema.

What `terraform plan -generate-config-out` does, with the provider's own plan as the judge:
`ImportResourceState` (type + import id) and `ReadResource` give the object as `terraform import`
would record it; its arguments are the schema's required and optional attributes (computed-only
ones, deprecated ones and the SDK's `id` are never configuration) and its nested blocks. Values
the provider would set itself are left out: nulls and empty values first, then every optional
argument whose omission the provider plans as no change (its default). The result goes through
the provider's own checks, as `terraform plan` after the import would: `ValidateResourceTypeConfig`
(live values it refuses are left out and reported) and `PlanResourceChange` against the imported
object, whose remaining changes are written back with their live values until the plan is a
no-op (`verified`). No per-type table of arguments or defaults is involved.

JSON documents (policies) are kept parsed, to be written as `jsonencode(...)`; sensitive values
are never part of the result's text: they become variables, the live value only feeds the check.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from driftdeck.core.cty import CtyType, decode, encode
from driftdeck.core.live.provider.client import ProviderError
from driftdeck.core.live.provider.planning import plan_change
from driftdeck.core.live.provider.schema import AttributeSchema, BlockSchema
from driftdeck.core.live.provider.session import ConfiguredProvider
from driftdeck.core.live.provider.shaping import shape_block
from driftdeck.core.model import Difference

_SINGLE, _LIST, _SET, _MAP, _GROUP = 1, 2, 3, 4, 5
_MAX_ROUNDS = 4
# Optional+computed attributes that only echo others: the AWS provider's `tags_all` is `tags`
# merged with the provider's `default_tags`, so writing it would pin the defaults into the block.
_ECHOES = frozenset({"tags_all"})


class ImportNotFound(ProviderError):
    """The provider imported the id but reading it found no object."""


@dataclass(frozen=True)
class JsonDocument:
    """A string argument holding a JSON object or array: written as `jsonencode(parsed)`."""

    parsed: Any
    text: str  # the live string, for the check and for the fallback

    def encoded(self) -> str:
        """What Terraform's `jsonencode` makes of `parsed` (sorted keys, Go's HTML escaping)."""
        return terraform_jsonencode(self.parsed)


@dataclass(frozen=True)
class Sensitive:
    """A value the schema marks sensitive: written as a variable, never as text."""

    value: Any
    type: CtyType


@dataclass
class GeneratedConfig:
    """One imported object's configuration. `arguments` holds plain values, `JsonDocument`,
    `Sensitive`, and for nested blocks a dict (single) or a list of dicts (list/set; map blocks:
    a dict of labelled bodies); `block` is the schema that says which names are blocks."""

    resource_type: str
    import_id: str
    arguments: dict[str, Any]
    block: BlockSchema
    live: dict[str, Any]
    decided_by: str
    verified: bool = False
    remaining: tuple[Difference, ...] = ()
    # Arguments the provider's validation refuses with their live value: name -> its summary.
    rejected: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def terraform_jsonencode(value: Any) -> str:
    text = json.dumps(_json_ready(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # cty numbers have no float/int distinction: 1.0 encodes as 1
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value


def import_object(provider: ConfiguredProvider, resource_type: str, import_id: str) -> tuple[dict[str, Any], bytes]:
    """The object `terraform import` would record for (type, id): ImportResourceState then
    ReadResource. Raises ProviderError (ImportNotFound when the object is not there)."""
    client = provider.client
    if resource_type not in client.schema.resource_types:
        raise ProviderError(f"{provider.label} has no resource type {resource_type}")
    imported = client.import_resource(resource_type, import_id)
    found = next((i for i in imported if i[0] == resource_type), None)
    if found is None:
        raise ImportNotFound(f"{provider.label} imported no {resource_type} for id {import_id!r}")
    _, state, private = found
    answer = client.read_resource(resource_type, state, private)
    if answer.state is None:
        raise ImportNotFound(f"no {resource_type} with import id {import_id!r} (the provider found nothing to read)")
    return decode(answer.state, client.schema.type_of(resource_type)), answer.private


def generate_config(provider: ConfiguredProvider, resource_type: str, import_id: str) -> GeneratedConfig:
    """Import and read the object, then write its configuration and check it with the provider's
    plan. Raises ProviderError when the provider cannot import or read it, or refuses to plan."""
    live, private = import_object(provider, resource_type, import_id)
    block = provider.client.schema.resource(resource_type).block
    arguments = body_from_live(block, live, top=True)

    def plan(args: Mapping[str, Any]) -> tuple[Difference, ...] | None:
        change = plan_change(provider, resource_type, live, config_values(block, args), prior_private=private)
        return None if change.action == "no-op" else change.differences

    # Defaults: optional arguments the provider fills in itself when they are left out, and
    # nested blocks that hold nothing but zero values.
    droppable = [n for n, a in block.attributes.items() if n in arguments and a.optional and not a.computed]
    droppable += [n for n, b in block.blocks.items() if n in arguments and b.min_items == 0 and _all_zero(live.get(n))]
    if droppable:
        try:
            without = {k: v for k, v in arguments.items() if k not in droppable}
            changed = {_top(d.path) for d in plan(without) or ()}
            arguments = {k: v for k, v in arguments.items() if k not in droppable or k in changed}
        except ProviderError:
            pass  # the provider would not plan without them: keep every one
    remaining: tuple[Difference, ...] = ()
    rejected: dict[str, str] = {}
    for _ in range(_MAX_ROUNDS):
        # Live values the provider's validation refuses (a range older than the service's, two
        # arguments it accepts only one of) cannot all be written: they are left out one at a time
        # (optional+computed ones first: the provider keeps those by itself), and each one the plan
        # then still changes is named with the provider's words.
        while True:
            refused = {n: r for n, r in _refused(provider, resource_type, block, arguments).items() if n in arguments}
            if not refused:
                break
            name = _first_to_leave_out(block, refused)
            rejected.setdefault(name, refused[name])
            arguments.pop(name)
        remaining = plan(arguments) or ()
        if not remaining:
            break
        restored = _restore(block, live, arguments, {_top(d.path) for d in remaining} - set(rejected))
        if restored == arguments:
            break
        arguments = restored
    unplaced = _refused(provider, resource_type, block, arguments)
    changed = {_top(d.path) for d in remaining}
    return GeneratedConfig(resource_type, import_id, in_written_order(block, arguments), block, live, provider.label,
                           verified=not remaining and not unplaced, remaining=remaining,
                           rejected={n: r for n, r in rejected.items() if n in changed},
                           warnings=tuple(unplaced.values()))


def _first_to_leave_out(block: BlockSchema, refused: Mapping[str, str]) -> str:
    """Of the refused arguments, the one to leave out first: optional+computed before plain
    optional, then the last by name (of `availability_zone` / `availability_zone_id`, the id)."""
    def computed(name: str) -> bool:
        attr = block.attributes.get(name)
        return attr is None or attr.computed
    return sorted(refused, key=lambda n: (computed(n), n))[-1]


def _refused(provider: ConfiguredProvider, resource_type: str, block: BlockSchema,
             arguments: Mapping[str, Any]) -> dict[str, str]:
    """Argument name -> the provider's summary, for each argument ValidateResourceTypeConfig
    refuses (`""` names a refusal that names no argument)."""
    config = shape_block(block, config_values(block, arguments))
    errors = provider.client.validate_resource_config(
        resource_type, encode(config, provider.client.schema.type_of(resource_type)))
    return {_top(e.attribute or ""): e.summary + (f": {e.detail}" if e.detail else "") for e in errors}


def _top(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _restore(block: BlockSchema, live: Mapping[str, Any], arguments: dict[str, Any], names: set[str]) -> dict[str, Any]:
    """`arguments` with each argument in `names` written exactly as live has it (zeros included;
    a JSON document the plan did not accept as the live string)."""
    out = dict(arguments)
    for name in names:
        attr = block.attributes.get(name)
        value = live.get(name)
        if attr is not None:
            current = out.get(name)
            if isinstance(current, JsonDocument):
                out[name] = current.text
            elif attr.required or attr.optional:
                if value is not None:
                    out[name] = _attribute_value(attr, value)
        elif name in block.blocks and value is not None:
            nested = block.blocks[name]
            out[name] = _nested_value(nested.nesting, nested.block, value, keep_zero=True)
    return out


def body_from_live(block: BlockSchema, value: Mapping[str, Any], *, top: bool = False, keep_zero: bool = False) -> dict[str, Any]:
    """The arguments of one block from its live value: configurable attributes that are set,
    then nested blocks (null and empty values left out unless `keep_zero`)."""
    out: dict[str, Any] = {}
    for name, attr in block.attributes.items():
        if not _configurable(attr) or (top and name in ("id", *_ECHOES)):
            continue
        found = value.get(name)
        if found is None or (not keep_zero and not attr.required and _is_zero(found)):
            continue
        out[name] = _attribute_value(attr, found)
    for name, nested in block.blocks.items():
        if nested.block.deprecated:
            continue
        found = value.get(name)
        if found is None or found == [] or found == {}:
            continue
        out[name] = _nested_value(nested.nesting, nested.block, found, keep_zero=keep_zero)
    return out


def _nested_value(nesting: int, block: BlockSchema, value: Any, *, keep_zero: bool) -> Any:
    if nesting in (_SINGLE, _GROUP):
        return body_from_live(block, value, keep_zero=keep_zero)
    if nesting == _MAP:
        return {k: body_from_live(block, v, keep_zero=keep_zero) for k, v in value.items()}
    return [body_from_live(block, v, keep_zero=keep_zero) for v in value]


def _configurable(attr: AttributeSchema) -> bool:
    # Terraform's generator filters read-only and deprecated attributes; write-only ones are
    # never in state, so there is nothing to write for them.
    return (attr.required or attr.optional) and not attr.deprecated and not attr.write_only


def _is_zero(value: Any) -> bool:
    return value is None or value in ("", False, 0, [], {})


def _all_zero(value: Any) -> bool:
    """A nested block value (or list of them) that carries only null and zero values."""
    if isinstance(value, dict):
        return all(_all_zero(v) for v in value.values())
    if isinstance(value, list):
        return all(_all_zero(v) for v in value)
    return _is_zero(value)


def _attribute_value(attr: AttributeSchema, value: Any) -> Any:
    if attr.sensitive:
        return Sensitive(value, attr.type)
    if isinstance(value, str) and attr.type.kind == "string":
        parsed = _json_document(value)
        if parsed is not None:
            return JsonDocument(parsed, value)
    return value


def _json_document(text: str) -> Any:
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        parsed = json.loads(stripped)
    except ValueError:
        return None
    return parsed if isinstance(parsed, (dict, list)) else None


def config_values(block: BlockSchema, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration value Terraform evaluates from the written arguments (jsonencode results,
    variables' values), as PlanResourceChange receives it."""
    out: dict[str, Any] = {}
    for name, value in arguments.items():
        nested = block.blocks.get(name)
        if nested is None:
            out[name] = _plain(value)
        elif nested.nesting in (_SINGLE, _GROUP):
            out[name] = config_values(nested.block, value)
        elif nested.nesting == _MAP:
            out[name] = {k: config_values(nested.block, v) for k, v in value.items()}
        else:
            out[name] = [config_values(nested.block, v) for v in value]
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, JsonDocument):
        return value.encoded()
    if isinstance(value, Sensitive):
        return value.value
    return value


def in_written_order(block: BlockSchema, arguments: dict[str, Any]) -> dict[str, Any]:
    """Attributes in name order, then blocks in name order (the order Terraform's generator uses)."""
    attributes = sorted(n for n in arguments if n not in block.blocks)
    blocks = sorted(n for n in arguments if n in block.blocks)
    out: dict[str, Any] = {}
    for name in attributes + blocks:
        value = arguments[name]
        nested = block.blocks.get(name)
        if nested is not None and nested.nesting in (_SINGLE, _GROUP):
            value = in_written_order(nested.block, value)
        elif nested is not None and nested.nesting == _MAP:
            value = {k: in_written_order(nested.block, v) for k, v in value.items()}
        elif nested is not None:
            value = [in_written_order(nested.block, v) for v in value]
        out[name] = value
    return out


__all__ = ["GeneratedConfig", "ImportNotFound", "JsonDocument", "Sensitive", "body_from_live", "config_values",
           "generate_config", "import_object", "in_written_order", "terraform_jsonencode"]
