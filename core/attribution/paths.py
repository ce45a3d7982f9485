"""Tiny, forgiving path lookup into CloudTrail records: `a.b[*].c`, `{a.b}:{c}` templates."""

from __future__ import annotations

import re
from typing import Any

_TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")


def _step(values: list[Any], part: str) -> list[Any]:
    wildcard = part.endswith("[*]")
    key = part[:-3] if wildcard else part
    out: list[Any] = []
    for value in values:
        # A key applied to a list maps over its items: CloudTrail is inconsistent about one vs many.
        items = value if isinstance(value, list) else [value]
        for item in items:
            if key:
                if not isinstance(item, dict) or key not in item:
                    continue
                item = item[key]
            if wildcard and isinstance(item, list):
                out.extend(item)
            elif item is not None:
                out.append(item)
    return out


def resolve(record: dict[str, Any], path: str) -> list[Any]:
    """Every value found at `path` (lists flattened where `[*]` says so); [] when absent."""
    values: list[Any] = [record]
    for part in path.split("."):
        values = _step(values, part)
        if not values:
            return []
    return values


def resolve_strings(record: dict[str, Any], path: str) -> list[str]:
    """Like resolve, but a `{path}` template is filled from scalar values (all fields must be present)."""
    if "{" not in path:
        return [
            v if isinstance(v, str) else str(v) for v in resolve(record, path) if isinstance(v, str | int)
        ]
    filled = path
    for field_path in _TEMPLATE_FIELD.findall(path):
        found = [v for v in resolve(record, field_path) if isinstance(v, str | int)]
        if not found:
            return []
        filled = filled.replace("{" + field_path + "}", str(found[0]))
    return [filled]
