"""State attributes for `load_configuration(state_lookup=...)`, straight from a state document.

Unlike the engine's desired-state reader (managed AWS resources only), references in code need
everything state holds: data sources (availability zones, caller identity) and other providers'
resources (a `random_pet` that names a bucket).
"""

from __future__ import annotations

import json
from typing import Any

from driftdeck.core.inputs.hcl.declarations import format_key


def state_lookup_from_tfstate(document: bytes | str | dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{instance address: attributes} for every resource and data source in a v4 state document.
    Malformed parts are skipped (the state reader reports them)."""
    doc = json.loads(document) if isinstance(document, (bytes, str)) else document
    out: dict[str, dict[str, Any]] = {}
    resources = doc.get("resources") if isinstance(doc, dict) else None
    for res in resources if isinstance(resources, list) else []:
        if not isinstance(res, dict) or not isinstance(res.get("type"), str) or not isinstance(res.get("name"), str):
            continue
        module = res.get("module") or ""
        mode = "data." if res.get("mode") == "data" else ""
        base = f"{module + '.' if module else ''}{mode}{res['type']}.{res['name']}"
        for inst in res.get("instances") or []:
            if not isinstance(inst, dict) or not isinstance(inst.get("attributes"), dict):
                continue
            key = inst.get("index_key")
            out[base + (format_key(key) if isinstance(key, (int, str)) and not isinstance(key, bool) else "")] = inst[
                "attributes"
            ]
    return out
