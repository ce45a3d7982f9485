"""HCL (and Terraform JSON) text -> `syntax` trees, via python-hcl2's Lark parse tree.

python-hcl2's dict output keeps expressions as `${...}` strings that would have to be re-parsed;
its raw Lark tree (`hcl2.parses_to_tree`) already has the full expression structure and line
numbers, so we convert that tree directly. Heredoc bodies and template files come as plain text
and go through the small template scanner below; the expressions inside them are parsed by the
same Lark grammar.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import hcl2
from hcl2.postlexer import PostLexer
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from driftdeck.core.errors import InputError
from driftdeck.core.inputs.hcl.syntax import (
    Attribute,
    Binary,
    Block,
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
    ParsedFile,
    Splat,
    Template,
    TupleExpr,
    Unary,
    Variable,
)
from driftdeck.core.settings import user_cache_dir

_NL = "new_line_or_comment"
_BINARY_OPS = {
    "DOUBLE_EQ": "==", "NEQ": "!=", "LT": "<", "GT": ">", "LEQ": "<=", "GEQ": ">=",
    "MINUS": "-", "PLUS": "+", "ASTERISK": "*", "SLASH": "/", "PERCENT": "%",
    "DOUBLE_AMP": "&&", "DOUBLE_PIPE": "||",
}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.S)


# Deepest parse tree accepted. The converter and the evaluator recurse once or twice per tree
# level, so without a bound a deeply nested expression ends in RecursionError. 648 public modules
# peak at 65; 256 is about 120 nested lists or 80 nested objects.
MAX_TREE_DEPTH = 256


def check_nesting(tree: Tree, path: str) -> None:
    """InputError naming file and line when `tree` nests deeper than MAX_TREE_DEPTH (walked
    without recursion, so the check itself cannot overflow)."""
    stack: list[tuple[Any, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, Tree):
            continue
        if depth > MAX_TREE_DEPTH:
            line = getattr(node.meta, "line", None) if not node.meta.empty else _first_line(node)
            raise InputError(
                f"expression nested too deeply (parse tree deeper than {MAX_TREE_DEPTH} levels)", file=path, line=line
            )
        stack.extend((child, depth + 1) for child in node.children)


def _first_line(node: Tree) -> int | None:
    for token in node.scan_values(lambda v: isinstance(v, Token)):
        return token.line
    return None


class TemplateSyntaxError(ValueError):
    """A malformed template (heredoc, template file): unbalanced braces or directives."""

    line: int | None = None


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


def parse_hcl(text: str, path: str) -> ParsedFile:
    """Parse native HCL syntax; malformed input raises InputError naming file and line."""
    try:
        tree = _parse_tree(text)
    except UnexpectedInput as exc:
        line = exc.line if isinstance(exc.line, int) and exc.line > 0 else _last_line(text)
        raise InputError(f"invalid HCL syntax: {_short_reason(exc)}", file=path, line=line) from None
    check_nesting(tree, path)
    try:
        return ParsedFile(path=path, body=_body(tree.children[0]))
    except RecursionError:
        raise InputError("expression nested too deeply to read", file=path) from None
    except TemplateSyntaxError as exc:
        raise InputError(f"invalid template: {exc}", file=path, line=exc.line) from None
    except UnexpectedInput as exc:
        raise InputError(f"invalid HCL syntax in a template: {_short_reason(exc)}", file=path) from None


def _parse_tree(text: str) -> Tree:
    """python-hcl2's tree; text with non-ASCII identifiers (HCL allows Unicode ID_Start/ID_Continue,
    python-hcl2's grammar only ASCII) goes through the same grammar with Unicode identifiers."""
    try:
        return hcl2.parses_to_tree(text)
    except UnexpectedInput:
        if text.isascii():
            raise
        return _unicode_parser().parse(text + "\n")


@functools.lru_cache(maxsize=1)
def _unicode_parser() -> Lark:
    """python-hcl2's own grammar with `NAME` widened to Unicode letters (built once; the LALR tables
    are cached in driftdeck's cache dir, as building them takes seconds)."""
    grammar_file = Path(hcl2.__file__).parent / "hcl2.lark"
    grammar, count = re.subn(r"^NAME : .*$", r"NAME : /(?!\\d)\\w[\\w-]*/", grammar_file.read_text(), flags=re.M)
    if count != 1:
        raise RuntimeError("python-hcl2's grammar no longer defines NAME as expected")
    cache: str | bool = False
    try:
        folder = user_cache_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        digest = hashlib.blake2b(grammar.encode(), digest_size=8).hexdigest()
        cache = str(folder / f"hcl2-unicode-{digest}.lark")
    except OSError:
        pass  # no cache dir: build the tables in memory
    return Lark(grammar, parser="lalr", propagate_positions=True, postlex=PostLexer(), cache=cache)


def parse_json(text: str, path: str) -> ParsedFile:
    """Parse Terraform's JSON syntax (`*.tf.json`): string values are templates."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=path, line=exc.lineno) from None
    except RecursionError:
        raise InputError("JSON nested too deeply to read", file=path) from None
    if not isinstance(data, dict):
        raise InputError("a .tf.json file must hold a JSON object", file=path, line=1)
    try:
        return ParsedFile(path=path, body=_json_body(data, text))
    except RecursionError:
        raise InputError("JSON nested too deeply to read", file=path) from None
    except (TemplateSyntaxError, UnexpectedInput) as exc:
        raise InputError(f"invalid template in JSON: {exc}", file=path) from None


def parse_expression(text: str) -> Expr:
    """Parse one HCL expression (used for template interpolations and TF_VAR_ values)."""
    tree = _parse_tree(f"__expr = (\n{text}\n)")
    attr = tree.children[0].children
    for child in attr:
        if isinstance(child, Tree) and child.data == "attribute":
            return _expr(child.children[-1])
    raise TemplateSyntaxError(f"not an expression: {text!r}")


def parse_template(text: str, *, flush: bool = False) -> Expr:
    """Parse template text (heredoc body, template file) into an expression; `flush` removes the
    common indentation as a `<<-` heredoc does."""
    return _template_expr(_assemble(_scan_template(text), flush=flush))


def _short_reason(exc: UnexpectedInput) -> str:
    col = getattr(exc, "column", None)
    token = getattr(exc, "token", None)
    if token is not None and str(token).strip():
        return f"unexpected {str(token).strip()[:40]!r}" + (f" at column {col}" if col else "")
    return "unexpected end of input" if token is not None else f"unexpected character at column {col}"


def _last_line(text: str) -> int:
    return text.count("\n") + 1


# ---------------------------------------------------------------------------------------------
# Lark tree -> syntax
# ---------------------------------------------------------------------------------------------


def _kids(tree: Tree) -> list[Any]:
    return [c for c in tree.children if not (isinstance(c, Tree) and c.data == _NL)]


def _name_of(node: Any) -> str:
    """Attribute names, block types and naked labels: identifier / keyword / literal_value."""
    if isinstance(node, Token):
        return str(node)
    if node.data == "string":
        return _plain_string(node)
    return str(node.children[0])


def _body(tree: Tree) -> Body:
    attributes: dict[str, Attribute] = {}
    blocks: list[Block] = []
    for child in tree.children:
        if not isinstance(child, Tree):
            continue
        if child.data == "attribute":
            kids = child.children
            name = _name_of(kids[0])
            try:
                attributes[name] = Attribute(name, _expr(kids[-1]), child.meta.line)
            except TemplateSyntaxError as exc:
                exc.line = exc.line or child.meta.line
                raise
        elif child.data == "block":
            kids = _kids(child)
            names = [k for k in kids if isinstance(k, Tree) and k.data != "body"]
            body = next(k for k in kids if isinstance(k, Tree) and k.data == "body")
            blocks.append(
                Block(
                    type=_name_of(names[0]),
                    labels=tuple(_name_of(n) for n in names[1:]),
                    body=_body(body),
                    line=child.meta.line,
                )
            )
    return Body(attributes=attributes, blocks=tuple(blocks))


def _plain_string(tree: Tree) -> str:
    """A block label: a quoted string without interpolations."""
    out = []
    for part in tree.children:
        if isinstance(part, Tree):
            for tok in part.children:
                if isinstance(tok, Token):
                    out.append(_unescape(str(tok)))
    return "".join(out)


def _nfc(text: str) -> str:
    """HCL normalizes string literals to Unicode NFC (e + combining acute is é)."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _unescape(text: str) -> str:
    if "\\" not in text:
        return _nfc(text)

    def repl(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc[0] in "uU" and len(esc) > 1:
            return chr(int(esc[1:], 16))
        return _ESCAPES.get(esc, "\\" + esc)

    out = _ESCAPE_RE.sub(repl, text)
    if any("\ud800" <= ch <= "\udfff" for ch in out):
        # `\ud83d\ude00`-style pairs (as JSON writes them) -> the character; lone halves -> U+FFFD
        out = out.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return _nfc(out)


def _expr(node: Any) -> Expr:
    if isinstance(node, Token):
        raise TemplateSyntaxError(f"unexpected token {node!r}")
    handler = _HANDLERS.get(str(node.data))
    if handler is None:
        raise TemplateSyntaxError(f"unsupported syntax {node.data}")
    return handler(node)


def _expr_term(tree: Tree) -> Expr:
    kids = _kids(tree)
    if len(kids) == 1:
        return _expr(kids[0])
    # ( expression )
    inner = [k for k in kids if isinstance(k, Tree)]
    return _expr(inner[0])


def _identifier(tree: Tree) -> Expr:
    return Variable(str(tree.children[0]))


def _literal_value(tree: Tree) -> Expr:
    word = str(tree.children[0])
    return Literal({"true": True, "false": False, "null": None}[word])


def _int_lit(tree: Tree) -> Expr:
    return Literal(int(str(tree.children[0])))


def _float_lit(tree: Tree) -> Expr:
    value = float(str(tree.children[0]))
    text = str(tree.children[0])
    if value.is_integer() and "e" not in text.lower():
        return Literal(int(text.split(".")[0]))
    return Literal(int(value) if value.is_integer() else value)


def _conditional(tree: Tree) -> Expr:
    parts = [k for k in _kids(tree) if isinstance(k, Tree)]
    return Conditional(_expr(parts[0]), _expr(parts[1]), _expr(parts[2]))


def _binary_op(tree: Tree) -> Expr:
    kids = [k for k in _kids(tree) if isinstance(k, Tree)]
    left = _expr(kids[0])
    term = [k for k in _kids(kids[1]) if isinstance(k, Tree)]
    op_token = term[0].children[0]
    assert isinstance(op_token, Token)
    return Binary(_BINARY_OPS[op_token.type], left, _expr(term[1]))


def _unary_op(tree: Tree) -> Expr:
    op, operand = tree.children[0], tree.children[1]
    inner = _expr(operand)
    if str(op) == "-" and isinstance(inner, Literal) and isinstance(inner.value, (int, float)):
        return Literal(-inner.value)
    return Unary("-" if str(op) == "-" else "!", inner)


def _tuple(tree: Tree) -> Expr:
    return TupleExpr(tuple(_expr(k) for k in _kids(tree) if isinstance(k, Tree)))


def _object(tree: Tree) -> Expr:
    items = []
    for elem in _kids(tree):
        if not isinstance(elem, Tree) or elem.data != "object_elem":
            continue
        key_tree, value_tree = elem.children[0], elem.children[-1]
        items.append((_object_key(key_tree), _expr(value_tree)))
    return ObjectExpr(tuple(items))


def _object_key(tree: Tree) -> Expr:
    inner = tree.children[0]
    if inner.data == "keyword":
        return Literal(str(inner.children[0]))
    # A naked identifier is a literal key; `(expr)` and templates are evaluated.
    if inner.data == "expr_term":
        kids = _kids(inner)
        if len(kids) == 1 and isinstance(kids[0], Tree) and kids[0].data == "identifier":
            return Literal(str(kids[0].children[0]))
        if len(kids) == 1 and isinstance(kids[0], Tree) and kids[0].data == "literal_value":
            return Literal(str(kids[0].children[0]))
    return _expr(inner)


def _function_call(tree: Tree) -> Expr:
    kids = tree.children
    names = [str(k.children[0]) for k in kids if isinstance(k, Tree) and k.data == "identifier"]
    args_tree = next((k for k in kids if isinstance(k, Tree) and k.data == "arguments"), None)
    args: tuple[Expr, ...] = ()
    expand = False
    if args_tree is not None:
        args = tuple(_expr(k) for k in _kids(args_tree) if isinstance(k, Tree))
        expand = any(isinstance(k, Token) and k.type == "ELLIPSIS" for k in args_tree.children)
    return Call("::".join(names), args, expand)


def _get_attr_expr_term(tree: Tree) -> Expr:
    obj, getattr_tree = tree.children
    return GetAttr(_expr(obj), _name_of(getattr_tree.children[1]))


def _index_expr_term(tree: Tree) -> Expr:
    obj, index = tree.children
    return Index(_expr(obj), _index_key(index))


def _index_key(index: Tree) -> Expr:
    if index.data == "short_index":
        return Literal(int(str(index.children[1])))
    return _expr(next(k for k in _kids(index) if isinstance(k, Tree)))


def _splat(tree: Tree) -> Expr:
    obj, splat = tree.children
    ops: list[tuple[str, Any]] = []
    for op in splat.children:
        if not isinstance(op, Tree):
            continue
        if op.data == "get_attr":
            ops.append(("attr", _name_of(op.children[1])))
        else:
            ops.append(("index", _index_key(op)))
    return Splat(_expr(obj), tuple(ops))


def _for_intro(tree: Tree) -> tuple[str | None, str, Expr]:
    names: list[str] = []
    coll: Expr | None = None
    seen_in = False
    for child in tree.children:
        if isinstance(child, Token):
            if child.type == "IN":
                seen_in = True
            continue
        if child.data == _NL:
            continue
        if not seen_in and child.data == "identifier":
            names.append(str(child.children[0]))
        elif seen_in and coll is None:
            coll = _expr(child)
    assert coll is not None
    if len(names) == 2:
        return names[0], names[1], coll
    return None, names[0], coll


def _for_cond(tree: Tree | None) -> Expr | None:
    if tree is None:
        return None
    return _expr(next(k for k in _kids(tree) if isinstance(k, Tree)))


def _for_tuple(tree: Tree) -> Expr:
    kids = [k for k in _kids(tree) if isinstance(k, Tree)]
    key_var, value_var, coll = _for_intro(kids[0])
    cond = next((k for k in kids if k.data == "for_cond"), None)
    exprs = [k for k in kids[1:] if k.data != "for_cond"]
    return ForExpr(key_var, value_var, coll, None, _expr(exprs[0]), _for_cond(cond), False)


def _for_object(tree: Tree) -> Expr:
    kids = [k for k in _kids(tree) if isinstance(k, Tree)]
    key_var, value_var, coll = _for_intro(kids[0])
    cond = next((k for k in kids if k.data == "for_cond"), None)
    exprs = [k for k in kids[1:] if k.data != "for_cond"]
    grouping = any(isinstance(k, Token) and k.type == "ELLIPSIS" for k in tree.children)
    return ForExpr(key_var, value_var, coll, _expr(exprs[0]), _expr(exprs[1]), _for_cond(cond), grouping)


def _heredoc(tree: Tree) -> Expr:
    trim, body = _heredoc_body(str(tree.children[0]))
    return parse_template(body, flush=trim)


_HEREDOC_RE = re.compile(r"\A<<(-?)([A-Za-z][\w.-]*)\r?\n(.*?)^[ \t]*\2\r?\n?\Z", re.S | re.M)


def _heredoc_body(token: str) -> tuple[bool, str]:
    m = _HEREDOC_RE.match(token)
    if m is None:
        raise TemplateSyntaxError("malformed heredoc")
    return m.group(1) == "-", m.group(3).replace("\r\n", "\n")


def _template_string(tree: Tree) -> Expr:
    raw = str(tree.children[0])
    return Literal(_unescape(raw[2:-2]))


# Quoted strings: a flat list of parts, then the shared template assembler.


def _string(tree: Tree) -> Expr:
    flat: list[Any] = []
    for part in tree.children:
        if not isinstance(part, Tree):
            continue
        inner = part.children[0]
        if isinstance(inner, Token):
            if inner.type == "ESCAPED_INTERPOLATION" or inner.type == "ESCAPED_DIRECTIVE":
                flat.append(str(inner)[1:])
            else:
                flat.append(_unescape(str(inner)))
        else:
            flat.append(_directive_from_tree(inner))
    return _template_expr(_assemble(flat))


def _directive_from_tree(tree: Tree) -> tuple[Any, ...]:
    kind = str(tree.data)
    if kind == "interpolation":
        return ("interp", _expr(next(k for k in tree.children if isinstance(k, Tree))), False, False)
    toks = tree.children
    strip_l = len(toks) > 1 and isinstance(toks[1], Token) and toks[1].type == "STRIP_MARKER"
    strip_r = len(toks) > 2 and isinstance(toks[-2], Token) and toks[-2].type == "STRIP_MARKER"
    if kind == "template_if_start":
        cond = next(k for k in toks if isinstance(k, Tree))
        return ("if", _expr(cond), strip_l, strip_r)
    if kind == "template_for_start":
        names = [str(k.children[0]) for k in toks if isinstance(k, Tree) and k.data == "identifier"]
        coll = [k for k in toks if isinstance(k, Tree) and k.data != "identifier"][0]
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        return ("for", (key_var, value_var, _expr(coll)), strip_l, strip_r)
    word = {"template_else": "else", "template_endif": "endif", "template_endfor": "endfor"}[kind]
    return (word, None, strip_l, strip_r)


# ---------------------------------------------------------------------------------------------
# Template text scanner (heredocs, template files, JSON strings)
# ---------------------------------------------------------------------------------------------

_DIRECTIVE_RE = re.compile(r"\A\s*(if|else|endif|for|endfor)\b(.*)\Z", re.S)
_FOR_HEAD_RE = re.compile(r"\A\s*([A-Za-z_][\w-]*)\s*(?:,\s*([A-Za-z_][\w-]*)\s*)?\bin\b(.*)\Z", re.S)


def _scan_template(text: str) -> list[Any]:
    flat: list[Any] = []
    buf: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "$%" and text.startswith("{", i + 1):
            if buf:
                flat.append("".join(buf))
                buf = []
            end = _matching_brace(text, i + 2)
            inner = text[i + 2 : end]
            strip_l = inner.startswith("~")
            strip_r = inner.endswith("~") and len(inner) > 1
            inner = inner[1 if strip_l else 0 : len(inner) - 1 if strip_r else len(inner)]
            flat.append(_directive_from_text(ch, inner, strip_l, strip_r))
            i = end + 1
            continue
        if ch in "$%" and text.startswith(ch + "{", i + 1):
            buf.append(ch + "{")  # `$${` / `%%{` escape a literal `${` / `%{`
            i += 3
            continue
        buf.append(ch)
        i += 1
        if ch == "\n":
            # One literal per line, as HCL's scanner does: `~` strips and `<<-` indentation
            # apply to these pieces, not to whole runs of text.
            flat.append("".join(buf))
            buf = []
    if buf:
        flat.append("".join(buf))
    return [_nfc(p) if isinstance(p, str) else p for p in flat]


def _directive_from_text(sigil: str, inner: str, strip_l: bool, strip_r: bool) -> tuple[Any, ...]:
    if sigil == "$":
        return ("interp", parse_expression(inner), strip_l, strip_r)
    m = _DIRECTIVE_RE.match(inner)
    if m is None:
        raise TemplateSyntaxError(f"unknown template directive %{{{inner.strip()[:30]}}}")
    word, rest = m.group(1), m.group(2)
    if word == "if":
        return ("if", parse_expression(rest), strip_l, strip_r)
    if word == "for":
        head = _FOR_HEAD_RE.match(rest)
        if head is None:
            raise TemplateSyntaxError(f"malformed for directive %{{{inner.strip()[:30]}}}")
        k, v = (head.group(1), head.group(2)) if head.group(2) else (None, head.group(1))
        return ("for", (k, v, parse_expression(head.group(3))), strip_l, strip_r)
    return (word, None, strip_l, strip_r)


def _matching_brace(text: str, start: int) -> int:
    """Index of the `}` closing the `{` just before `start`, skipping strings and nesting."""
    depth, i, n = 0, start, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i = _skip_string(text, i + 1)
            continue
        if ch in "{[(":
            depth += 1
        elif ch in "}])":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    raise TemplateSyntaxError("unterminated template interpolation")


def _skip_string(text: str, i: int) -> int:
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == '"':
            return i + 1
        if ch == "$" and text.startswith("{", i + 1):
            i = _matching_brace(text, i + 2) + 1
            continue
        i += 1
    raise TemplateSyntaxError("unterminated string in template")


def _assemble(flat: list[Any], *, flush: bool = False) -> tuple[Any, ...]:
    """Apply `~` strip markers (to the adjacent literal only), then the `<<-` flush, then nest
    if/for directives: the order HCL applies them in (checked against terraform console)."""
    items = list(flat)
    for idx, item in enumerate(items):
        if isinstance(item, tuple):
            if item[2] and idx > 0 and isinstance(items[idx - 1], str):
                items[idx - 1] = items[idx - 1].rstrip()
            if item[3] and idx + 1 < len(items) and isinstance(items[idx + 1], str):
                items[idx + 1] = items[idx + 1].lstrip()
    if flush:
        _flush_indentation(items)
    parts, pos, end = _nest(items, 0, ())
    if end is not None:
        raise TemplateSyntaxError(f"unexpected %{{{end}}} in template")
    return parts


def _flush_indentation(items: list[Any]) -> None:
    """Remove the smallest indentation of the pieces that begin a line (HCL's flush heredoc rule:
    whitespace-only lines do not count; a line starting with a directive counts as zero)."""
    smallest = None
    adjust = []
    at_line_start = True
    for idx, item in enumerate(items):
        if at_line_start:
            at_line_start = False
            if isinstance(item, str):
                rest = item.lstrip()
                if rest or not item.endswith("\n"):
                    spaces = len(item) - len(rest)
                    adjust.append(idx)
                    smallest = spaces if smallest is None else min(smallest, spaces)
            else:
                smallest = 0
        if isinstance(item, str) and item.endswith("\n"):
            at_line_start = True
    if smallest:
        for idx in adjust:
            items[idx] = items[idx][smallest:]


def _nest(items: list[Any], pos: int, stop: tuple[str, ...]) -> tuple[tuple[Any, ...], int, str | None]:
    out: list[Any] = []
    while pos < len(items):
        item = items[pos]
        pos += 1
        if isinstance(item, str):
            if item:
                out.append(item)
            continue
        kind = item[0]
        if kind == "interp":
            out.append(item[1])
        elif kind in stop:
            return tuple(out), pos, kind
        elif kind == "if":
            then, pos, ended = _nest(items, pos, ("else", "endif"))
            otherwise: tuple[Any, ...] = ()
            if ended == "else":
                otherwise, pos, ended = _nest(items, pos, ("endif",))
            if ended != "endif":
                raise TemplateSyntaxError("%{if} without %{endif}")
            out.append(IfPart(item[1], then, otherwise))
        elif kind == "for":
            body, pos, ended = _nest(items, pos, ("endfor",))
            if ended != "endfor":
                raise TemplateSyntaxError("%{for} without %{endfor}")
            key_var, value_var, coll = item[1]
            out.append(ForPart(key_var, value_var, coll, body))
        else:
            raise TemplateSyntaxError(f"unexpected %{{{kind}}} in template")
    return tuple(out), pos, None


def _template_expr(parts: tuple[Any, ...]) -> Expr:
    if not parts:
        return Literal("")
    if len(parts) == 1 and isinstance(parts[0], str):
        return Literal(parts[0])
    if len(parts) == 1 and isinstance(parts[0], Expr):
        return parts[0]  # "${x}" is x itself, with its type kept
    return Template(parts)


_HANDLERS = {
    "expr_term": _expr_term,
    "identifier": _identifier,
    "literal_value": _literal_value,
    "int_lit": _int_lit,
    "float_lit": _float_lit,
    "conditional": _conditional,
    "binary_op": _binary_op,
    "unary_op": _unary_op,
    "tuple": _tuple,
    "object": _object,
    "function_call": _function_call,
    "get_attr_expr_term": _get_attr_expr_term,
    "index_expr_term": _index_expr_term,
    "attr_splat_expr_term": _splat,
    "full_splat_expr_term": _splat,
    "for_tuple_expr": _for_tuple,
    "for_object_expr": _for_object,
    "heredoc_template": _heredoc,
    "heredoc_template_trim": _heredoc,
    "string": _string,
    "template_string": _template_string,
}


# ---------------------------------------------------------------------------------------------
# Terraform JSON syntax
# ---------------------------------------------------------------------------------------------

_JSON_LABELS = {"resource": 2, "data": 2, "variable": 1, "output": 1, "module": 1, "provider": 1}


def _json_body(data: dict[str, Any], text: str) -> Body:
    blocks: list[Block] = []
    attributes: dict[str, Attribute] = {}
    for kind, content in data.items():
        if kind.startswith("//"):
            continue
        labels_wanted = _JSON_LABELS.get(kind, 0)
        for labels, body in _json_blocks(content, labels_wanted, ()):
            line = _json_line(text, labels[-1] if labels else kind)
            blocks.append(Block(kind, labels, _json_block_body(kind, body), line))
    return Body(attributes=attributes, blocks=tuple(blocks))


def _json_blocks(content: Any, depth: int, labels: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    if isinstance(content, list):
        return [item for c in content for item in _json_blocks(c, depth, labels)]
    if depth == 0:
        return [(labels, content)]
    if not isinstance(content, dict):
        return []
    return [item for k, v in content.items() for item in _json_blocks(v, depth - 1, (*labels, k))]


def _json_block_body(kind: str, body: Any) -> Body:
    if not isinstance(body, dict):
        return Body()
    attributes: dict[str, Attribute] = {}
    blocks: list[Block] = []
    for key, value in body.items():
        if key.startswith("//"):
            continue
        if kind == "variable" and key == "type" and isinstance(value, str):
            attributes[key] = Attribute(key, parse_expression(value), 1)
        elif kind == "variable" and key in ("default", "validation"):
            attributes[key] = Attribute(key, Literal(value), 1)
        elif kind == "terraform" and isinstance(value, dict) and key in ("backend", "cloud"):
            for name, settings in value.items():
                blocks.append(Block(key, (name,), _json_block_body("backend", settings), 1))
        else:
            attributes[key] = Attribute(key, _json_expr(value), 1)
    return Body(attributes=attributes, blocks=tuple(blocks))


def _json_expr(value: Any) -> Expr:
    if isinstance(value, str):
        return parse_template(value) if ("${" in value or "%{" in value) else Literal(value)
    if isinstance(value, list):
        return TupleExpr(tuple(_json_expr(v) for v in value))
    if isinstance(value, dict):
        return ObjectExpr(tuple((Literal(k), _json_expr(v)) for k, v in value.items() if not k.startswith("//")))
    return Literal(value)


def _json_line(text: str, key: str) -> int:
    pos = text.find(json.dumps(key))
    return text.count("\n", 0, pos) + 1 if pos >= 0 else 1
