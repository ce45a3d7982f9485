"""Data sources computed locally from their arguments, as the provider would (no API call).

`aws_iam_policy_document` is the common one: almost every module feeds its `.json` into a policy
attribute, so without it every such policy would be unknown from code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from driftdeck.core.unknown import contains_unknown


def _one_or_list(values: list[Any]) -> Any:
    """One value as a string, several reverse-sorted: what the provider writes (checked against
    terraform + hashicorp/aws 5.100 in tests/inputs/hcl/test_hcl_terraform.py)."""
    values = sorted({str(v) for v in values}, reverse=True)
    return values[0] if len(values) == 1 else values


def _principals(blocks: list[dict[str, Any]]) -> Any:
    out: dict[str, list[Any]] = {}
    for block in blocks:
        kind = block.get("type")
        ids = block.get("identifiers") or []
        if kind == "*" and ids == ["*"]:
            return "*"
        out.setdefault(str(kind), []).extend(ids)
    return {k: _one_or_list(v) for k, v in out.items()}


def _statement(block: dict[str, Any]) -> dict[str, Any]:
    st: dict[str, Any] = {}
    if block.get("sid"):
        st["Sid"] = block["sid"]
    st["Effect"] = block.get("effect") or "Allow"
    for arg, key in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
                     ("not_resources", "NotResource")):
        if block.get(arg):
            st[key] = _one_or_list(block[arg])
    for arg, key in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        if block.get(arg):
            st[key] = _principals(block[arg])
    conditions: dict[str, dict[str, Any]] = {}
    for cond in block.get("condition") or []:
        values = cond.get("values") or []
        test = conditions.setdefault(str(cond.get("test")), {})
        test[str(cond.get("variable"))] = _one_or_list(values)
    if conditions:
        st["Condition"] = conditions
    return st


def _merge_statements(base: list[dict[str, Any]], extra: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = list(base)
    for st in extra:
        sid = st.get("Sid")
        index = next((i for i, s in enumerate(out) if sid and s.get("Sid") == sid), None)
        if index is None:
            out.append(st)
        else:
            out[index] = st
    return out


def _documents(texts: list[Any]) -> list[list[dict[str, Any]]]:
    docs: list[list[dict[str, Any]]] = []
    for text in texts or []:
        doc = json.loads(text) if isinstance(text, str) else {}
        statements = doc.get("Statement", [])
        docs.append(statements if isinstance(statements, list) else [statements])
    return docs


def iam_policy_document(args: dict[str, Any], provider: dict[str, Any]) -> dict[str, Any] | None:
    if contains_unknown(args):
        return None
    try:
        statements: list[dict[str, Any]] = []
        for doc in _documents(args.get("source_policy_documents", [])):
            statements = _merge_statements(statements, doc)
        statements = _merge_statements(statements, [_statement(b) for b in args.get("statement", [])])
        for doc in _documents(args.get("override_policy_documents", [])):
            statements = _merge_statements(statements, doc)
    except (json.JSONDecodeError, AttributeError, TypeError):
        return None
    document: dict[str, Any] = {"Version": args.get("version") or "2012-10-17"}
    if args.get("policy_id"):
        document["Id"] = args["policy_id"]
    document["Statement"] = statements
    return {"json": json.dumps(document, indent=2), "minified_json": json.dumps(document, separators=(",", ":"))}


def _provider_region(args: dict[str, Any], provider: dict[str, Any]) -> str | None:
    region = args.get("name") or args.get("region") or provider.get("region")
    return region if isinstance(region, str) else None


def aws_region(args: dict[str, Any], provider: dict[str, Any]) -> dict[str, Any] | None:
    """Without arguments, the provider's own region (only when the provider block sets it)."""
    region = _provider_region(args, provider)
    if region is None:
        return None
    return {"id": region, "name": region, "region": region}


def aws_partition(args: dict[str, Any], provider: dict[str, Any]) -> dict[str, Any] | None:
    region = _provider_region({}, provider)
    if region is None:
        return None
    if region.startswith("cn-"):
        partition, suffix, prefix = "aws-cn", "amazonaws.com.cn", "cn.com.amazonaws"
    elif region.startswith("us-gov-"):
        partition, suffix, prefix = "aws-us-gov", "amazonaws.com", "com.amazonaws"
    else:
        partition, suffix, prefix = "aws", "amazonaws.com", "com.amazonaws"
    return {"id": partition, "partition": partition, "dns_suffix": suffix, "reverse_dns_prefix": prefix}


# Data source type -> fn(arguments from code, its provider's configuration) -> computed attributes
# (None when they cannot be known from code).
LOCAL_DATA_SOURCES: dict[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any] | None]] = {
    "aws_iam_policy_document": iam_policy_document,
    "aws_region": aws_region,
    "aws_partition": aws_partition,
}
