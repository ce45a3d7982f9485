"""What a block of HCL text says, as plain Python values: how a plan checks its own patch.

Read through `parse.parse_hcl`, the same parser (python-hcl2's Lark grammar -> `syntax` trees) the
evaluator uses, so a patched file is judged by exactly the reading a scan will give it. Nothing is
evaluated: literal values come back as plain Python (templates without interpolations as strings,
`jsonencode({...})` of literals as the decoded document, nested blocks as lists of objects, the way
Terraform's state holds them); anything else (a reference, a function call, an interpolation)
becomes an `Expression`, which a plan must never claim equals a live value.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from driftdeck.core.inputs.hcl.parse import parse_hcl
from driftdeck.core.inputs.hcl.syntax import Body, Call, Expr, Literal, ObjectExpr, Template, TupleExpr, Unary


@dataclass(frozen=True)
class Expression:
    """A value that is not a literal (a reference, a function call, a template); `syntax` is its tree."""

    syntax: Expr


def plain(expr: Expr) -> Any:
    """The value of a literal expression, or `Expression` where it is not one (nested values too)."""
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, Template) and all(isinstance(part, str) for part in expr.parts):
        return "".join(expr.parts)  # escaped `$${` or a heredoc's lines: text, no interpolation
    if isinstance(expr, Unary) and expr.op == "-" and isinstance(expr.operand, Literal) \
            and isinstance(expr.operand.value, (int, float)) and not isinstance(expr.operand.value, bool):
        return -expr.operand.value
    if isinstance(expr, TupleExpr):
        return [plain(item) for item in expr.items]
    if isinstance(expr, ObjectExpr):
        keys = [plain(key) for key, _ in expr.items]
        if not all(isinstance(k, str) for k in keys):
            return Expression(expr)  # a computed key `(var.k) = v`: the object is not a literal
        return {k: plain(value) for k, (_, value) in zip(keys, expr.items, strict=True)}
    if isinstance(expr, Call) and expr.name == "jsonencode" and len(expr.args) == 1 and not expr.expand_last:
        document = plain(expr.args[0])
        if not has_expression(document):
            return document
    return Expression(expr)


def has_expression(value: Any) -> bool:
    """Whether `value` (a `plain` result) holds an `Expression` anywhere."""
    if isinstance(value, Expression):
        return True
    if isinstance(value, dict):
        return any(has_expression(v) for v in value.values())
    if isinstance(value, list):
        return any(has_expression(v) for v in value)
    return False


def as_terraform_holds(value: Any) -> Any:
    """`value` with every string in Unicode NFC, as Terraform holds it (cty normalises every string
    value, so a literal in code and a live value read through a provider are both NFC); compare a
    value read here against a raw live value only after this."""
    if isinstance(value, str):
        return value if value.isascii() else unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {as_terraform_holds(k): as_terraform_holds(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_terraform_holds(v) for v in value]
    return value


def body_values(body: Body) -> dict[str, Any]:
    """A block body as plain values: attributes, and nested blocks as lists of objects (a labelled
    nested block, e.g. `dynamic "ingress"`, as one object per label level)."""
    out: dict[str, Any] = {name: plain(attr.expr) for name, attr in body.attributes.items()}
    for block in body.blocks:
        value: Any = body_values(block.body)
        for label in reversed(block.labels):
            value = {label: value}
        out.setdefault(block.type, []).append(value)
    return out


def first_block_values(text: str, path: str = "<hcl>") -> dict[str, Any] | None:
    """The plain body of the first block in `text` (raises InputError when it does not parse)."""
    blocks = parse_hcl(text, path).body.blocks
    return body_values(blocks[0].body) if blocks else None


def resource_body(text: str, rtype: str, name: str, path: str = "<hcl>") -> dict[str, Any] | None:
    """The plain body of `resource "rtype" "name"` in HCL `text` (raises InputError on a parse error)."""
    for block in parse_hcl(text, path).body.blocks:
        if block.type == "resource" and block.labels == (rtype, name):
            return body_values(block.body)
    return None


def parses(text: str, path: str = "<hcl>") -> bool:
    """Whether `text` reads as HCL the way a scan reads it."""
    try:
        parse_hcl(text, path)
    except Exception:  # noqa: BLE001 - InputError, and anything the grammar trips over, is "does not parse"
        return False
    return True
