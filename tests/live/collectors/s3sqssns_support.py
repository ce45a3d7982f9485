"""Helpers for the S3/SQS/SNS collector tests. The session, state, terraform and fault-proxy
helpers are shared with the other AWS tests (tests/aws_test_support.py) and re-exported here."""

from __future__ import annotations

from typing import Any

import boto3
from aws_test_support import (  # noqa: F401 - re-exported for this area's tests
    REGION,
    FaultProxy,
    Request,
    json_error,
    operation,
    query_error,
    s3_error,
    session_for,
    terraform,
    write_state,
)

from driftdeck.core.aws import AwsContext


def fast_context(session: boto3.session.Session, **kwargs: Any) -> AwsContext:
    """Few retries so injected throttling/500s are given up on quickly (retrying is still real)."""
    kwargs.setdefault("max_attempts", 2)
    kwargs.setdefault("connect_timeout", 2.0)
    kwargs.setdefault("read_timeout", 5.0)
    return AwsContext(session, **kwargs)


def changed_top_level(before: dict[str, Any] | None, after: dict[str, Any] | None) -> set[str]:
    """Top-level attribute names whose value differs, null and empty collections counting as equal."""

    def empty(v: Any) -> bool:
        return v is None or v == "" or v == [] or v == {}

    b, a = before or {}, after or {}
    return {k for k in set(b) | set(a) if not (empty(b.get(k)) and empty(a.get(k))) and b.get(k) != a.get(k)}
