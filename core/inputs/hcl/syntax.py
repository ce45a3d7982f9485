"""Syntax tree of an HCL file: bodies, blocks, attributes and expressions.

Built once per file content (see `parse.py`) and never mutated, so parse results can be cached and
shared between evaluations.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


class Expr:
    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Literal(Expr):
    value: Any


@dataclass(frozen=True, slots=True)
class Variable(Expr):
    name: str


@dataclass(frozen=True, slots=True)
class GetAttr(Expr):
    obj: Expr
    name: str


@dataclass(frozen=True, slots=True)
class Index(Expr):
    obj: Expr
    key: Expr


@dataclass(frozen=True, slots=True)
class Splat(Expr):
    """`obj[*].a[0]` (full) or `obj.*.a` (attribute splat); ops apply to each element."""

    obj: Expr
    ops: tuple[tuple[str, Any], ...]  # ("attr", name) | ("index", Expr)


@dataclass(frozen=True, slots=True)
class Call(Expr):
    name: str
    args: tuple[Expr, ...]
    expand_last: bool = False


@dataclass(frozen=True, slots=True)
class Unary(Expr):
    op: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Conditional(Expr):
    cond: Expr
    true: Expr
    false: Expr


@dataclass(frozen=True, slots=True)
class TupleExpr(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class ObjectExpr(Expr):
    items: tuple[tuple[Expr, Expr], ...]


@dataclass(frozen=True, slots=True)
class ForExpr(Expr):
    key_var: str | None
    value_var: str
    collection: Expr
    key: Expr | None  # None: a tuple `[for ...]`; otherwise an object `{for ... => ...}`
    value: Expr
    cond: Expr | None
    grouping: bool


# Template parts: str (literal text), Expr (interpolation), IfPart, ForPart.
@dataclass(frozen=True, slots=True)
class IfPart:
    cond: Expr
    then: tuple[Any, ...]
    otherwise: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ForPart:
    key_var: str | None
    value_var: str
    collection: Expr
    body: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Template(Expr):
    parts: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    expr: Expr
    line: int


@dataclass(frozen=True, slots=True)
class Block:
    type: str
    labels: tuple[str, ...]
    body: Body
    line: int


@dataclass(frozen=True, slots=True)
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: tuple[Block, ...] = ()

    def blocks_of(self, kind: str) -> list[Block]:
        return [b for b in self.blocks if b.type == kind]


@dataclass(frozen=True, slots=True)
class ParsedFile:
    path: str
    body: Body


def walk(expr: Any) -> Iterator[Any]:
    """Every expression node (and template part) under `expr`, including itself."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (GetAttr, Splat)):
            stack.append(node.obj)
            if isinstance(node, Splat):
                stack.extend(arg for kind, arg in node.ops if kind == "index")
        elif isinstance(node, Index):
            stack.extend((node.obj, node.key))
        elif isinstance(node, Call):
            stack.extend(node.args)
        elif isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Binary):
            stack.extend((node.left, node.right))
        elif isinstance(node, Conditional):
            stack.extend((node.cond, node.true, node.false))
        elif isinstance(node, TupleExpr):
            stack.extend(node.items)
        elif isinstance(node, ObjectExpr):
            for k, v in node.items:
                stack.extend((k, v))
        elif isinstance(node, ForExpr):
            stack.extend(e for e in (node.collection, node.key, node.value, node.cond) if e is not None)
        elif isinstance(node, Template):
            stack.extend(p for p in node.parts if not isinstance(p, str))
        elif isinstance(node, IfPart):
            stack.append(node.cond)
            stack.extend(p for p in (*node.then, *node.otherwise) if not isinstance(p, str))
        elif isinstance(node, ForPart):
            stack.append(node.collection)
            stack.extend(p for p in node.body if not isinstance(p, str))
