"""Python values (live attributes) -> HCL source text, formatted the way `terraform fmt` would."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")


_HCL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def hcl_string(value: str) -> str:
    """A quoted HCL string; `${` and `%{` are escaped so live text never becomes a template.

    HCL knows only \\n \\r \\t \\" \\\\ and \\uNNNN, so other control characters use \\uNNNN.
    """
    out = []
    for ch in value:
        if ch in _HCL_ESCAPES:
            out.append(_HCL_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    body = "".join(out)
    return '"' + body.replace("${", "$${").replace("%{", "%%{") + '"'


def hcl_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) and key not in ("true", "false", "null") else hcl_string(key)


def hcl_value(value: Any, indent: str = "", step: str = "  ") -> str:
    """HCL expression text for `value`; nested maps and lists are laid out over several lines."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, Decimal):  # provider numbers beyond float precision keep every digit
        return format(value, "f")
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        keys = [hcl_key(str(k)) for k in value]
        width = max(len(k) for k in keys)
        inner = indent + step
        lines = [
            f"{inner}{k.ljust(width)} = {hcl_value(v, inner, step)}" for k, v in zip(keys, value.values(), strict=True)
        ]
        return "{\n" + "\n".join(lines) + f"\n{indent}}}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        parts = [hcl_value(v, indent + step, step) for v in value]
        one_line = "[" + ", ".join(parts) + "]"
        if "\n" not in one_line and len(one_line) <= 80:
            return one_line
        inner = indent + step
        return "[\n" + ",\n".join(f"{inner}{p}" for p in parts) + f",\n{indent}]"
    raise TypeError(f"cannot render {type(value).__name__} as HCL")


def hcl_json_document(document: Any, indent: str = "") -> str:
    """`jsonencode({...})` for a parsed JSON document (policies), the idiomatic Terraform spelling."""
    return f"jsonencode({hcl_value(document, indent)})"


def hcl_attributes(attributes: dict[str, Any], indent: str, *, blocks: frozenset[str] = frozenset()) -> list[str]:
    """Body lines for a block: `name = value` for attributes, nested `name { ... }` for block lists."""
    lines: list[str] = []
    plain = {k: v for k, v in attributes.items() if k not in blocks}
    width = max((len(k) for k in plain), default=0)
    for name, value in attributes.items():
        if name in blocks:
            for element in value or []:
                lines.append(f"{indent}{name} {{")
                lines.extend(hcl_attributes(element, indent + "  "))
                lines.append(f"{indent}}}")
            continue
        lines.append(f"{indent}{name.ljust(width)} = {hcl_value(value, indent)}")
    return lines
