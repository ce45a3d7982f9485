"""boto3 access for the engine: one session, cached thread-safe clients, adaptive retry, error triage.

Configuration comes from boto3's standard chain (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, shared
config files); nothing here reads credentials itself, and nothing here ever prints them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3
import botocore.config
import botocore.exceptions

from driftdeck.core.errors import DriftdeckError
from driftdeck.core.model import UnknownCause

T = TypeVar("T")

# Error codes that mean "you may not read this": the resource is unknown, never missing.
ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "Forbidden",
        "AllAccessDisabled",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "SignatureDoesNotMatch",
    }
)
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "Rate exceeded",
        "ProvisionedThroughputExceededException",
    }
)


class NoCredentialsError(DriftdeckError):
    """No usable AWS credentials or region: the scan cannot run at all (exit 2)."""


class AwsUnreachableError(DriftdeckError):
    """No connection to AWS could be made: the scan could not run at all (exit 2), rather than a
    report of `unknown` rows."""


def failure_cause(exc: BaseException) -> UnknownCause | None:
    """The kind of failure, where it matters beyond one resource: no connection to the endpoint
    (refused, unresolvable, connect timeout, proxy) is `AWS_UNREACHABLE`."""
    if isinstance(exc, botocore.exceptions.ConnectionError):
        return UnknownCause.AWS_UNREACHABLE
    return None


def _endpoint_of(exc: BaseException) -> str:
    """scheme://host[:port] of the endpoint a connection error names (no path, query or userinfo)."""
    kwargs = getattr(exc, "kwargs", {}) or {}
    url = str(kwargs.get("endpoint_url") or kwargs.get("proxy_url") or "")
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return "the configured endpoint"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def _connection_detail(exc: BaseException) -> str:
    if isinstance(exc, botocore.exceptions.ConnectTimeoutError):
        return "connect timed out"
    if isinstance(exc, botocore.exceptions.ProxyConnectionError):
        return "the proxy refused or failed the connection"
    error = str((getattr(exc, "kwargs", {}) or {}).get("error") or "")
    # urllib3 prefixes the reason with the connection object's repr: keep only the reason.
    detail = error.rsplit("Failed to establish a new connection: ", 1)[-1].strip()
    if "] " in detail and detail.startswith("[Errno"):
        detail = detail.split("] ", 1)[1]
    return detail.lower() if detail else "connection failed"


def error_code(exc: BaseException) -> str | None:
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "") or None
    return None


def is_not_found(exc: BaseException, codes: frozenset[str] | set[str]) -> bool:
    """True only for an explicit "does not exist" answer from AWS, never for other failures."""
    code = error_code(exc)
    return code is not None and code in codes


def describe_failure(exc: BaseException) -> str:
    """A short, secret-free reason for an `unknown` verdict."""
    if isinstance(exc, botocore.exceptions.ClientError):
        code = error_code(exc) or "Error"
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        op = getattr(exc, "operation_name", "call")
        if code in ACCESS_DENIED_CODES:
            return f"access denied ({code} on {op})"
        if code in THROTTLING_CODES or status == 429:
            return f"throttled past retries ({code} on {op})"
        if isinstance(status, int) and status >= 500:
            return f"AWS server error {status} ({code} on {op})"
        return f"AWS error {code} on {op}"
    if isinstance(exc, botocore.exceptions.ReadTimeoutError):
        return "timed out talking to AWS"
    if isinstance(exc, botocore.exceptions.ConnectionError):
        return f"cannot reach AWS at {_endpoint_of(exc)}: {_connection_detail(exc)}"
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return "no AWS credentials"
    if isinstance(exc, botocore.exceptions.BotoCoreError):
        return f"AWS client error: {type(exc).__name__}"
    return f"unexpected error: {type(exc).__name__}: {exc}"


def default_session() -> boto3.session.Session:
    """boto3's standard chain, plus AWS_REGION (which the AWS CLI and SDKs honour but botocore's
    session does not read; only AWS_DEFAULT_REGION)."""
    session = boto3.session.Session()
    if session.region_name is None and os.environ.get("AWS_REGION"):
        session = boto3.session.Session(region_name=os.environ["AWS_REGION"])
    return session


class AwsContext:
    """Per-scan access to AWS: cached clients and a memo so one listing call serves many resources."""

    def __init__(
        self,
        session: boto3.session.Session | None = None,
        *,
        max_attempts: int = 8,
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        max_pool_connections: int = 32,
        probe_timeout: float = 3.0,
    ) -> None:
        self.session = session or default_session()
        # The reachability probe: two attempts, short connect timeout, so an unreachable endpoint
        # is reported in seconds instead of after every call's adaptive retries.
        self.probe_config = botocore.config.Config(
            retries={"mode": "standard", "total_max_attempts": 2},
            connect_timeout=probe_timeout,
            read_timeout=probe_timeout * 2,
        )
        self.config = botocore.config.Config(
            retries={"mode": "adaptive", "max_attempts": max_attempts},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_connections=max_pool_connections,
        )
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._probe: Any = None
        self._client_lock = threading.Lock()
        self._memo: dict[tuple[Any, ...], _MemoCell] = {}
        self._memo_lock = threading.Lock()
        # Every desired resource of the scan (all types), set by the scan before any read, so a
        # collector can see which sibling resources manage pieces of its objects (separate
        # security-group rules, policy attachments) and avoid reporting them twice or falsely.
        self.desired: tuple[Any, ...] = ()
        # The region to use when the configuration names none (the first --region of the scan).
        self.fallback_region: str | None = None
        # Provider reads: the long-lived ProviderSession (core.live.provider.session) and, per state
        # origin, the Terraform configuration folder whose provider blocks and .terraform apply.
        self.providers: Any = None
        self.workspaces: dict[str, str] = {}

    @property
    def default_region(self) -> str:
        region = self.session.region_name or self.fallback_region
        if not region:
            raise NoCredentialsError(
                "no AWS region configured: set AWS_REGION (or AWS_DEFAULT_REGION), a profile region, or --region"
            )
        return region

    def begin_scan(self) -> None:
        """Forget what the previous scan learnt (listings, failures), keep the clients: a context
        can then serve every poll of a long session without paying client creation again."""
        with self._memo_lock:
            self._memo = {}
        self.desired = ()
        self.workspaces = {}

    def ensure_reachable(self) -> None:
        """Raise AwsUnreachableError ("cannot reach AWS at <url>: ...") unless one cheap call
        (STS GetCallerIdentity) gets any answer from AWS, an error answer included. Failures that
        are not about the connection (no credentials, no region) are left to the reads to report."""
        try:
            if self._probe is None:
                with self._client_lock:
                    region = self.session.region_name or self.fallback_region
                    self._probe = self.session.client("sts", region_name=region, config=self.probe_config)  # type: ignore[call-overload]
            self._probe.get_caller_identity()
        except botocore.exceptions.ConnectionError as exc:
            raise AwsUnreachableError(describe_failure(exc)) from exc
        except Exception:  # noqa: BLE001 - AWS answered, or the failure is not about reaching it
            return

    def client(self, service: str, region: str | None = None) -> Any:
        """A cached client; creation is serialised because boto3 sessions are not thread-safe."""
        # Global services (IAM, STS) are asked without a region: they still need one to sign with.
        region = region or self.session.region_name or self.fallback_region
        key = (service, region)
        client = self._clients.get(key)
        if client is not None:
            return client
        with self._client_lock:
            client = self._clients.get(key)
            if client is None:
                client = self.session.client(service, region_name=region, config=self.config)  # type: ignore[call-overload]
                self._clients[key] = client
        return client

    def memo(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """Run `compute` once per key for this scan, even when many threads ask at the same time.

        A failure is remembered too, so every resource depending on a failed listing gets the same
        `unknown` reason without hammering a throttled API again.
        """
        with self._memo_lock:
            cell = self._memo.get(key)
            if cell is None:
                cell = _MemoCell()
                self._memo[key] = cell
        return cell.get(compute)


class _MemoCell:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = False
        self._value: Any = None
        self._error: BaseException | None = None

    def get(self, compute: Callable[[], T]) -> T:
        with self._lock:
            if not self._done:
                try:
                    self._value = compute()
                except Exception as exc:  # noqa: BLE001 - remembered and re-raised to every caller
                    self._error = exc
                self._done = True
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[no-any-return]


def paginate(client: Any, operation: str, result_key: str, **kwargs: Any) -> list[Any]:
    """All items of a paginated listing."""
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(result_key) or [])
    return items
