"""Variable type constraints: conversion of given values, and `optional()` attribute defaults.

Lenient on purpose: a value that does not fit its type is passed through unchanged (Terraform
would reject the configuration; we only read it).
"""

from __future__ import annotations

from typing import Any

from driftdeck.core.inputs.hcl.functions import as_set
from driftdeck.core.inputs.hcl.syntax import Call, Expr, Literal, ObjectExpr, TupleExpr, Variable
from driftdeck.core.inputs.hcl.values import EvalError, to_bool, to_number, to_string
from driftdeck.core.unknown import UNKNOWN

_PRIMITIVES = {"string", "number", "bool", "any"}


def is_primitive_type(type_expr: Expr | None) -> bool:
    return type_expr is None or (isinstance(type_expr, Variable) and type_expr.name in _PRIMITIVES)


def convert(value: Any, type_expr: Expr | None, eval_default: Any) -> Any:
    """Convert `value` to the type `type_expr`; `eval_default(expr)` evaluates optional() defaults."""
    if value is UNKNOWN or value is None or type_expr is None:
        return value
    try:
        return _convert(value, type_expr, eval_default)
    except EvalError:
        return value


def _convert(value: Any, t: Expr, eval_default: Any) -> Any:
    if value is UNKNOWN or value is None:
        return value
    if isinstance(t, Variable):
        name = t.name
        if name == "string" and isinstance(value, (bool, int, float)):
            return to_string(value)
        if name == "number" and isinstance(value, str):
            return to_number(value)
        if name == "bool" and isinstance(value, str):
            return to_bool(value)
        return value
    if not isinstance(t, Call) or not t.args:
        return value
    kind, arg = t.name, t.args[0]
    if kind == "optional":
        return _convert(value, arg, eval_default)
    if kind in ("list", "set") and isinstance(value, list):
        items = [_convert(v, arg, eval_default) for v in value]
        return as_set(items) if kind == "set" else items
    if kind == "map" and isinstance(value, dict):
        return {k: _convert(v, arg, eval_default) for k, v in value.items()}
    if kind == "tuple" and isinstance(value, list) and isinstance(arg, TupleExpr):
        return [_convert(v, et, eval_default) for v, et in zip(value, arg.items, strict=False)]
    if kind == "object" and isinstance(value, dict) and isinstance(arg, ObjectExpr):
        return _convert_object(value, arg, eval_default)
    return value


def _convert_object(value: dict[str, Any], spec: ObjectExpr, eval_default: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key_expr, attr_type in spec.items:
        if not isinstance(key_expr, Literal):
            continue
        key = str(key_expr.value)
        if key in value and value[key] is not None:
            out[key] = _convert(value[key], attr_type, eval_default)
        elif isinstance(attr_type, Call) and attr_type.name == "optional":
            default = eval_default(attr_type.args[1]) if len(attr_type.args) > 1 else None
            out[key] = _convert(default, attr_type.args[0], eval_default) if default is not None else None
        elif key in value:
            out[key] = None
    return out
