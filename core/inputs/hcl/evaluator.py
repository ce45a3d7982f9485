"""Expression evaluation: syntax trees -> values, with unknowns propagated.

A `Scope` holds the names bound by for-expressions, `count`/`each` and dynamic-block iterators;
everything else (var., local., module., resources, data., path.) is resolved by the scope's
`Context` (a module instance, see `module.py`). Errors Terraform itself would report raise
`EvalError`; callers turn them into unknowns plus a diagnostic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from driftdeck.core.inputs.hcl.functions import REGISTRY, call_function
from driftdeck.core.inputs.hcl.syntax import (
    Binary,
    Body,
    Call,
    Conditional,
    Expr,
    ForExpr,
    ForPart,
    GetAttr,
    IfPart,
    Index,
    Literal,
    ObjectExpr,
    Splat,
    Template,
    TupleExpr,
    Unary,
    Variable,
)
from driftdeck.core.inputs.hcl.values import (
    UNEXPECTED,
    EvalError,
    InternalError,
    OpenObject,
    arithmetic_result,
    normalize_number,
    to_bool,
    to_number,
    to_string,
    type_name,
)
from driftdeck.core.unknown import UNKNOWN, contains_unknown


class Context(Protocol):
    root: str

    def resolve_root(self, name: str) -> Any: ...

    def render_template(self, text: str, variables: dict[str, Any]) -> Any: ...

    def note_unknown_function(self, name: str) -> None: ...


class Namespace:
    """A lazily resolved object (`var`, `local`, `module.x`, a resource type...)."""

    __slots__ = ("_get", "_names", "_cache")

    def __init__(self, get: Callable[[str], Any], names: Callable[[], list[str]] | None = None) -> None:
        self._get = get
        self._names = names
        self._cache: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        if name not in self._cache:
            self._cache[name] = self._get(name)
        return self._cache[name]

    def materialize(self) -> Any:
        if self._names is None:
            raise EvalError("this object cannot be used as a whole value")
        return OpenObject({n: self.get(n) for n in self._names()})


class Scope:
    __slots__ = ("ctx", "bindings")

    def __init__(self, ctx: Context, bindings: dict[str, Any] | None = None) -> None:
        self.ctx = ctx
        self.bindings = bindings or {}

    def child(self, extra: dict[str, Any]) -> Scope:
        return Scope(self.ctx, {**self.bindings, **extra})

    def lookup(self, name: str) -> Any:
        if name in self.bindings:
            return self.bindings[name]
        return self.ctx.resolve_root(name)


def evaluate(expr: Expr, scope: Scope) -> Any:
    """Evaluate an expression to a plain value (lazy namespaces are materialized)."""
    value = _eval(expr, scope)
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Namespace):
        value = value.materialize()
    if isinstance(value, list):
        if any(isinstance(v, (Namespace, list, dict)) for v in value):
            return [_plain(v) for v in value]
        return value
    if isinstance(value, dict):
        if any(isinstance(v, (Namespace, list, dict)) for v in value.values()):
            cls = type(value)
            return cls({k: _plain(v) for k, v in value.items()})
        return value
    return value


def _eval(expr: Expr, scope: Scope) -> Any:
    return _DISPATCH[type(expr)](expr, scope)


def _literal(expr: Literal, scope: Scope) -> Any:
    return expr.value


def _variable(expr: Variable, scope: Scope) -> Any:
    return scope.lookup(expr.name)


def _get_attr(expr: GetAttr, scope: Scope) -> Any:
    return get_attribute(_eval(expr.obj, scope), expr.name)


def get_attribute(obj: Any, name: str) -> Any:
    if obj is UNKNOWN:
        return UNKNOWN
    if isinstance(obj, Namespace):
        return obj.get(name)
    if isinstance(obj, dict):
        if name in obj:
            return obj[name]
        if isinstance(obj, OpenObject):
            return UNKNOWN
        raise EvalError(f"object has no attribute {name!r}")
    if obj is None:
        raise EvalError(f"attempt to get attribute {name!r} from a null value")
    raise EvalError(f"cannot get attribute {name!r} of a {type_name(obj)}")


def _index(expr: Index, scope: Scope) -> Any:
    return index_value(_eval(expr.obj, scope), _eval(expr.key, scope))


def index_value(obj: Any, key: Any) -> Any:
    if obj is UNKNOWN or key is UNKNOWN:
        return UNKNOWN
    if isinstance(obj, Namespace):
        return obj.get(to_string(key))
    if isinstance(obj, list):
        i = to_number(key)
        if not isinstance(i, int) or i < 0 or i >= len(obj):
            raise EvalError(f"index {key!r} out of range for a list of {len(obj)}")
        return obj[i]
    if isinstance(obj, dict):
        k = to_string(key)
        if k in obj:
            return obj[k]
        if isinstance(obj, OpenObject):
            return UNKNOWN
        raise EvalError(f"no element with key {k!r}")
    if obj is None:
        raise EvalError("attempt to index a null value")
    raise EvalError(f"cannot index a {type_name(obj)}")


def _splat(expr: Splat, scope: Scope) -> Any:
    obj = _eval(expr.obj, scope)
    if obj is UNKNOWN:
        return UNKNOWN
    if obj is None:
        return []
    items = obj if isinstance(obj, list) else [obj]
    out = []
    for item in items:
        for kind, arg in expr.ops:
            if kind == "attr":
                item = get_attribute(item, arg)
            else:
                item = index_value(item, _eval(arg, scope))
        out.append(item)
    return out


def _call(expr: Call, scope: Scope) -> Any:
    name = expr.name
    if name == "try":
        return _try(expr, scope)
    if name == "can":
        return _can(expr, scope)
    args = [evaluate(a, scope) for a in expr.args]
    if expr.expand_last and args:
        last = args.pop()
        if last is UNKNOWN:
            return UNKNOWN
        if not isinstance(last, list):
            raise EvalError(f"{name}: expanding argument must be a list")
        args.extend(last)
    if name not in REGISTRY:
        scope.ctx.note_unknown_function(name)
        return UNKNOWN
    try:
        return call_function(name, args, scope.ctx)
    except EvalError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError, OverflowError) as exc:
        raise EvalError(f"{name}: {exc}") from None


def _try(expr: Call, scope: Scope) -> Any:
    for arg in expr.args:
        try:
            return evaluate(arg, scope)
        except EvalError:
            continue
    raise EvalError("try: no argument could be evaluated")


def _can(expr: Call, scope: Scope) -> Any:
    try:
        value = evaluate(expr.args[0], scope)
    except EvalError:
        return False
    return UNKNOWN if value is UNKNOWN else True


def _unary(expr: Unary, scope: Scope) -> Any:
    value = _eval(expr.operand, scope)
    if value is UNKNOWN:
        return UNKNOWN
    if expr.op == "!":
        return not to_bool(value)
    return normalize_number(-to_number(value))


def values_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return bool(a == b)
    if type(a) is not type(b) and not (isinstance(a, dict) and isinstance(b, dict)):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def _binary(expr: Binary, scope: Scope) -> Any:
    op = expr.op
    left = evaluate(expr.left, scope)
    if op in ("&&", "||"):
        if left is not UNKNOWN:
            lb = to_bool(left)
            if op == "&&" and not lb:
                return False
            if op == "||" and lb:
                return True
        right = evaluate(expr.right, scope)
        if right is UNKNOWN or left is UNKNOWN:
            if right is not UNKNOWN:
                rb = to_bool(right)
                if (op == "&&" and not rb) or (op == "||" and rb):
                    return rb
            return UNKNOWN
        return to_bool(right)
    right = evaluate(expr.right, scope)
    if op in ("==", "!="):
        if contains_unknown(left) or contains_unknown(right):
            return UNKNOWN
        same = values_equal(left, right)
        return same if op == "==" else not same
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    a, b = to_number(left), to_number(right)
    if op == "+":
        return arithmetic_result(a + b)
    if op == "-":
        return arithmetic_result(a - b)
    if op == "*":
        return arithmetic_result(a * b)
    if op == "/":
        if b == 0:
            raise EvalError("division by zero")
        if isinstance(a, int) and isinstance(b, int) and a % b == 0:
            return a // b
        return normalize_number(a / b)
    if op == "%":
        if b == 0:
            raise EvalError("modulo by zero")
        return normalize_number(a - b * int(a / b))  # truncated, as in Go
    if op == "<":
        return a < b
    if op == ">":
        return a > b
    if op == "<=":
        return a <= b
    if op == ">=":
        return a >= b
    raise EvalError(f"unsupported operator {op}")


def _conditional(expr: Conditional, scope: Scope) -> Any:
    cond = evaluate(expr.cond, scope)
    if cond is UNKNOWN:
        return UNKNOWN
    chosen = _eval(expr.true if to_bool(cond) else expr.false, scope)
    if isinstance(chosen, (bool, int, float)) and _is_string_literal(expr.false if to_bool(cond) else expr.true):
        return to_string(chosen)  # `c ? 1 : "a"` has type string, as in Terraform
    return chosen


def _is_string_literal(expr: Expr) -> bool:
    return (isinstance(expr, Literal) and isinstance(expr.value, str)) or isinstance(expr, Template)


def _tuple(expr: TupleExpr, scope: Scope) -> Any:
    return [_eval(item, scope) for item in expr.items]


def _object(expr: ObjectExpr, scope: Scope) -> Any:
    out: dict[str, Any] = {}
    for key_expr, value_expr in expr.items:
        key = evaluate(key_expr, scope)
        if key is UNKNOWN:
            return UNKNOWN
        out[to_string(key)] = _eval(value_expr, scope)
    return out


def iterate(collection: Any) -> list[tuple[Any, Any]]:
    """(key, value) pairs as Terraform iterates: maps in lexical key order, lists by index."""
    if isinstance(collection, Namespace):
        collection = collection.materialize()
    if isinstance(collection, dict):
        return [(k, collection[k]) for k in sorted(collection)]
    if isinstance(collection, list):
        return list(enumerate(collection))
    raise EvalError(f"cannot iterate over a {type_name(collection)}")


def _for(expr: ForExpr, scope: Scope) -> Any:
    coll = evaluate(expr.collection, scope)
    if coll is UNKNOWN:
        return UNKNOWN
    if coll is None:
        raise EvalError("cannot iterate over a null value")
    is_object = expr.key is not None
    out_list: list[Any] = []
    out_obj: dict[str, Any] = {}
    for k, v in iterate(coll):
        bindings = {expr.value_var: v}
        if expr.key_var is not None:
            bindings[expr.key_var] = k
        inner = scope.child(bindings)
        if expr.cond is not None:
            keep = evaluate(expr.cond, inner)
            if keep is UNKNOWN:
                return UNKNOWN
            if not to_bool(keep):
                continue
        if not is_object:
            out_list.append(evaluate(expr.value, inner))
            continue
        assert expr.key is not None
        key = evaluate(expr.key, inner)
        if key is UNKNOWN:
            return UNKNOWN
        key = to_string(key)
        value = evaluate(expr.value, inner)
        if expr.grouping:
            out_obj.setdefault(key, []).append(value)
        elif key in out_obj:
            raise EvalError(f"duplicate key {key!r} in for expression")
        else:
            out_obj[key] = value
    return out_obj if is_object else out_list


def _template(expr: Template, scope: Scope) -> Any:
    return render_parts(expr.parts, scope)


def render_parts(parts: tuple[Any, ...], scope: Scope) -> Any:
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        if isinstance(part, IfPart):
            cond = evaluate(part.cond, scope)
            if cond is UNKNOWN:
                return UNKNOWN
            value = render_parts(part.then if to_bool(cond) else part.otherwise, scope)
        elif isinstance(part, ForPart):
            value = _render_for(part, scope)
        else:
            value = evaluate(part, scope)
        if value is UNKNOWN:
            return UNKNOWN
        if contains_unknown(value):
            return UNKNOWN
        out.append(to_string(value))
    return "".join(out)


def _render_for(part: ForPart, scope: Scope) -> Any:
    coll = evaluate(part.collection, scope)
    if coll is UNKNOWN:
        return UNKNOWN
    chunks = []
    for k, v in iterate(coll):
        bindings = {part.value_var: v}
        if part.key_var is not None:
            bindings[part.key_var] = k
        text = render_parts(part.body, scope.child(bindings))
        if text is UNKNOWN:
            return UNKNOWN
        chunks.append(text)
    return "".join(chunks)


_DISPATCH: dict[type, Callable[[Any, Scope], Any]] = {
    Literal: _literal,
    Variable: _variable,
    GetAttr: _get_attr,
    Index: _index,
    Splat: _splat,
    Call: _call,
    Unary: _unary,
    Binary: _binary,
    Conditional: _conditional,
    TupleExpr: _tuple,
    ObjectExpr: _object,
    ForExpr: _for,
    Template: _template,
}


# ---------------------------------------------------------------------------------------------
# Bodies (resource arguments, nested blocks, dynamic blocks)
# ---------------------------------------------------------------------------------------------

OnError = Callable[[str, int, Exception], None]


def evaluate_body(body: Body, scope: Scope, on_error: OnError, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Arguments and nested blocks as Terraform's state shapes them: blocks become lists of objects.

    Null arguments are dropped (null means "not set"); an argument that fails to evaluate becomes
    UNKNOWN and is reported through `on_error(name, line, exc)`.
    """
    out: dict[str, Any] = {}
    for name, attr in body.attributes.items():
        if name in skip:
            continue
        try:
            value = evaluate(attr.expr, scope)
        except EvalError as exc:
            on_error(name, attr.line, exc)
            value = UNKNOWN
        except UNEXPECTED as exc:
            on_error(name, attr.line, InternalError(f"{type(exc).__name__}: {exc}"))
            value = UNKNOWN
        if value is not None:
            out[name] = value
    for block in body.blocks:
        if block.type in skip:
            continue
        if block.type == "dynamic" and block.labels:
            label = block.labels[0]
            items = _expand_dynamic(block.body, label, scope, on_error, block.line)
            existing = out.get(label, [])
            if items is UNKNOWN or existing is UNKNOWN:
                out[label] = UNKNOWN
            else:
                out[label] = existing + items
            continue
        existing = out.setdefault(block.type, [])
        if existing is not UNKNOWN:
            existing.append(evaluate_body(block.body, scope, on_error))
    return out


def _expand_dynamic(body: Body, label: str, scope: Scope, on_error: OnError, line: int) -> Any:
    iterator = label
    if "iterator" in body.attributes:
        it_expr = body.attributes["iterator"].expr
        if isinstance(it_expr, Variable):
            iterator = it_expr.name
    content = next((b for b in body.blocks if b.type == "content"), None)
    if content is None or "for_each" not in body.attributes:
        return []
    try:
        coll = evaluate(body.attributes["for_each"].expr, scope)
        if coll is UNKNOWN:
            return UNKNOWN
        if coll is None:
            return []
        pairs = iterate(coll)
    except EvalError as exc:
        on_error(f"dynamic {label}", line, exc)
        return UNKNOWN
    except UNEXPECTED as exc:
        on_error(f"dynamic {label}", line, InternalError(f"{type(exc).__name__}: {exc}"))
        return UNKNOWN
    items = []
    for k, v in pairs:
        inner = scope.child({iterator: {"key": k, "value": v}})
        items.append(evaluate_body(content.body, inner, on_error))
    return items
