"""Shaping plain values to a schema block, as Terraform does before it sends them to a provider.

A provider expects an object with *every* attribute of the block (null where unset) and nested
blocks in their nesting mode's shape: absent list and set blocks are empty lists, absent map
blocks empty maps, absent single blocks null. The HCL evaluator, in contrast, drops nulls and
writes every nested block as a list of objects.
"""

from __future__ import annotations

from typing import Any

from driftdeck.core.live.provider.schema import BlockSchema
from driftdeck.core.unknown import UNKNOWN, contains_unknown

_SINGLE, _LIST, _SET, _MAP, _GROUP = 1, 2, 3, 4, 5


class ShapeError(ValueError):
    """A value that does not fit the block (names the attribute)."""


def shape_block(block: BlockSchema, values: dict[str, Any] | None, path: str = "") -> dict[str, Any]:
    """`values` as a complete object of `block` (ShapeError on an attribute the block lacks)."""
    if values is not None and not isinstance(values, dict):
        raise ShapeError(f"{path.rstrip('.') or 'value'}: expected a block, got {type(values).__name__}")
    values = dict(values or {})
    unknown = sorted(set(values) - set(block.attributes) - set(block.blocks))
    if unknown:
        raise ShapeError(f"{path}{unknown[0]}: not an argument of this block")
    out: dict[str, Any] = {name: values.get(name) for name in block.attributes}
    for name, nested in block.blocks.items():
        given = values.get(name)
        where = f"{path}{name}"
        if given is UNKNOWN:
            out[name] = UNKNOWN
            continue
        items: list[Any]
        if given is None:
            items = []
        elif isinstance(given, list):
            items = given
        elif isinstance(given, dict) and nested.nesting != _MAP:
            items = [given]
        elif isinstance(given, dict):
            items = [given]
        else:
            raise ShapeError(f"{where}: expected a block")
        if nested.nesting in (_SINGLE, _GROUP):
            if len(items) > 1:
                raise ShapeError(f"{where}: at most one block allowed")
            if items:
                out[name] = _shape_item(nested.block, items[0], f"{where}.")
            else:
                out[name] = shape_block(nested.block, {}, f"{where}.") if nested.nesting == _GROUP else None
        elif nested.nesting == _MAP:
            merged: dict[str, Any] = {}
            for item in items:
                if not isinstance(item, dict):
                    raise ShapeError(f"{where}: expected labelled blocks")
                for key, body in item.items():
                    merged[str(key)] = _shape_item(nested.block, body, f"{where}.{key}.")
            out[name] = merged
        else:
            out[name] = [_shape_item(nested.block, item, f"{where}[{i}].") for i, item in enumerate(items)]
    return out


def _shape_item(block: BlockSchema, item: Any, path: str) -> Any:
    # One block of a nested block type; a block not known yet (a dynamic block) stays unknown.
    return UNKNOWN if item is UNKNOWN else shape_block(block, item, path)


__all__ = ["ShapeError", "contains_unknown", "shape_block"]
