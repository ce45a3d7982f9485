"""python-hcl2 8.x output -> plain Python values, to check what a patched file now says.

python-hcl2 keeps quotes on strings (`"\\"acme\\""`), wraps expressions as `${...}`, marks blocks with
`__is_block__` and collects comments under `__comments__`. Literal values come back as plain Python;
anything else becomes an `Expression` holding its source text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import hcl2

from driftdeck.core.hcl.text_layout import unescape

# python-hcl2 hands heredocs back as `"<<EOT\n...EOT"`; a plain string "<<..." has no marker line.
_HEREDOC_VALUE = re.compile(r'"<<-?[A-Za-z_][A-Za-z0-9_\-]*\n')
_META_KEYS = frozenset({"__is_block__", "__comments__", "__inline_comments__", "__start_line__", "__end_line__"})


@dataclass(frozen=True)
class Expression:
    """A value that is not a literal (a reference, a function call, a template)."""

    text: str


def plain(value: Any) -> Any:
    """A python-hcl2 value as plain Python (strings unquoted, `jsonencode({...})` of literals decoded)."""
    if isinstance(value, dict):
        return {_key(k): plain(v) for k, v in value.items() if k not in _META_KEYS}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return _string(value)
    return value


def _key(key: str) -> str:
    return unescape(key[1:-1]) if len(key) >= 2 and key[0] == key[-1] == '"' else key


def _string(text: str) -> Any:
    if _HEREDOC_VALUE.match(text) and text.endswith('"'):
        return _heredoc(text[1:-1])
    if text.startswith("${") and text.endswith("}"):
        inner = text[2:-1].strip()
        if inner.startswith("jsonencode(") and inner.endswith(")"):
            decoded = _literal_expression(inner[len("jsonencode(") : -1])
            if decoded is not None and not _has_expression(decoded):
                return decoded
        return Expression(inner)
    if len(text) >= 2 and text[0] == text[-1] == '"':
        body = text[1:-1]
        if "${" in body.replace("$${", "") or "%{" in body.replace("%%{", ""):
            return Expression(text)
        return unescape(body)
    return text


def _heredoc(text: str) -> Any:
    first_nl = text.find("\n")
    header = text[:first_nl].strip()
    marker = header.lstrip("<-")
    body = text[first_nl + 1 :]
    if body.rstrip().endswith(marker):
        body = body.rstrip()[: -len(marker)]
    if header.startswith("<<-"):
        lines = body.split("\n")
        indents = [len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()]
        cut = min(indents, default=0)
        body = "\n".join(ln[cut:] for ln in lines)
    if "${" in body.replace("$${", ""):
        return Expression(text)
    return body


def _literal_expression(source: str) -> Any | None:
    try:
        doc = hcl2.loads(f"v = {source}\n")
    except Exception:  # noqa: BLE001 - anything unparsable is simply not a literal
        return None
    return plain(doc.get("v"))


def _has_expression(value: Any) -> bool:
    if isinstance(value, Expression):
        return True
    if isinstance(value, dict):
        return any(_has_expression(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_expression(v) for v in value)
    return False


def has_expression(value: Any) -> bool:
    return _has_expression(value)


def resource_body(text: str, rtype: str, name: str) -> dict[str, Any] | None:
    """The plain body of `resource "rtype" "name"` in HCL `text` (raises on a parse error)."""
    doc = hcl2.loads(text)
    for group in doc.get("resource", []) or []:
        for tkey, named in group.items():
            if _key(tkey) != rtype:
                continue
            for nkey, body in named.items():
                if _key(nkey) == name:
                    result = plain(body)
                    return result if isinstance(result, dict) else None
    return None
