"""Terraform's built-in functions, over evaluator values (see `values.py`).

Each function receives already-evaluated arguments. Unknown handling is declared per function:
`deep` functions return UNKNOWN when any argument holds an unknown anywhere (they need every
value, e.g. `join`, `jsonencode`); `shallow` ones only when an argument is itself unknown (they
move values around without looking inside, e.g. `merge`, `concat`, `length`). `try` and `can`
are special forms handled by the evaluator.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import ipaddress
import json
import math
import os
import re
import unicodedata
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from driftdeck.core.inputs.hcl.values import (
    EvalError,
    arithmetic_result,
    format_number,
    normalize_number,
    to_bool,
    to_number,
    to_string,
    type_name,
    unify_primitives,
)
from driftdeck.core.unknown import UNKNOWN, contains_unknown

Function = Callable[..., Any]
# name -> (implementation, deep_unknown_check, needs_context)
REGISTRY: dict[str, tuple[Function, bool, bool]] = {}


def _register(name: str, *, deep: bool = True, context: bool = False) -> Callable[[Function], Function]:
    def wrap(fn: Function) -> Function:
        REGISTRY[name] = (fn, deep, context)
        return fn

    return wrap


def call_function(name: str, args: list[Any], context: Any) -> Any:
    """Apply a built-in; raises KeyError for names we do not implement."""
    fn, deep, needs_context = REGISTRY[name]
    if deep:
        if any(contains_unknown(a) for a in args):
            return UNKNOWN
    elif any(a is UNKNOWN for a in args):
        return UNKNOWN
    return fn(context, *args) if needs_context else fn(*args)


def _seq(value: Any, fname: str) -> list[Any]:
    if isinstance(value, list):
        return value
    raise EvalError(f"{fname}: expected a list, got {type_name(value)}")


def _map(value: Any, fname: str) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise EvalError(f"{fname}: expected a map or object, got {type_name(value)}")


def _unique(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    seen: set[str] = set()
    for v in values:
        key = json.dumps(v, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


def as_set(values: list[Any]) -> list[Any]:
    """Terraform sets: duplicates dropped; sets of strings iterate in lexical order."""
    out = _unique(values)
    if all(isinstance(v, str) for v in out):
        out.sort()
    elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in out):
        out.sort()
    return out


# --- collections -------------------------------------------------------------------------------


@_register("merge", deep=False)
def _merge(*maps: Any) -> Any:
    out: dict[str, Any] = {}
    for m in maps:
        if m is None:
            continue
        out.update(_map(m, "merge"))
    return out


@_register("concat", deep=False)
def _concat(*lists: Any) -> Any:
    out: list[Any] = []
    for lst in lists:
        out.extend(_seq(lst, "concat"))
    return out


@_register("length", deep=False)
def _length(value: Any) -> Any:
    if isinstance(value, str):
        return len(graphemes(value))
    if isinstance(value, (list, dict)):
        return len(value)
    raise EvalError(f"length: cannot take the length of {type_name(value)}")


@_register("keys", deep=False)
def _keys(value: Any) -> Any:
    return sorted(_map(value, "keys"))


@_register("values", deep=False)
def _values(value: Any) -> Any:
    m = _map(value, "values")
    return [m[k] for k in sorted(m)]


@_register("lookup", deep=False)
def _lookup(mapping: Any, key: Any, *default: Any) -> Any:
    if key is UNKNOWN or contains_unknown(key):
        return UNKNOWN
    m = _map(mapping, "lookup")
    key = to_string(key)
    if key in m:
        return m[key]
    if default:
        return default[0]
    raise EvalError(f"lookup: key {key!r} not found")


@_register("contains")
def _contains(coll: Any, value: Any) -> Any:
    return value in _seq(coll, "contains")


@_register("element", deep=False)
def _element(coll: Any, index: Any) -> Any:
    seq = _seq(coll, "element")
    if index is UNKNOWN:
        return UNKNOWN
    if not seq:
        raise EvalError("element: empty list")
    return seq[int(to_number(index)) % len(seq)]


@_register("index")
def _index(coll: Any, value: Any) -> Any:
    seq = _seq(coll, "index")
    if value not in seq:
        raise EvalError("index: value not found")
    return seq.index(value)


@_register("flatten", deep=False)
def _flatten(value: Any) -> Any:
    out: list[Any] = []

    def walk(v: Any) -> None:
        for item in _seq(v, "flatten"):
            if item is UNKNOWN:
                raise _UnknownResult
            if isinstance(item, list):
                walk(item)
            else:
                out.append(item)

    try:
        walk(value)
    except _UnknownResult:
        return UNKNOWN
    return out


class _UnknownResult(Exception):
    pass


@_register("distinct")
def _distinct(value: Any) -> Any:
    return _unique(_seq(value, "distinct"))


@_register("toset")
def _toset(value: Any) -> Any:
    if isinstance(value, list):
        return as_set([_primitive_to_string_if_mixed(v, value) for v in value])
    raise EvalError(f"toset: cannot convert {type_name(value)} to set")


def _primitive_to_string_if_mixed(v: Any, all_values: list[Any]) -> Any:
    # A set takes one element type; mixed primitives unify to string, as in Terraform.
    if any(isinstance(x, str) for x in all_values) and isinstance(v, (bool, int, float)):
        return to_string(v)
    return v


@_register("tolist", deep=False)
def _tolist(value: Any) -> Any:
    if isinstance(value, list):
        return unify_primitives(list(value))
    raise EvalError(f"tolist: cannot convert {type_name(value)} to list")


@_register("tomap", deep=False)
def _tomap(value: Any) -> Any:
    m = _map(value, "tomap")
    return dict(zip(m.keys(), unify_primitives(list(m.values())), strict=True))


@_register("tostring")
def _tostring(value: Any) -> Any:
    return None if value is None else to_string(value)


@_register("tonumber")
def _tonumber(value: Any) -> Any:
    return None if value is None else to_number(value)


@_register("tobool")
def _tobool(value: Any) -> Any:
    return None if value is None else to_bool(value)


@_register("coalesce")
def _coalesce(*values: Any) -> Any:
    for v in unify_primitives(list(values)):
        if v is not None and v != "":
            return v
    raise EvalError("coalesce: no non-null, non-empty argument")


@_register("coalescelist", deep=False)
def _coalescelist(*values: Any) -> Any:
    for v in values:
        if isinstance(v, list) and v:
            return v
    return []


@_register("compact")
def _compact(value: Any) -> Any:
    return [v for v in _seq(value, "compact") if v is not None and v != ""]


@_register("zipmap")
def _zipmap(keys: Any, values: Any) -> Any:
    ks, vs = _seq(keys, "zipmap"), _seq(values, "zipmap")
    if len(ks) != len(vs):
        raise EvalError("zipmap: keys and values differ in length")
    return {to_string(k): v for k, v in zip(ks, vs, strict=True)}


@_register("range")
def _range(*args: Any) -> Any:
    nums = [to_number(a) for a in args]
    start: int | float = 0
    step: int | float = 1
    if len(nums) == 1:
        end = nums[0]
    elif len(nums) == 2:
        start, end = nums
        step = 1 if start <= end else -1
    else:
        start, end, step = nums
    if step == 0:
        raise EvalError("range: step must not be zero")
    out = []
    v = start
    while (v < end) if step > 0 else (v > end):
        out.append(normalize_number(v))
        v += step
        if len(out) > 1024:
            raise EvalError("range: more than 1024 elements")
    return out


@_register("one", deep=False)
def _one(value: Any) -> Any:
    seq = _seq(value, "one")
    if len(seq) > 1:
        raise EvalError("one: more than one element")
    return seq[0] if seq else None


@_register("slice", deep=False)
def _slice(value: Any, start: Any, end: Any) -> Any:
    if start is UNKNOWN or end is UNKNOWN:
        return UNKNOWN
    return _seq(value, "slice")[int(to_number(start)) : int(to_number(end))]


@_register("reverse", deep=False)
def _reverse(value: Any) -> Any:
    return list(reversed(_seq(value, "reverse")))


@_register("sort")
def _sort(value: Any) -> Any:
    return sorted(to_string(v) for v in _seq(value, "sort"))


@_register("sum")
def _sum(value: Any) -> Any:
    items = _seq(value, "sum")
    if not items:
        raise EvalError("sum: cannot sum an empty list")
    return arithmetic_result(sum(to_number(v) for v in items))


@_register("alltrue")
def _alltrue(value: Any) -> Any:
    return all(to_bool(v) for v in _seq(value, "alltrue"))


@_register("anytrue")
def _anytrue(value: Any) -> Any:
    return any(to_bool(v) for v in _seq(value, "anytrue"))


@_register("setunion")
def _setunion(*sets: Any) -> Any:
    return as_set([v for s in sets for v in _seq(s, "setunion")])


@_register("setintersection")
def _setintersection(first: Any, *rest: Any) -> Any:
    return as_set([v for v in _seq(first, "setintersection") if all(v in _seq(r, "setintersection") for r in rest)])


@_register("setsubtract")
def _setsubtract(a: Any, b: Any) -> Any:
    return as_set([v for v in _seq(a, "setsubtract") if v not in _seq(b, "setsubtract")])


@_register("setproduct")
def _setproduct(*sets: Any) -> Any:
    out: list[list[Any]] = [[]]
    for s in sets:
        out = [prefix + [v] for prefix in out for v in _seq(s, "setproduct")]
    return out


@_register("chunklist", deep=False)
def _chunklist(value: Any, size: Any) -> Any:
    seq, n = _seq(value, "chunklist"), int(to_number(size))
    if n <= 0:
        return [seq]
    return [seq[i : i + n] for i in range(0, len(seq), n)]


@_register("transpose")
def _transpose(value: Any) -> Any:
    out: dict[str, list[str]] = {}
    for k, vs in _map(value, "transpose").items():
        for v in _seq(vs, "transpose"):
            out.setdefault(to_string(v), []).append(k)
    return {k: sorted(v) for k, v in out.items()}


@_register("matchkeys")
def _matchkeys(values: Any, keys: Any, search: Any) -> Any:
    wanted = _seq(search, "matchkeys")
    return [v for v, k in zip(_seq(values, "matchkeys"), _seq(keys, "matchkeys"), strict=False) if k in wanted]


# --- numbers ------------------------------------------------------------------------------------


@_register("min")
def _min(*values: Any) -> Any:
    if not values:
        raise EvalError("min: needs at least one argument")
    return min(to_number(v) for v in values)


@_register("max")
def _max(*values: Any) -> Any:
    if not values:
        raise EvalError("max: needs at least one argument")
    return max(to_number(v) for v in values)


@_register("abs")
def _abs(v: Any) -> Any:
    return abs(to_number(v))


@_register("ceil")
def _ceil(v: Any) -> Any:
    return math.ceil(to_number(v))


@_register("floor")
def _floor(v: Any) -> Any:
    return math.floor(to_number(v))


@_register("pow")
def _pow(a: Any, b: Any) -> Any:
    return normalize_number(float(to_number(a)) ** to_number(b))


@_register("log")
def _log(a: Any, b: Any) -> Any:
    return normalize_number(math.log(to_number(a), to_number(b)))


@_register("signum")
def _signum(v: Any) -> Any:
    n = to_number(v)
    return (n > 0) - (n < 0)


@_register("parseint")
def _parseint(v: Any, base: Any) -> Any:
    try:
        return int(to_string(v), int(to_number(base)))
    except ValueError:
        raise EvalError(f"parseint: cannot parse {v!r}") from None


# --- strings ------------------------------------------------------------------------------------

_FORMAT_RE = re.compile(r"%(?:%|([-+ #0]*)(\d+)?(?:\.(\d+))?([vsdfqtbxXoeEgG]))")


def _format_one(flags: str, width: str | None, prec: str | None, verb: str, arg: Any) -> str:
    if verb == "v":
        if "#" in flags:
            text = json_encode(arg)
        else:
            text = json_encode(arg) if isinstance(arg, (list, dict)) else to_string(arg)
    elif verb == "s":
        text = to_string(arg)
        if prec is not None:
            text = text[: int(prec)]
    elif verb == "q":
        text = json.dumps(to_string(arg))
    elif verb == "t":
        text = "true" if to_bool(arg) else "false"
    elif verb in "dbxXo":
        n = int(to_number(arg))
        text = format(n, {"d": "d", "b": "b", "x": "x", "X": "X", "o": "o"}[verb])
        if "+" in flags and n >= 0:
            text = "+" + text
    else:
        x = float(to_number(arg))
        spec = f".{prec}{verb}" if prec is not None else (".6f" if verb == "f" else verb)
        text = format(x, spec)
    if width:
        w = int(width)
        if "-" in flags:
            text = text.ljust(w)
        elif "0" in flags and verb not in "sqvt":
            text = text.rjust(w, "0")
        else:
            text = text.rjust(w)
    return text


@_register("format")
def _format(fmt: Any, *args: Any) -> Any:
    fmt = to_string(fmt)
    it = iter(args)

    def repl(m: re.Match[str]) -> str:
        if m.group(0) == "%%":
            return "%"
        try:
            arg = next(it)
        except StopIteration:
            raise EvalError("format: not enough arguments") from None
        return _format_one(m.group(1) or "", m.group(2), m.group(3), m.group(4), arg)

    return _FORMAT_RE.sub(repl, fmt)


@_register("formatlist")
def _formatlist(fmt: Any, *args: Any) -> Any:
    lengths = {len(a) for a in args if isinstance(a, list)}
    if len(lengths) > 1:
        raise EvalError("formatlist: lists differ in length")
    n = lengths.pop() if lengths else 1
    return [_format(fmt, *[a[i] if isinstance(a, list) else a for a in args]) for i in range(n)]


@_register("join")
def _join(sep: Any, *lists: Any) -> Any:
    items = [to_string(v) for lst in lists for v in _seq(lst, "join")]
    return to_string(sep).join(items)


@_register("split")
def _split(sep: Any, text: Any) -> Any:
    text, sep = to_string(text), to_string(sep)
    if sep == "":
        return list(text)
    return [""] if text == "" else text.split(sep)


def _go_regex(pattern: str) -> str:
    # RE2 named groups `(?P<n>...)` are Python's too; `\z` is Python's `\Z`.
    return pattern.replace(r"\z", r"\Z")


@_register("replace")
def _replace(text: Any, search: Any, repl: Any) -> Any:
    text, search, repl = to_string(text), to_string(search), to_string(repl)
    if len(search) > 1 and search.startswith("/") and search.endswith("/"):
        py_repl = re.sub(r"\$(\d+)|\$\{(\w+)\}", lambda m: "\\g<" + (m.group(1) or m.group(2)) + ">", repl)
        return re.sub(_go_regex(search[1:-1]), py_repl, text)
    return text.replace(search, repl)


@_register("regex")
def _regex(pattern: Any, text: Any) -> Any:
    m = re.search(_go_regex(to_string(pattern)), to_string(text))
    if m is None:
        raise EvalError("regex: no match")
    if m.re.groupindex:
        return {k: m.group(k) for k in m.re.groupindex}
    if m.re.groups:
        return list(m.groups())
    return m.group(0)


@_register("regexall")
def _regexall(pattern: Any, text: Any) -> Any:
    rx = re.compile(_go_regex(to_string(pattern)))
    out: list[Any] = []
    for m in rx.finditer(to_string(text)):
        if rx.groupindex:
            out.append({k: m.group(k) for k in rx.groupindex})
        elif rx.groups:
            out.append(list(m.groups()))
        else:
            out.append(m.group(0))
    return out


def _extends_cluster(ch: str, previous: str) -> bool:
    code = ord(ch)
    return (
        unicodedata.combining(ch) != 0
        or unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # emoji skin tones
        or code == 0x200D  # zero-width joiner
        or previous == "\u200d"
        or 0xE0020 <= code <= 0xE007F  # tag characters (flag sequences)
    )


def graphemes(text: str) -> list[str]:
    """User-perceived characters, as Terraform's length() and substr() count them (an
    approximation of Unicode grapheme clusters: combining marks, emoji modifiers and ZWJ
    sequences, regional-indicator pairs, CRLF)."""
    out: list[str] = []
    for ch in text:
        if out and (
            _extends_cluster(ch, out[-1][-1])
            or (ch == "\n" and out[-1] == "\r")
            or (_is_regional(ch) and len(out[-1]) == 1 and _is_regional(out[-1]))
        ):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _is_regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


_simple_string_functions: dict[str, Callable[[str], Any]] = {
    # Go's simple case mapping: one character stays one character ("ß" has no upper case).
    "lower": lambda s: "".join(c.lower() if len(c.lower()) == 1 else c for c in s),
    "upper": lambda s: "".join(c.upper() if len(c.upper()) == 1 else c for c in s),
    "trimspace": str.strip,
    "chomp": lambda s: re.sub(r"(\r\n|\n|\r)+\Z", "", s),
    "title": lambda s: re.sub(r"\b\w", lambda m: m.group(0).upper(), s),
    "strrev": lambda s: s[::-1],
    "base64encode": lambda s: base64.b64encode(s.encode()).decode(),
    "base64decode": lambda s: base64.b64decode(s).decode(),
    "md5": lambda s: hashlib.md5(s.encode()).hexdigest(),
    "sha1": lambda s: hashlib.sha1(s.encode()).hexdigest(),
    "sha256": lambda s: hashlib.sha256(s.encode()).hexdigest(),
    "sha512": lambda s: hashlib.sha512(s.encode()).hexdigest(),
    "base64sha256": lambda s: base64.b64encode(hashlib.sha256(s.encode()).digest()).decode(),
    "base64sha512": lambda s: base64.b64encode(hashlib.sha512(s.encode()).digest()).decode(),
    "urlencode": lambda s: urllib.parse.quote_plus(s, safe=""),  # Go's QueryEscape
    "basename": lambda s: os.path.basename(s),
    "dirname": lambda s: os.path.dirname(s) or ".",
    "textencodebase64": lambda s: base64.b64encode(s.encode()).decode(),
}


def _make_string_function(fn: Callable[[str], Any]) -> Function:
    return lambda value: fn(to_string(value))


for _name, _fn in _simple_string_functions.items():
    REGISTRY[_name] = (_make_string_function(_fn), True, False)


@_register("substr")
def _substr(text: Any, offset: Any, length: Any) -> Any:
    chars, off, n = graphemes(to_string(text)), int(to_number(offset)), int(to_number(length))
    if off < 0:
        off = max(len(chars) + off, 0)
    return "".join(chars[off:] if n < 0 else chars[off : off + n])


@_register("trim")
def _trim(text: Any, chars: Any) -> Any:
    return to_string(text).strip(to_string(chars))


@_register("trimprefix")
def _trimprefix(text: Any, prefix: Any) -> Any:
    return to_string(text).removeprefix(to_string(prefix))


@_register("trimsuffix")
def _trimsuffix(text: Any, suffix: Any) -> Any:
    return to_string(text).removesuffix(to_string(suffix))


@_register("startswith")
def _startswith(text: Any, prefix: Any) -> Any:
    return to_string(text).startswith(to_string(prefix))


@_register("endswith")
def _endswith(text: Any, suffix: Any) -> Any:
    return to_string(text).endswith(to_string(suffix))


@_register("strcontains")
def _strcontains(text: Any, sub: Any) -> Any:
    return to_string(sub) in to_string(text)


@_register("indent")
def _indent(spaces: Any, text: Any) -> Any:
    pad = " " * int(to_number(spaces))
    return to_string(text).replace("\n", "\n" + pad)


# --- encoding -----------------------------------------------------------------------------------


_GO_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_encode(value: Any) -> str:
    """Terraform's jsonencode: compact, object keys sorted, numbers without exponents, and
    `<`, `>`, `&`, U+2028/2029 escaped as Go's encoder does."""
    out: list[str] = []
    _json_into(value, out)
    return "".join(out)


def _json_string(text: str) -> str:
    encoded = json.dumps(text, ensure_ascii=False)
    if any(ch in encoded for ch in _GO_JSON_ESCAPES):
        encoded = "".join(_GO_JSON_ESCAPES.get(ch, ch) for ch in encoded)
    return encoded


def _json_into(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, (int, float)):
        out.append(format_number(value))
    elif isinstance(value, str):
        out.append(_json_string(value))
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value)):
            if i:
                out.append(",")
            out.append(_json_string(str(key)))
            out.append(":")
            _json_into(value[key], out)
        out.append("}")
    elif isinstance(value, list):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _json_into(item, out)
        out.append("]")
    else:
        raise EvalError(f"jsonencode: cannot encode {type_name(value)}")


@_register("jsonencode")
def _jsonencode(value: Any) -> Any:
    return json_encode(value)


@_register("jsondecode")
def _jsondecode(text: Any) -> Any:
    try:
        return _normalize_decoded(json.loads(to_string(text)))
    except json.JSONDecodeError as exc:
        raise EvalError(f"jsondecode: {exc.msg}") from None


def _normalize_decoded(value: Any) -> Any:
    if isinstance(value, float):
        return normalize_number(value)
    if isinstance(value, list):
        return [_normalize_decoded(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalize_decoded(v) for k, v in value.items()}
    return value


def _yaml_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return to_string(value)
    return json.dumps(value, ensure_ascii=False)


def _yaml_lines(value: Any, indent: int) -> list[str]:
    """Block-style YAML as Terraform's yamlencode writes it: keys and strings double-quoted,
    sorted keys, list items at their parent key's indentation, multi-line strings as `|-`."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        lines = []
        for key in sorted(value):
            lines.extend(_yaml_entry(pad + json.dumps(key, ensure_ascii=False) + ":", value[key], indent, nested_indent=indent + 2))
        return lines
    if isinstance(value, list) and value:
        lines = []
        for item in value:
            if isinstance(item, (dict, list)) and item:
                inner = _yaml_lines(item, indent + 2)
                lines.append(pad + "- " + inner[0][indent + 2 :])
                lines.extend(inner[1:])
            else:
                lines.extend(_yaml_entry(pad + "-", item, indent, nested_indent=indent + 2))
        return lines
    return [pad + ("[]" if isinstance(value, list) else "{}" if isinstance(value, dict) else _yaml_scalar(value))]


def _yaml_entry(head: str, value: Any, indent: int, nested_indent: int) -> list[str]:
    if isinstance(value, dict) and value:
        return [head, *_yaml_lines(value, nested_indent)]
    if isinstance(value, list) and value:
        return [head, *_yaml_lines(value, indent)]
    if isinstance(value, str) and "\n" in value:
        chomp = "-" if not value.endswith("\n") else ("+" if value.endswith("\n\n") else "")
        body = value[:-1] if value.endswith("\n") and chomp == "" else value
        return [f"{head} |{chomp}", *[(" " * nested_indent + ln) if ln else "" for ln in body.split("\n")]]
    if isinstance(value, (dict, list)):
        return [f"{head} {'[]' if isinstance(value, list) else '{}'}"]
    return [f"{head} {_yaml_scalar(value)}"]


@_register("yamlencode")
def _yamlencode(value: Any) -> Any:
    return "\n".join(_yaml_lines(value, 0)) + "\n"


_YAML_BOOLS = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
}


@functools.lru_cache(maxsize=1)
def _yaml_loader() -> Any:
    """YAML 1.1 booleans as terraform's decoder reads them, `y`/`n` included (PyYAML omits those)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    bool_tag = "tag:yaml.org,2002:bool"
    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != bool_tag]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    pattern = re.compile("^(?:" + "|".join(_YAML_BOOLS) + ")$")
    Loader.add_implicit_resolver(bool_tag, pattern, list("yYnNtTfFoO"))
    Loader.add_constructor(bool_tag, lambda loader, node: _YAML_BOOLS[loader.construct_scalar(node)])
    return Loader


@_register("yamldecode")
def _yamldecode(text: Any) -> Any:
    import yaml

    try:
        return _normalize_decoded(yaml.load(to_string(text), Loader=_yaml_loader()))  # noqa: S506
    except yaml.YAMLError as exc:
        raise EvalError(f"yamldecode: {exc}") from None


# --- network ------------------------------------------------------------------------------------


@_register("cidrsubnet")
def _cidrsubnet(prefix: Any, newbits: Any, netnum: Any) -> Any:
    try:
        net = ipaddress.ip_network(to_string(prefix), strict=False)
        new_prefix = net.prefixlen + int(to_number(newbits))
        if new_prefix > net.max_prefixlen:
            raise EvalError("cidrsubnet: not enough bits")
        size = 1 << (net.max_prefixlen - new_prefix)
        num = int(to_number(netnum))
        if num >= (1 << int(to_number(newbits))):
            raise EvalError("cidrsubnet: netnum too large")
        base = int(net.network_address) + num * size
        return str(ipaddress.ip_network((base, new_prefix)))
    except ValueError as exc:
        raise EvalError(f"cidrsubnet: {exc}") from None


@_register("cidrsubnets")
def _cidrsubnets(prefix: Any, *newbits: Any) -> Any:
    try:
        net = ipaddress.ip_network(to_string(prefix), strict=False)
    except ValueError as exc:
        raise EvalError(f"cidrsubnets: {exc}") from None
    out = []
    current = int(net.network_address)
    for bits in newbits:
        plen = net.prefixlen + int(to_number(bits))
        size = 1 << (net.max_prefixlen - plen)
        current = (current + size - 1) // size * size
        out.append(str(ipaddress.ip_network((current, plen))))
        current += size
    return out


@_register("cidrhost")
def _cidrhost(prefix: Any, hostnum: Any) -> Any:
    try:
        net = ipaddress.ip_network(to_string(prefix), strict=False)
        n = int(to_number(hostnum))
        base = net.broadcast_address if n < 0 else net.network_address
        return str(base + n + (1 if n < 0 else 0))
    except ValueError as exc:
        raise EvalError(f"cidrhost: {exc}") from None


@_register("cidrnetmask")
def _cidrnetmask(prefix: Any) -> Any:
    try:
        return str(ipaddress.ip_network(to_string(prefix), strict=False).netmask)
    except ValueError as exc:
        raise EvalError(f"cidrnetmask: {exc}") from None


# --- files (resolved against the root module directory, like terraform's working dir) ---------


def _read(context: Any, path: Any) -> str:
    target = Path(context.root) / to_string(path)
    try:
        return target.read_text()
    except OSError as exc:
        raise EvalError(f"cannot read {to_string(path)}: {exc.strerror}") from None


@_register("file", context=True)
def _file(context: Any, path: Any) -> Any:
    return _read(context, path)


@_register("fileexists", context=True)
def _fileexists(context: Any, path: Any) -> Any:
    return (Path(context.root) / to_string(path)).is_file()


@_register("filebase64", context=True)
def _filebase64(context: Any, path: Any) -> Any:
    try:
        return base64.b64encode((Path(context.root) / to_string(path)).read_bytes()).decode()
    except OSError as exc:
        raise EvalError(f"cannot read {to_string(path)}: {exc.strerror}") from None


@_register("templatefile", context=True)
def _templatefile(context: Any, path: Any, variables: Any) -> Any:
    return context.render_template(_read(context, path), _map(variables, "templatefile"))


@_register("abspath", context=True)
def _abspath(context: Any, path: Any) -> Any:
    return str((Path(context.root) / to_string(path)).resolve())


# --- type conversion / misc --------------------------------------------------------------------


@_register("sensitive", deep=False)
def _sensitive(value: Any) -> Any:
    return value


@_register("nonsensitive", deep=False)
def _nonsensitive(value: Any) -> Any:
    return value


@_register("type")
def _type(value: Any) -> Any:
    return type_name(value)


@_register("list", deep=False)
def _list(*values: Any) -> Any:
    return list(values)


@_register("map", deep=False)
def _legacy_map(*pairs: Any) -> Any:
    return {to_string(pairs[i]): pairs[i + 1] for i in range(0, len(pairs) - 1, 2)}


# Values only known at apply time.
for _name in ("timestamp", "uuid", "bcrypt", "plantimestamp"):
    REGISTRY[_name] = ((lambda *a, **k: UNKNOWN), False, False)


@_register("fileset", context=True)
def _fileset(context: Any, path: Any, pattern: Any) -> Any:
    base = Path(context.root) / to_string(path)
    if not base.is_dir():
        return []
    return sorted(p.relative_to(base).as_posix() for p in base.glob(to_string(pattern)) if p.is_file())


@_register("pathexpand")
def _pathexpand(path: Any) -> Any:
    return os.path.expanduser(to_string(path))


def _file_bytes(context: Any, path: Any) -> bytes:
    try:
        return (Path(context.root) / to_string(path)).read_bytes()
    except OSError as exc:
        raise EvalError(f"cannot read {to_string(path)}: {exc.strerror}") from None


def _make_file_hash(digest: Callable[[bytes], str]) -> Function:
    return lambda context, path: digest(_file_bytes(context, path))


for _name, _digest in {
    "filemd5": lambda b: hashlib.md5(b).hexdigest(),
    "filesha1": lambda b: hashlib.sha1(b).hexdigest(),
    "filesha256": lambda b: hashlib.sha256(b).hexdigest(),
    "filesha512": lambda b: hashlib.sha512(b).hexdigest(),
    "filebase64sha256": lambda b: base64.b64encode(hashlib.sha256(b).digest()).decode(),
    "filebase64sha512": lambda b: base64.b64encode(hashlib.sha512(b).digest()).decode(),
}.items():
    REGISTRY[_name] = (_make_file_hash(_digest), True, True)


@_register("uuidv5")
def _uuidv5(namespace: Any, name: Any) -> Any:
    import uuid

    spaces = {"dns": uuid.NAMESPACE_DNS, "url": uuid.NAMESPACE_URL, "oid": uuid.NAMESPACE_OID, "x500": uuid.NAMESPACE_X500}
    ns = to_string(namespace)
    try:
        base = spaces[ns] if ns in spaces else uuid.UUID(ns)
    except ValueError:
        raise EvalError(f"uuidv5: invalid namespace {ns!r}") from None
    return str(uuid.uuid5(base, to_string(name)))


# --- time (only on given timestamps; timestamp() itself is unknown) -----------------------------

_DURATION_RE = re.compile(r"(-?\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _parse_timestamp(value: Any) -> Any:
    from datetime import datetime

    text = to_string(value)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise EvalError(f"not an RFC 3339 timestamp: {text!r}") from None


def _format_timestamp(moment: Any) -> str:
    text = moment.isoformat()
    return text.replace("+00:00", "Z")


@_register("timeadd")
def _timeadd(timestamp: Any, duration: Any) -> Any:
    from datetime import timedelta

    text = to_string(duration)
    sign = -1 if text.startswith("-") else 1
    parts = _DURATION_RE.findall(text.lstrip("+-"))
    if not parts or "".join(n + u for n, u in parts) != text.lstrip("+-"):
        raise EvalError(f"timeadd: invalid duration {text!r}")
    seconds = sign * sum(float(n) * _DURATION_UNITS[u] for n, u in parts)
    return _format_timestamp(_parse_timestamp(timestamp) + timedelta(seconds=seconds))


_FORMATDATE_RE = re.compile(r"'[^']*'|YYYY|YY|MMMM|MMM|MM|M|DD|D|EEEE|EEE|hh|h|HH|H|mm|m|ss|s|AA|aa|ZZZZZ|ZZZZ|ZZZ|Z")


@_register("formatdate")
def _formatdate(spec: Any, timestamp: Any) -> Any:
    moment = _parse_timestamp(timestamp)
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    hh, mm = divmod(abs(minutes), 60)

    def token(m: re.Match[str]) -> str:
        t = m.group(0)
        if t.startswith("'"):
            return t[1:-1] if t != "''" else "'"
        hour12 = moment.hour % 12 or 12
        return {
            "YYYY": f"{moment.year:04d}", "YY": f"{moment.year % 100:02d}",
            "MMMM": moment.strftime("%B"), "MMM": moment.strftime("%b"),
            "MM": f"{moment.month:02d}", "M": str(moment.month),
            "DD": f"{moment.day:02d}", "D": str(moment.day),
            "EEEE": moment.strftime("%A"), "EEE": moment.strftime("%a"),
            "hh": f"{moment.hour:02d}", "h": str(moment.hour),
            "HH": f"{hour12:02d}", "H": str(hour12),
            "mm": f"{moment.minute:02d}", "m": str(moment.minute),
            "ss": f"{moment.second:02d}", "s": str(moment.second),
            "AA": "AM" if moment.hour < 12 else "PM", "aa": "am" if moment.hour < 12 else "pm",
            "ZZZZZ": f"{sign}{hh:02d}:{mm:02d}", "ZZZZ": f"{sign}{hh:02d}{mm:02d}",
            "ZZZ": "UTC" if minutes == 0 else f"{sign}{hh:02d}{mm:02d}",
            "Z": "Z" if minutes == 0 else f"{sign}{hh:02d}:{mm:02d}",
        }[t]

    return _FORMATDATE_RE.sub(token, to_string(spec))


@_register("templatestring", context=True)
def _templatestring(context: Any, template: Any, variables: Any) -> Any:
    return context.render_template(to_string(template), _map(variables, "templatestring"))
