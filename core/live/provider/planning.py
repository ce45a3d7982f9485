"""Planning through the provider, as `terraform plan` does it: what applying the code would do.

Terraform core builds a *proposed new state* from the prior state and the configuration
(`objchange.ProposedNew`: configured values win, computed attributes the code leaves unset keep
their prior value, nested blocks are matched to their prior selves by index, key or content),
sends prior, proposed and configuration to the provider's `PlanResourceChange`, and decides the
action from the answer: no-op when the planned state equals the prior one, replace when a path
the provider names in `requires_replace` really changes, update otherwise. `plan_change` is that,
for one resource; callers choose the prior state:

- pending (code edited, not applied): prior = state, config = code;
- revert (undo drift): prior = live object as the provider reads it, config = code.

Everything here is the provider's own judgement (defaults, normalisation, ForceNew), so no table
of per-type facts is involved.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from driftdeck.core.compare.state_vs_live import compare_typed
from driftdeck.core.cty import CtyType, canonical, decode, encode, values_equal
from driftdeck.core.live.provider.client import PlanAnswer
from driftdeck.core.live.provider.schema import BlockSchema
from driftdeck.core.live.provider.session import ConfiguredProvider
from driftdeck.core.live.provider.shaping import shape_block
from driftdeck.core.model import Difference, PlannedChange
from driftdeck.core.unknown import UNKNOWN, contains_unknown

_SINGLE, _LIST, _SET, _MAP, _GROUP = 1, 2, 3, 4, 5

KNOWN_AFTER_APPLY = "(known after apply)"

Step = tuple[str, "str | int"]


def plan_change(
    provider: ConfiguredProvider,
    resource_type: str,
    prior: Mapping[str, Any] | None,
    config: Mapping[str, Any],
    *,
    prior_private: bytes = b"",
    ignore_changes: Iterable[str] = (),
    sensitive_paths: Iterable[str] = (),
    side: str = "code",
) -> PlannedChange:
    """Plan `config` (the code's evaluated arguments, `UNKNOWN` where code cannot tell) against
    `prior` (a schema object of `resource_type`, None for a create) with the provider's
    PlanResourceChange. Raises ShapeError / CtyError when the configuration does not fit the
    schema and ProviderError when the provider refuses it."""
    schema = provider.client.schema
    resource = schema.resource(resource_type)
    block = resource.block
    object_type = schema.type_of(resource_type)
    shaped = shape_block(block, dict(config))
    prior_value = dict(prior) if prior is not None else None
    ignored = frozenset(ignore_changes)
    if prior_value is not None and ignored:
        shaped = _with_ignored(shaped, prior_value, ignored, block)
    proposed = proposed_new(block, prior_value, shaped)
    answer: PlanAnswer = provider.client.plan_resource_change(
        resource_type,
        encode(prior_value, object_type),
        encode(proposed, object_type),
        encode(shaped, object_type),
        prior_private,
    )
    planned = decode(answer.planned, object_type)
    if prior_value is None:
        return PlannedChange("create", decided_by=provider.label, warnings=answer.warnings)
    if values_equal(planned, prior_value, object_type):
        return PlannedChange("no-op", decided_by=provider.label, warnings=answer.warnings)
    hidden = tuple(sensitive_paths) + tuple(block.sensitive_paths())
    diffs = compare_typed(planned, prior_value, object_type, sensitive_paths=hidden)
    replace = tuple(
        format_path(path) for path in answer.requires_replace
        if not _same_at(planned, prior_value, object_type, path)
    )
    referenced = planned
    if replace:
        # Terraform plans the replacement's new object as a create (null prior): every computed
        # value the code does not set is unknown to the resources that refer to it.
        created = provider.client.plan_resource_change(
            resource_type, encode(None, object_type), encode(proposed_new(block, None, shaped), object_type),
            encode(shaped, object_type), b"",
        )
        referenced = decode(created.planned, object_type)
    return PlannedChange(
        "replace" if replace else "update",
        differences=tuple(_shown(d, side) for d in diffs),
        requires_replace=replace,
        decided_by=provider.label,
        warnings=answer.warnings,
        referenced=referenced if isinstance(referenced, dict) else None,
    )


# --- ProposedNew ----------------------------------------------------------------------------


def proposed_new(block: BlockSchema, prior: Mapping[str, Any] | None, config: Mapping[str, Any]) -> dict[str, Any]:
    """Terraform's `objchange.ProposedNew` on plain values: the configuration with every computed
    attribute it leaves null taken from `prior`, nested blocks recursively (list blocks matched by
    index, map blocks by key, set blocks by their non-computed content)."""
    before = prior or {}
    out: dict[str, Any] = {}
    for name, attr in block.attributes.items():
        configured = config.get(name)
        if not attr.computed or configured is not None:
            out[name] = configured  # configured values (unknown ones too) always win
        else:
            out[name] = before.get(name)
    for name, nested in block.blocks.items():
        out[name] = _proposed_nested(nested.nesting, nested.block, before.get(name), config.get(name))
    return out


def _proposed_nested(nesting: int, block: BlockSchema, prior: Any, config: Any) -> Any:
    if config is UNKNOWN or prior is UNKNOWN and nesting in (_SINGLE, _GROUP):
        return config
    if nesting in (_SINGLE, _GROUP):
        if config is None:
            return None
        return proposed_new(block, prior if isinstance(prior, dict) else None, config)
    if nesting == _MAP:
        if not config:
            return config
        prior_map = prior if isinstance(prior, dict) else {}
        return {key: _element(block, prior_map.get(key), item) for key, item in config.items()}
    if not config:
        return config
    if nesting == _LIST:
        prior_list = prior if isinstance(prior, list) else []
        return [_element(block, prior_list[i] if i < len(prior_list) else None, item) for i, item in enumerate(config)]
    # Set: a prior element lends its computed values only to a config element whose
    # non-computed content is identical (any config change makes a new element).
    element_type = block.implied_type()
    candidates = [(p, canonical(_compare_value(block, p, as_config=False), element_type))
                  for p in (prior if isinstance(prior, list) else [])]
    used = [False] * len(candidates)
    out = []
    for item in config:
        match = None
        if item is not UNKNOWN and not contains_unknown(item):
            key = canonical(item, element_type)
            for i, (candidate, candidate_key) in enumerate(candidates):
                if not used[i] and candidate_key == key:
                    used[i], match = True, candidate
                    break
        out.append(_element(block, match, item))
    return out


def _element(block: BlockSchema, prior: Any, config: Any) -> Any:
    if config is UNKNOWN or config is None:
        return config
    return proposed_new(block, prior if isinstance(prior, dict) else None, config)


def _compare_value(block: BlockSchema, value: Any, *, as_config: bool) -> Any:
    """`setElementCompareValue`: the element with computed attributes nulled (optional+computed
    ones kept only on the configuration side)."""
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for name, attr in block.attributes.items():
        keep = not attr.computed or (attr.optional and as_config)
        out[name] = value.get(name) if keep else None
    for name, nested in block.blocks.items():
        inner = value.get(name)
        if nested.nesting in (_SINGLE, _GROUP):
            out[name] = _compare_value(nested.block, inner, as_config=as_config)
        elif nested.nesting == _MAP and isinstance(inner, dict):
            out[name] = {k: _compare_value(nested.block, v, as_config=as_config) for k, v in inner.items()}
        elif isinstance(inner, list):
            out[name] = [_compare_value(nested.block, v, as_config=as_config) for v in inner]
        else:
            out[name] = inner
    return out


# --- lifecycle.ignore_changes -----------------------------------------------------------------


def _with_ignored(config: dict[str, Any], prior: dict[str, Any], ignored: frozenset[str], block: BlockSchema) -> dict[str, Any]:
    """The configuration with ignored paths taken from the prior state, as Terraform does before
    it plans (`all`: every argument)."""
    out = dict(config)
    if "*" in ignored:
        for name, attr in block.attributes.items():
            if not (attr.computed and not attr.optional):
                out[name] = prior.get(name)
        for name in block.blocks:
            out[name] = prior.get(name)
        return out
    for path in ignored:
        head, _, rest = path.partition(".")
        if head not in out:
            continue
        if not rest:
            out[head] = prior.get(head)
        elif isinstance(out[head], dict):
            inner = dict(out[head])
            found = prior.get(head)
            before: dict[str, Any] = found if isinstance(found, dict) else {}
            if rest in before:
                inner[rest] = before[rest]
            else:
                inner.pop(rest, None)
            out[head] = inner
    return out


# --- paths ------------------------------------------------------------------------------------


def format_path(steps: Iterable[Step]) -> str:
    """Terraform's spelling of an attribute path: `tags.Env`, `ingress[1].cidr_blocks[0]`."""
    text = ""
    for kind, value in steps:
        if kind == "index":
            text += f"[{value}]"
        else:
            text += f".{value}" if text else str(value)
    return text


def _same_at(planned: Any, prior: Any, ty: CtyType, steps: tuple[Step, ...]) -> bool:
    """Whether planned and prior agree at `steps` (a path missing on one side reads as null)."""
    a, b, t = planned, prior, ty
    for kind, key in steps:
        t = _step_type(t, kind, key)
        a, b = _step_value(a, kind, key), _step_value(b, kind, key)
        if t is None:
            return bool(canonical_plain(a) == canonical_plain(b))
    return values_equal(a, b, t) if not (a is None and b is None) else True


def _step_type(ty: CtyType | None, kind: str, key: Any) -> CtyType | None:
    if ty is None:
        return None
    if ty.kind == "object" and kind == "attr":
        return dict(ty.attributes).get(str(key))
    if ty.kind in ("list", "set", "map"):
        return ty.element
    if ty.kind == "tuple" and kind == "index" and isinstance(key, int) and key < len(ty.elements):
        return ty.elements[key]
    return None


def _step_value(value: Any, kind: str, key: Any) -> Any:
    if value is None or value is UNKNOWN:
        return value
    if kind in ("attr", "key") and isinstance(value, dict):
        return value.get(str(key))
    if kind == "index" and isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
        return value[key]
    return None


def canonical_plain(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


def _shown(diff: Difference, side: str) -> Difference:
    return Difference(diff.path, _known_after_apply(diff.expected), diff.actual, diff.change, side, diff.sensitive)


def _known_after_apply(value: Any) -> Any:
    if value is UNKNOWN:
        return KNOWN_AFTER_APPLY
    if isinstance(value, dict):
        return {k: _known_after_apply(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_known_after_apply(v) for v in value]
    return value


__all__ = ["KNOWN_AFTER_APPLY", "PlannedChange", "format_path", "plan_change", "proposed_new"]
