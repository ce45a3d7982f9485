"""Semantic normalisation of IAM-style JSON policy documents.

Two documents that IAM treats as the same policy normalise to equal values: key order, a single
value vs a one-element list, statement order, principal/action list order, and whitespace (after
parsing) do not matter.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any


def parse_policy(value: Any) -> Any:
    """Parse a policy that may be JSON text or URL-encoded JSON text (IAM returns it encoded)."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.startswith("%7B") or text.startswith("%7b"):
            text = urllib.parse.unquote(text)
        try:
            return json.loads(text)
        except ValueError:
            return value
    return value


def normalize_policy(doc: Any) -> Any:
    """A canonical form of a policy document for equality checks.

    No list in IAM's policy grammar is ordered, and IAM treats "x" and ["x"] alike, so every list
    is sorted and a one-element list collapses to its element.
    """
    doc = parse_policy(doc)
    if isinstance(doc, dict):
        return {k: normalize_policy(_canonical_principal(k, v)) for k, v in sorted(doc.items())}
    if isinstance(doc, list):
        items = sorted((normalize_policy(v) for v in doc), key=lambda v: json.dumps(v, sort_keys=True))
        return items[0] if len(items) == 1 else items
    return doc


_ACCOUNT_ID = re.compile(r"^\d{12}$")


def _canonical_principal(key: str, value: Any) -> Any:
    """IAM stores an AWS principal given as a bare account id as that account's root ARN."""
    if key not in ("Principal", "NotPrincipal") or not isinstance(value, dict) or "AWS" not in value:
        return value
    aws = value["AWS"]
    as_arn = [f"arn:aws:iam::{v}:root" if isinstance(v, str) and _ACCOUNT_ID.match(v) else v for v in (aws if isinstance(aws, list) else [aws])]
    return {**value, "AWS": as_arn if isinstance(aws, list) else as_arn[0]}
